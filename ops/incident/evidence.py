"""Evidence: what one read-only diagnostic found, and the timestamped events for the timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """One timestamped fact for the incident timeline."""

    time: dt.datetime
    source: str
    message: str


@dataclass
class Evidence:
    """What one diagnostic found."""

    name: str
    title: str
    lines: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stamp(value: dt.datetime) -> str:
    """A UTC timestamp for people."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def guard(name: str, title: str, run: Callable[[Evidence], None]) -> Evidence:
    """Run `run` on fresh evidence; an exception becomes the evidence's error instead of raising."""
    evidence = Evidence(name=name, title=title)
    try:
        run(evidence)
    except Exception as exc:  # noqa: BLE001 - reported as evidence, never raised
        from ops.errors import describe_aws_error

        evidence.error = describe_aws_error(exc) or type(exc).__name__
    return evidence
