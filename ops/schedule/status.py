"""`ops schedule status|skip|hold`: read and change what the scheduled runs will do."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from ops.aws.session import Aws
from ops.errors import OpsError, error_code
from ops.scale import state as scale_state
from ops.schedule import requests as stored
from ops.schedule.decide import skip_matches
from stacks.contract import names
from stacks.contract.schedule import DIRECTIONS, WeeklySchedule, zone

if TYPE_CHECKING:
    from cdk_app.config import EnvConfig, ScheduleConfig


def schedule_of(config: EnvConfig) -> ScheduleConfig:
    """The env's schedule; OpsError naming the file when it has none."""
    if config.schedule is None:
        raise OpsError(f"{config.name} has no schedule (`schedule: null` in {config.source})")
    return config.schedule


def _deployed_state(aws: Aws, env: str, direction: str) -> str:
    from botocore.exceptions import ClientError

    try:
        found = aws.client("scheduler").get_schedule(Name=names.scale_schedule_name(env, direction))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return "not deployed"
        raise
    return str(found.get("State", "ENABLED")).lower()


def _function_stopped(aws: Aws, env: str) -> bool:
    """True when the function's reserved concurrency is 0 (the emergency stop)."""
    from botocore.exceptions import ClientError

    try:
        found = aws.client("lambda").get_function_concurrency(
            FunctionName=names.scheduled_scale_function(env)
        )
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return False
        raise
    return bool(found.get("ReservedConcurrentExecutions") == 0)


def status(aws: Aws, config: EnvConfig, *, now: datetime) -> dict[str, Any]:
    """The schedule, its next times in local time, skips, hold, last run and the scale state."""
    schedule = schedule_of(config)
    weekly = schedule.weekly()
    requests = stored.load_requests(aws, config.name)
    last = stored.load_last_run(aws, config.name)
    state = scale_state.load(aws, config.name)
    upcoming = {}
    for direction in DIRECTIONS:
        at = weekly.next_time(direction, now)
        upcoming[direction] = {
            "at": at.isoformat(),
            "skipped": skip_matches(requests, direction, at),
            "held": requests.held_at(at),
        }
    return {
        "env": config.name,
        "timezone": weekly.timezone,
        "up": schedule.up,
        "down": schedule.down,
        "enabled": schedule.enabled,
        "parks": schedule.park,  # the down parks, the up unparks
        "parked": config.parked,
        "deployed": {d: _deployed_state(aws, config.name, d) for d in DIRECTIONS},
        "function_stopped": _function_stopped(aws, config.name),
        "next": upcoming,
        "hold": (
            {"until": requests.hold_until, "by": requests.hold_by}
            if requests.held_at(now)
            else None
        ),
        "last_run": None if last is None else last.to_json(),
        "scale_state": None
        if state is None
        else {
            "phase": state.phase.value,
            "actor": state.actor.value,
            "reason": state.reason,
            "saved_at": state.saved_at,
            "saved_by": state.saved_by,
            "stacks_parked": state.parked,
        },
    }


def skip_next(
    aws: Aws, config: EnvConfig, direction: str, *, now: datetime, dry_run: bool
) -> dict[str, Any]:
    """Skip the next `direction` run; returns what was (or would be) saved."""
    weekly = schedule_of(config).weekly()
    at = weekly.next_time(direction, now)
    requests = stored.load_requests(aws, config.name)
    if not dry_run:
        updated = replace(requests, skip={**requests.skip, direction: at.isoformat()})
        stored.save_requests(aws, config.name, updated)
    return {"env": config.name, "skip": direction, "at": at.isoformat(), "dry_run": dry_run}


def parse_until(text: str, weekly: WeeklySchedule) -> datetime:
    """`2026-12-29` (midnight) or `2026-12-29T08:00` in the schedule's zone, or with an offset."""
    tz = zone(weekly.timezone)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=tz)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise OpsError(
            f"--until {text!r}: expected a date (2026-12-29) or a local time (2026-12-29T08:00)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def hold(
    aws: Aws,
    config: EnvConfig,
    until: str | None,
    *,
    now: datetime,
    dry_run: bool,
) -> dict[str, Any]:
    """Hold every scheduled run until a time (None: clear the hold)."""
    weekly = schedule_of(config).weekly()
    requests = stored.load_requests(aws, config.name)
    end = None if until is None else parse_until(until, weekly)
    if end is not None and end <= now:
        raise OpsError(f"--until {until!r} is not in the future")
    updated = replace(
        requests,
        hold_until=None if end is None else end.isoformat(),
        hold_by="" if end is None else scale_state.holder(),
    )
    if not dry_run:
        stored.save_requests(aws, config.name, updated)
    return {
        "env": config.name,
        "hold_until": updated.hold_until,
        "cleared": end is None,
        "dry_run": dry_run,
    }
