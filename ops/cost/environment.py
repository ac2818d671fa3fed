"""Estimates of one environment: per state from its synthesized templates, or live from AWS."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ops.cost.estimate import (
    PARKED,
    RUNNING,
    SCALED_TO_ZERO,
    SCHEDULED,
    STATES,
    Estimate,
    blend,
    estimate,
)
from ops.cost.inventory import Inventory, inventory
from ops.cost.prices import load_assumptions, load_prices
from ops.cost.synth import synthesize
from stacks.contract import names

if TYPE_CHECKING:
    from cdk_app.config import EnvConfig, ScheduleConfig
    from ops.aws.session import Aws
    from ops.aws.stack_outputs import StackOutputs

Synth = Callable[..., Mapping[str, Mapping[str, Any]]]
RESTART_NOTE = (
    "keep_rds_stopped is false: AWS restarts a stopped RDS instance after 7 days and it then "
    "bills instance hours until stopped again (set keep_rds_stopped: true to prevent it)"
)
HOURS_PER_WEEK = 168
RUNNING_NOTE = "running = every service at its autoscaling minimum (min_tasks)"


def _config(env: str) -> EnvConfig:
    from cdk_app.config import load

    return load(env)


def estimate_states(
    env: str,
    states: Iterable[str] = STATES,
    *,
    synth: Synth = synthesize,
    price_region: str | None = None,
) -> list[Estimate]:
    """One estimate per state; synthesizes the unparked and/or parked templates as needed.

    Prices are those of the env's region unless `price_region` names another price table.
    """
    states = list(states)
    known = (*STATES, SCHEDULED)
    unknown = [s for s in states if s not in known]
    if unknown:
        raise ValueError(f"unknown state(s) {', '.join(unknown)}; known: {', '.join(known)}")
    config = _config(env)
    if SCHEDULED in states and config.schedule is None:
        raise ValueError(f"{env} has no schedule (config key `schedule` is null)")
    prices = load_prices(price_region or config.region)
    assumptions = load_assumptions()
    cache: dict[bool, Inventory] = {}

    def inv(parked: bool) -> Inventory:
        if parked not in cache:
            cache[parked] = inventory(synth(env, parked=parked).values())
        return cache[parked]

    def priced(state: str) -> Estimate:
        if state == SCHEDULED:
            assert config.schedule is not None  # refused above without one
            resting = PARKED if config.schedule.park else SCALED_TO_ZERO
            return _scheduled(config.schedule, priced(RUNNING), priced(resting))
        running = state == RUNNING
        tasks = {n: s.min_tasks for n, s in config.services.items()} if running else {}
        est = estimate(
            inv(state == PARKED),
            state=state,
            prices=prices,
            assumptions=assumptions,
            tasks=tasks,
            rds_running=running,
            schedules_enabled=running,
        )
        est.notes.append(f"prices: {prices.path.name}, as of {prices.as_of}")
        if running:
            est.notes.append(RUNNING_NOTE)
        elif not config.keep_rds_stopped:
            est.notes.append(RESTART_NOTE)
        return est

    return [priced(state) for state in states]


def _scheduled(schedule: ScheduleConfig, running: Estimate, resting: Estimate) -> Estimate:
    """Running for the schedule's hours up a week; parked (`schedule.park`) or scaled to zero
    for the rest."""
    weekly = schedule.weekly()
    hours = weekly.hours_up_per_week()
    est = blend(running, resting, up_fraction=hours / HOURS_PER_WEEK, state=SCHEDULED)
    est.notes += [
        f"scheduled = running {hours:g} h of {HOURS_PER_WEEK} h a week (up {schedule.up}, "
        f"down {schedule.down}, {weekly.timezone}), {resting.state} the rest",
        f"{est.total_usd / running.total_usd:.0%} of always-on running "
        f"(${running.total_usd:,.2f}); the floor, always {resting.state}, is "
        f"{resting.total_usd / running.total_usd:.0%}",
        *(n for n in running.notes if n != RUNNING_NOTE),
    ]
    if not schedule.enabled:
        est.notes.append("the schedule is disabled (schedule.enabled: false): it does not run")
    return est


def deployed_templates(aws: Aws, env: str) -> dict[str, dict[str, Any]]:
    """The deployed templates of `env`'s stacks (a stack that does not exist is skipped)."""

    from botocore.exceptions import ClientError

    cfn = aws.client("cloudformation")
    templates: dict[str, dict[str, Any]] = {}
    for part in names.STACK_PARTS:
        stack = names.stack_name(env, part)
        try:
            body = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
        except ClientError as exc:
            if "does not exist" in str(exc):
                continue
            raise
        templates[stack] = _template(body)
    return templates


def _template(body: object) -> dict[str, Any]:
    """botocore decodes a JSON template body into a dict; a YAML one stays a string."""
    if isinstance(body, str):
        import json

        return dict(json.loads(body))
    if isinstance(body, dict):
        return dict(body)
    raise TypeError(f"unexpected template body: {type(body).__name__}")


def current_burn(aws: Aws, env: str, *, outputs: StackOutputs | None = None) -> Estimate:
    """The monthly burn rate right now: deployed templates, desired task counts, RDS state.

    `ops status` calls this; it needs only read access (CloudFormation, ECS, RDS, EventBridge).
    """
    from ops import collectors, rds, services
    from ops.aws.stack_outputs import StackOutputs

    outputs = outputs or StackOutputs(aws, env)
    cluster = outputs.value(names.Outputs.CLUSTER_NAME)
    by_role = outputs.service_names()
    described = services.describe(aws, cluster, list(by_role.values()))
    tasks = {role: int(described[name]["desiredCount"]) for role, name in by_role.items()}
    instance = outputs.value(names.Outputs.DATABASE_INSTANCE_ID)
    status = rds.describe(aws, instance)["DBInstanceStatus"]
    rules = collectors.enabled_map(aws, outputs)  # none named: the templates' rule states stand
    est = estimate(
        inventory(deployed_templates(aws, env).values()),
        state="current",
        prices=load_prices(aws.region),
        assumptions=load_assumptions(),
        tasks=tasks,
        rds_running=status not in ("stopped", "stopping"),
        schedules_enabled=any(rules.values()) if rules else True,
    )
    est.notes.append(f"desired tasks {tasks}; RDS {status}")
    return est
