"""`ops cost`: the monthly estimate of an environment per resource, in one or every state."""

from __future__ import annotations

import click

from ops.cost.estimate import SCHEDULED, STATES
from ops.options import reading_options

STATE_CHOICES = (*STATES, SCHEDULED, "all")


@click.command()
@reading_options
@click.option(
    "--state",
    type=click.Choice(STATE_CHOICES),
    default="all",
    show_default=True,
    help="Which operating state to price (scheduled: the config's schedule; all includes it "
    "when the env has one).",
)
def cost(env: str, as_json: bool, state: str) -> None:
    """Monthly cost estimate from the env's synthesized templates and config (pinned prices)."""
    from cdk_app.config import load
    from ops.console import emit, progress
    from ops.cost.environment import estimate_states
    from ops.cost.prices import PriceError
    from ops.cost.render import render_estimate, render_summary
    from ops.errors import OpsError

    if state != "all":
        states: tuple[str, ...] = (state,)
    else:
        states = STATES + ((SCHEDULED,) if load(env).schedule is not None else ())
    progress(f"synthesizing {env} to price it (this takes a little while)...")
    try:
        estimates = estimate_states(env, states)
    except (PriceError, ValueError) as exc:
        raise OpsError(str(exc)) from exc
    data = {"env": env, "estimates": [est.to_dict() for est in estimates]}

    def text(_: object) -> str:
        parts = [render_estimate(est, env=env) for est in estimates]
        if len(estimates) > 1:
            parts.append(render_summary(estimates, env=env))
        return "\n\n".join(parts)

    emit(data, as_json=as_json, text=text)
