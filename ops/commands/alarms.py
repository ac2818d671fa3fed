"""`ops alarms list | mute | unmute | test ALARM`."""

from __future__ import annotations

from typing import Any

import click

from ops.confirm import confirm
from ops.console import emit, table, warn
from ops.context import OpsContext
from ops.options import mutating_options, reading_options


def _catalog_ids(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...] | str
) -> tuple[str, ...] | str:
    """click callback: every ALARM must be a catalog id (bad usage, exit 2, before any prompt)."""
    from stacks.contract.alarm_catalog import ALARM_IDS

    given = (value,) if isinstance(value, str) else value
    unknown = [alarm_id for alarm_id in given if alarm_id not in ALARM_IDS]
    if unknown:
        raise click.BadParameter(
            f"unknown alarm {', '.join(map(repr, unknown))}; known: {', '.join(ALARM_IDS)}"
        )
    return value


@click.group()
def alarms() -> None:
    """The catalog's alarms (stacks/contract/alarm_catalog.py) in one environment."""


@alarms.command("list")
@reading_options
@click.pass_obj
def alarms_list(obj: OpsContext, env: str, as_json: bool) -> None:
    """Every catalog alarm with its state and whether its actions are enabled."""
    from ops import alarms as logic

    rows = logic.describe(obj.aws(env), env)
    emit(
        rows,
        as_json=as_json,
        text=lambda rs: table(
            [(r["id"], r["state"], "on" if r["actions_enabled"] else "MUTED", r["severity"])
             for r in rs],
            ("alarm", "state", "actions", "severity"),
        ),
    )  # fmt: skip


def _set(obj: OpsContext, env: str, ids: tuple[str, ...], *, enabled: bool, **flags: bool) -> None:
    from ops.scale import manual

    verb = "unmute" if enabled else "mute"
    if not flags["dry_run"]:
        confirm(env=env, action=f"{verb} {len(ids) or 'all'} alarm(s)", yes=flags["yes"])
    outcome = manual.set_alarm_actions(
        obj.aws(env), env, ids, enabled=enabled, dry_run=flags["dry_run"]
    )
    changed = outcome.changed
    result = {
        "action": verb,
        "changed": changed,
        "dry_run": flags["dry_run"],
        "result": outcome.result,
        "notes": outcome.notes,
    }
    emit(result, as_json=flags["as_json"], text=lambda r: f"{verb}d: {len(changed)} alarm(s)")
    for note in outcome.notes:
        warn(note)


@alarms.command("mute")
@click.argument("alarm_ids", nargs=-1, metavar="[ALARM]...", callback=_catalog_ids)
@mutating_options
@click.pass_obj
def alarms_mute(obj: OpsContext, /, alarm_ids: tuple[str, ...], env: str, **flags: bool) -> None:
    """Disable the actions of these alarms (all when none is named)."""
    _set(obj, env, alarm_ids, enabled=False, **flags)


@alarms.command("unmute")
@click.argument("alarm_ids", nargs=-1, metavar="[ALARM]...", callback=_catalog_ids)
@mutating_options
@click.pass_obj
def alarms_unmute(obj: OpsContext, /, alarm_ids: tuple[str, ...], env: str, **flags: bool) -> None:
    """Enable the actions of these alarms (all when none is named)."""
    _set(obj, env, alarm_ids, enabled=True, **flags)


@alarms.command("test")
@click.argument("alarm_id", metavar="ALARM", callback=_catalog_ids)
@mutating_options
@click.pass_obj
def alarms_test(obj: OpsContext, /, alarm_id: str, env: str, **flags: bool) -> None:
    """Set ALARM to ALARM then OK and report the topic's confirmed subscriptions."""
    from ops import alarms as logic
    from stacks.contract.names import Outputs

    if not flags["dry_run"]:
        confirm(env=env, action=f"fire a test notification for {alarm_id}", yes=flags["yes"])
    topic = obj.outputs(env).value(Outputs.ALARM_TOPIC_ARN)
    result = logic.test(obj.aws(env), env, alarm_id, topic_arn=topic, dry_run=flags["dry_run"])

    def text(r: dict[str, Any]) -> str:
        subs = ", ".join(f"{s['protocol']}:{s['endpoint']}" for s in r["confirmed_subscriptions"])
        return (
            f"{r['alarm']}: set {' then '.join(r['states_set']) or 'nothing (dry run)'}\n"
            f"confirmed subscriptions: {subs or 'none'}"
        )

    emit(result, as_json=flags["as_json"], text=text)
    for warning in result["warnings"]:
        warn(warning)
