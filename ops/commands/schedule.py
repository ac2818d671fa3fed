"""`ops schedule status | skip --next up|down | hold --until TIME`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ops.context import OpsContext
from ops.options import (
    F,
    dry_run_option,
    env_option,
    json_option,
    reading_options,
    yes_option,
)
from stacks.contract.schedule import DIRECTIONS

if TYPE_CHECKING:
    from datetime import datetime


@click.group()
def schedule() -> None:
    """The scale schedule: next runs, last run, skip one, hold all until a time."""


def _now() -> datetime:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _local(iso: str, timezone: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return f"{datetime.fromisoformat(iso).astimezone(ZoneInfo(timezone)):%a %Y-%m-%d %H:%M %Z}"


def _text(data: dict[str, Any]) -> str:
    tz = data["timezone"]
    mode = "parks" if data["parks"] else "scales to zero"
    lines = [f"{data['env']}: up {data['up']}, down {data['down']} ({tz}); the down {mode}"]
    if not data["enabled"] or data["parked"]:
        why = "disabled (schedule.enabled: false)" if not data["enabled"] else "env is parked"
        lines.append(f"  does nothing: {why}")
    deployed = ", ".join(f"{d} {state}" for d, state in data["deployed"].items())
    lines.append(f"  deployed schedules: {deployed}")
    if data["function_stopped"]:
        lines.append("  EMERGENCY STOP: the function's reserved concurrency is 0")
    for direction, upcoming in data["next"].items():
        flags = [f for f in ("skipped", "held") if upcoming[f]]
        note = f" ({', '.join(flags)})" if flags else ""
        lines.append(f"  next {direction:<4} {_local(upcoming['at'], tz)}{note}")
    if data["hold"]:
        lines.append(f"  hold until {_local(data['hold']['until'], tz)} by {data['hold']['by']}")
    last = data["last_run"]
    if last:
        result = "ok" if last["ok"] else "FAILED"
        detail = f": {last['detail']}" if last["detail"] else ""
        lines.append(
            f"  last run: {last['action']} at {_local(last['scheduled_time'], tz)}, "
            f"{last['decision']}, {result}{detail}"
        )
    else:
        lines.append("  last run: none yet")
    scale = data["scale_state"]
    if scale and scale["phase"] != "restored":
        why = f": {scale['reason']}" if scale["reason"] else ""
        parked = (
            ", stacks parked (`ops unpark` to bring it up early)" if scale["stacks_parked"] else ""
        )
        lines.append(
            f"  scale state: {scale['phase']} since {scale['saved_at']} by {scale['actor']}{why}"
            f"{parked}"
        )
    return "\n".join(lines)


@schedule.command("status")
@reading_options
@click.pass_obj
def schedule_status(obj: OpsContext, env: str, as_json: bool) -> None:
    """Next up and down in local time, skips and hold, the last run and its result."""
    from cdk_app.config import load
    from ops.console import emit
    from ops.schedule import status as logic

    data = logic.status(obj.aws(env), load(env), now=_now())
    emit(data, as_json=as_json, text=_text)


def _changing(func: F) -> F:
    for option in (yes_option, dry_run_option, json_option, env_option):
        func = option(func)
    return func


@schedule.command("skip")
@click.option("--next", "direction", type=click.Choice(DIRECTIONS), required=True)
@_changing
@click.pass_obj
def schedule_skip(
    obj: OpsContext, direction: str, env: str, as_json: bool, dry_run: bool, yes: bool
) -> None:
    """Skip the next scheduled up or down (once)."""
    from cdk_app.config import load
    from ops.confirm import confirm
    from ops.console import emit
    from ops.schedule import status as logic

    config = load(env)
    if not dry_run:
        confirm(env=env, action=f"skip the next scheduled {direction}", yes=yes)
    data = logic.skip_next(obj.aws(env), config, direction, now=_now(), dry_run=dry_run)
    tz = logic.schedule_of(config).timezone
    verb = "would skip" if dry_run else "skips"
    emit(data, as_json=as_json, text=lambda d: f"{env} {verb} {direction} at {_local(d['at'], tz)}")


@schedule.command("hold")
@click.option("--until", "until", help="A date (2026-12-29) or local time (2026-12-29T08:00).")
@click.option("--clear", is_flag=True, help="End the hold now.")
@_changing
@click.pass_obj
def schedule_hold(
    obj: OpsContext,
    until: str | None,
    clear: bool,
    env: str,
    as_json: bool,
    dry_run: bool,
    yes: bool,
) -> None:
    """Keep the environment as it is (up or down): no scheduled run acts until TIME."""
    from cdk_app.config import load
    from ops.confirm import confirm
    from ops.console import emit
    from ops.schedule import status as logic

    if (until is None) == (not clear):
        raise click.UsageError("give exactly one of --until TIME and --clear")
    config = load(env)
    if not dry_run:
        action = "end the schedule's hold" if clear else f"hold the schedule until {until}"
        confirm(env=env, action=action, yes=yes)
    data = logic.hold(obj.aws(env), config, until, now=_now(), dry_run=dry_run)
    tz = logic.schedule_of(config).timezone

    def text(d: dict[str, Any]) -> str:
        prefix = "[dry run] " if dry_run else ""
        if d["cleared"]:
            return f"{prefix}{env}: hold cleared; the schedule runs again"
        return f"{prefix}{env}: no scheduled run acts until {_local(d['hold_until'], tz)}"

    emit(data, as_json=as_json, text=text)
