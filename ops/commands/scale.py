"""`ops scale --to 0 | restore | N [--service NAME]`."""

from __future__ import annotations

import click

from ops.confirm import confirm
from ops.context import OpsContext
from ops.options import mutating_options
from ops.results import finish
from stacks.contract.names import SERVICES


def _target(value: str) -> str:
    if value in ("0", "restore") or value.isdigit():
        return value
    raise click.BadParameter("expected 0, restore or a task count")


@click.command()
@click.option("--to", "to", required=True, help="0, restore, or a task count N.")
@click.option("--service", type=click.Choice(SERVICES), help="Only this service (with --to N).")
@click.option("--reason", default="", help="Why (with --to 0): saved with the state.")
@mutating_options
@click.pass_obj
def scale(
    obj: OpsContext,
    to: str,
    service: str | None,
    reason: str,
    env: str,
    as_json: bool,
    dry_run: bool,
    yes: bool,
    wait: bool,
) -> None:
    """Scale the environment to zero and back (saved in SSM), or set one service to N tasks.

    --to 0 saves the state, mutes alarm actions, pauses the collectors' rules, pins autoscaling
    to 0/0 with scaling suspended, sets desired counts to 0 and stops RDS. --to restore reverses
    it in order. --to N sets every named service to N, or none of them if one cannot take N.
    """
    from ops.scale import count as counting
    from ops.scale import engine as logic

    try:
        target = _target(to)
    except click.BadParameter as exc:
        exc.param_hint = "'--to'"
        raise
    aws, outputs = obj.aws(env), obj.outputs(env)
    if target == "restore":
        if service:
            raise click.UsageError("--service applies to --to N only")
        if not dry_run:
            confirm(env=env, action="restore the saved scale state", yes=yes)
        report = logic.restore(aws, env, dry_run=dry_run, wait=wait)
    elif target == "0" and not service:
        if not dry_run:
            confirm(env=env, action="scale everything to zero and stop the database", yes=yes)
        report = logic.to_zero(aws, outputs, env, reason=reason, dry_run=dry_run, wait=wait)
    else:
        roles = (service,) if service else SERVICES
        if not dry_run:
            confirm(env=env, action=f"set {', '.join(roles)} to {target} task(s)", yes=yes)
        report = counting.to_count(aws, outputs, env, int(target), roles=roles, dry_run=dry_run)
    finish(report, as_json=as_json)
