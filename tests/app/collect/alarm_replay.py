"""Replays metric datapoints through a catalog alarm's definition, as CloudWatch evaluates it.

Simplified to what the catalog's collector alarms use: periods ending at the evaluation time, one
statistic per period, the last `evaluation_periods` periods, `datapoints_to_alarm` of them
breaching, and the three ways to treat a period without data (`ignore` looks back for the latest
datapoints and keeps the previous state when there are none).
"""

from __future__ import annotations

from collections.abc import Sequence

from stacks.contract.alarm_catalog import AlarmSpec

ALARM, OK = "ALARM", "OK"
BREACHING, NOT_BREACHING, IGNORE = "breaching", "notBreaching", "ignore"
LOOK_BACK_PERIODS = 5  # how far `ignore` searches for datapoints beyond the evaluation periods
_STATISTICS = {
    "Sum": sum,
    "Maximum": max,
    "Minimum": min,
    "Average": lambda values: sum(values) / len(values),
    "SampleCount": len,
}


def _breaches(alarm: AlarmSpec, value: float) -> bool:
    return alarm.comparison.breached(value, alarm.threshold)


def _period_values(
    alarm: AlarmSpec, points: Sequence[tuple[float, float]], at: float, count: int
) -> list[float | None]:
    """The statistic of each of the `count` periods ending at `at`, oldest first."""
    (metric,) = alarm.metrics
    aggregate = _STATISTICS[metric.statistic]
    period = alarm.period_seconds
    out: list[float | None] = []
    for index in range(count, 0, -1):
        start, end = at - index * period, at - (index - 1) * period
        values = [v for t, v in points if start <= t < end]
        out.append(float(aggregate(values)) if values else None)
    return out


def state(
    alarm: AlarmSpec, points: Sequence[tuple[float, float]], *, at: float, previous: str = OK
) -> str:
    """ALARM or OK at time `at` (seconds), given datapoints (time, value)."""
    periods = _period_values(alarm, points, at, alarm.evaluation_periods)
    if alarm.treat_missing_data == IGNORE and None in periods:
        found = [
            v
            for v in _period_values(alarm, points, at, alarm.evaluation_periods + LOOK_BACK_PERIODS)
            if v is not None
        ][-alarm.evaluation_periods :]
        if not found:
            return previous
        periods = list(found)
    breaching = 0
    for value in periods:
        if value is None:
            breaching += alarm.treat_missing_data == BREACHING
            assert alarm.treat_missing_data in (BREACHING, NOT_BREACHING)
        else:
            breaching += _breaches(alarm, value)
    return ALARM if breaching >= alarm.datapoints_to_alarm else OK
