"""`ops park` / `ops unpark`: the cheapest resting state of an environment, and back."""

from __future__ import annotations

from typing import Any

import click

from ops.context import OpsContext
from ops.options import mutating_options


def _burns(obj: OpsContext, env: str, *, dry_run: bool, parked_after: bool) -> dict[str, Any]:
    """Cost before = the live burn rate; after = live again, or the synthesized estimate if dry."""
    from ops.cost.environment import current_burn, estimate_states
    from ops.cost.estimate import PARKED, RUNNING

    aws = obj.aws(env)
    planned = PARKED if parked_after else RUNNING

    def after() -> Any:
        return estimate_states(env, [planned])[0] if dry_run else current_burn(aws, env)

    return {"before": lambda: current_burn(aws, env), "after": after}


@click.command()
@mutating_options
@click.pass_obj
def park(obj: OpsContext, env: str, as_json: bool, dry_run: bool, yes: bool, wait: bool) -> None:
    """Scale to zero, then deploy without NAT gateways, Redis and the load balancer.

    The public URL stays and answers 503 "paused" until `ops unpark`."""
    from cdk_app.config import load
    from ops.confirm import confirm
    from ops.console import warn
    from ops.results import finish
    from ops.scale import park as parking

    if not load(env).keep_rds_stopped:
        warn(
            f"keep_rds_stopped is false for {env}: AWS restarts the stopped database after 7 "
            "days and bills it until stopped again (`ops rds stop`)"
        )
    if not dry_run:
        confirm(
            env=env, action="park (scale to 0, remove NAT gateways, Redis and the ALB)", yes=yes
        )
    report = parking.park(
        obj.aws(env),
        obj.outputs(env),
        env,
        dry_run=dry_run,
        wait=wait,
        **_burns(obj, env, dry_run=dry_run, parked_after=True),
    )
    finish(report, as_json=as_json)


@click.command()
@mutating_options
@click.pass_obj
def unpark(obj: OpsContext, env: str, as_json: bool, dry_run: bool, yes: bool, wait: bool) -> None:
    """Deploy the full stacks again, then restore the scale state saved by `ops park`."""
    from ops.confirm import confirm
    from ops.results import finish
    from ops.scale import park as parking

    if not dry_run:
        confirm(env=env, action="unpark (deploy NAT, Redis, ALB; restore services)", yes=yes)
    report = parking.unpark(
        obj.aws(env),
        env,
        dry_run=dry_run,
        wait=wait,
        **_burns(obj, env, dry_run=dry_run, parked_after=False),
    )
    finish(report, as_json=as_json)
