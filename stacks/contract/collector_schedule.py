"""Collector schedules: how often a `rate(...)` expression runs, for the alarms sized from it."""

from __future__ import annotations

import re

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
DAY_SECONDS = 86400


def interval_seconds(expression: str) -> int | None:
    """Seconds between runs of a `rate(...)` expression; None for `cron(...)` (no fixed one)."""
    match = _RATE.match(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).removesuffix("s")]
