"""The scheduled-scale function's entry point (placeholder until the run logic lands)."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run one scheduled scale."""
    raise NotImplementedError
