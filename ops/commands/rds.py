"""`ops rds stop | start | status`."""

from __future__ import annotations

import click

from ops.confirm import confirm
from ops.console import emit, warn
from ops.context import OpsContext
from ops.options import mutating_options, reading_options


@click.group()
def rds() -> None:
    """The environment's PostgreSQL instance."""


def _instance(obj: OpsContext, env: str) -> str:
    from stacks.contract.names import Outputs

    return obj.outputs(env).value(Outputs.DATABASE_INSTANCE_ID)


@rds.command("status")
@reading_options
@click.pass_obj
def rds_status(obj: OpsContext, env: str, as_json: bool) -> None:
    """State, and how long it has been stopped (RDS restarts it after 7 days)."""
    from ops import rds as logic

    result = logic.status(obj.aws(env), _instance(obj, env))

    def text(r: logic.RdsStatus) -> str:
        line = f"{r.instance_id}: {r.status}"
        if r.stopped_days is not None:
            line += (
                f", stopped {r.stopped_days} days (auto-start {r.auto_start_at:%Y-%m-%d %H:%M} UTC)"
            )
        return line

    emit(result, as_json=as_json, text=text)
    if result.warning:
        warn(result.warning)


def _change(obj: OpsContext, env: str, verb: str, **flags: bool) -> None:
    from ops.scale import manual

    instance = _instance(obj, env)
    if not flags["dry_run"]:
        confirm(env=env, action=f"{verb} database {instance}", yes=flags["yes"])
    run = manual.stop_database if verb == "stop" else manual.start_database
    outcome = run(obj.aws(env), env, instance, dry_run=flags["dry_run"], wait=flags["wait"])
    emit(
        {
            "instance": instance,
            "action": verb,
            "result": outcome.result,
            "dry_run": flags["dry_run"],
            "notes": outcome.notes,
        },
        as_json=flags["as_json"],
        text=lambda r: f"{r['instance']}: {r['result']}",
    )
    for note in outcome.notes:
        warn(note)


@rds.command("stop")
@mutating_options
@click.pass_obj
def rds_stop(obj: OpsContext, /, env: str, **flags: bool) -> None:
    """Stop the instance and mark it meant to stay stopped (the keep-RDS-stopped guard reads it).

    Refuses read replicas and their sources; stopped already = success."""
    _change(obj, env, "stop", **flags)


@rds.command("start")
@mutating_options
@click.pass_obj
def rds_start(obj: OpsContext, /, env: str, **flags: bool) -> None:
    """Clear the stop mark, start the instance and wait until it is available."""
    _change(obj, env, "start", **flags)
