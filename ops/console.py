"""Output helpers: JSON for machines (stdout), text for people, progress on stderr."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import click


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def to_json(data: Any) -> str:
    """Stable, indented JSON; datetimes as ISO 8601."""
    return json.dumps(data, indent=2, sort_keys=True, default=_default)


def emit(data: Any, *, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    """Print `data` as JSON (with --json) or as text rendered by `text` (default: JSON too)."""
    if as_json or text is None:
        click.echo(to_json(data))
    else:
        click.echo(text(data))


def progress(message: str) -> None:
    """A progress line on stderr, so stdout stays clean for --json."""
    click.echo(message, err=True)


def warn(message: str) -> None:
    """A warning on stderr."""
    click.secho(f"Warning: {message}", err=True, fg="yellow")


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)
