"""`ops status`: services, scaling, database, cache, targets, collectors, alarms, concurrently."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, TypeVar, cast

from ops import alarms, collector_runs, collectors, rds, services
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError, describe_aws_error, is_aws_error
from ops.scale import state as scale_state
from stacks.contract import names

if TYPE_CHECKING:
    from typing_extensions import TypeIs

T = TypeVar("T")


class SectionError(TypedDict):
    """A section that could not be read, in place of its content."""

    error: str


class ServiceSection(TypedDict):
    name: str
    desired: int
    running: int
    pending: int
    min: int | None
    max: int | None
    scaling_suspended: bool


class RedisSection(TypedDict):
    id: str | None
    status: str


class EdgeSection(TypedDict):
    url: str | None
    distribution: str | None  # None: plain HTTP through the load balancer
    status: NotRequired[str]
    enabled: NotRequired[bool]
    paused: NotRequired[bool]


class CollectorRunSection(TypedDict):
    rule: str
    state: str
    last_success: str | None  # ISO time, from the collector's metrics (ops.collector_runs)
    items_stored: int | None


class CollectorsSection(TypedDict):
    rules: dict[str, str]  # rule name -> ENABLED | DISABLED | MISSING
    by_state: dict[str, int]
    runs: dict[str, CollectorRunSection]  # by collector
    runs_source: str
    runs_error: NotRequired[str]  # the metrics could not be read; the rules stand


class AlarmsSection(TypedDict):
    by_state: dict[str, int]
    firing: list[str]
    muted: list[str]


class ScaleSection(TypedDict):
    scaled_to_zero: bool
    phase: NotRequired[str]
    since: NotRequired[str]
    by: NotRequired[str]
    actor: NotRequired[str]
    reason: NotRequired[str]


class CostSection(TypedDict):
    monthly_usd: float | None
    region: str
    note: NotRequired[str]


class Status(TypedDict):
    """What `ops status --json` prints: the env, then one entry per section."""

    env: str
    services: dict[str, ServiceSection] | SectionError  # by role
    rds: dict[str, Any] | SectionError  # ops.rds.RdsStatus.to_dict()
    redis: RedisSection | SectionError
    targets: dict[str, dict[str, int]] | SectionError  # role -> target state -> count
    edge: EdgeSection | SectionError
    collectors: CollectorsSection | SectionError
    alarms: AlarmsSection | SectionError
    scale: ScaleSection | SectionError
    cost: CostSection | SectionError


SECTIONS: tuple[str, ...] = tuple(key for key in Status.__annotations__ if key != "env")


def failed(section: object) -> TypeIs[SectionError]:
    """True for a section that could not be read."""
    return isinstance(section, dict) and set(section) == {"error"}


def _services(aws: Aws, outputs: StackOutputs) -> dict[str, ServiceSection]:
    _, views = services.read_all(aws, outputs)
    return {
        role: {
            "name": view.name,
            "desired": view.ecs["desiredCount"],
            "running": view.ecs["runningCount"],
            "pending": view.ecs["pendingCount"],
            "min": view.bound("MinCapacity"),
            "max": view.bound("MaxCapacity"),
            "scaling_suspended": view.target is not None
            and any(services.suspended_flags(view.target).values()),
        }
        for role, view in views.items()
    }


def _redis(aws: Aws, outputs: StackOutputs) -> RedisSection:
    if names.Outputs.CACHE_REPLICATION_GROUP_ID not in outputs.of_stack(names.DATA):
        return {"id": None, "status": "none (parked)"}  # stacks/contract/parked.py
    group_id = outputs.value(names.Outputs.CACHE_REPLICATION_GROUP_ID)
    group = aws.client("elasticache").describe_replication_groups(ReplicationGroupId=group_id)
    return {"id": group_id, "status": group["ReplicationGroups"][0]["Status"]}


def _targets(aws: Aws, outputs: StackOutputs) -> dict[str, dict[str, int]]:
    keys = names.TARGET_GROUP_ARN_OUTPUTS
    result: dict[str, dict[str, int]] = {}
    if not set(keys.values()) <= set(outputs.of_stack(names.SERVICE)):
        return result  # parked: no load balancer (stacks/contract/parked.py)
    for role, key in keys.items():
        health = aws.client("elbv2").describe_target_health(TargetGroupArn=outputs.value(key))
        states = Counter(d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"])
        result[role] = dict(sorted(states.items()))
    return result


def _edge(aws: Aws, outputs: StackOutputs) -> EdgeSection:
    """The public URL and, behind CloudFront, the distribution's deployment state."""
    service = outputs.of_stack(names.SERVICE)
    url = service.get(names.Outputs.PUBLIC_URL)
    distribution_id = service.get(names.Outputs.DISTRIBUTION_ID)
    if distribution_id is None:  # acknowledged plain HTTP: the URL is the load balancer's
        return {"url": url, "distribution": None}
    found = aws.client("cloudfront").get_distribution(Id=distribution_id)["Distribution"]
    return {
        "url": url,
        "distribution": distribution_id,
        "status": found["Status"],
        "enabled": found["DistributionConfig"]["Enabled"],
        # stacks/contract/parked.py: no load balancer, a function answers "paused"
        "paused": names.Outputs.LOAD_BALANCER_DNS_NAME not in service,
    }


def _collectors(aws: Aws, outputs: StackOutputs, env: str) -> CollectorsSection:
    """Rule states, and per collector its rule, last successful run and items stored."""
    rules = collectors.states(aws, collectors.rule_names(outputs))
    by_collector = {
        name: rule for rule in rules if (name := collector_runs.collector_of(env, rule)) is not None
    }
    result: CollectorsSection = {
        "rules": rules,
        "by_state": dict(sorted(Counter(rules.values()).items())),
        "runs": {},
        "runs_source": collector_runs.SOURCE,
    }
    try:
        runs = collector_runs.last_successes(aws, env, sorted(by_collector))
    except Exception as exc:  # the rule states stand without the metrics
        if not is_aws_error(exc):
            raise
        result["runs_error"] = describe_aws_error(exc)
        return result
    result["runs"] = {
        name: {
            "rule": rule,
            "state": rules[rule],
            "last_success": runs[name]["last_success"],
            "items_stored": runs[name]["items_stored"],
        }
        for name, rule in sorted(by_collector.items())
    }
    return result


def _alarms(aws: Aws, env: str) -> AlarmsSection:
    rows = alarms.describe(aws, env)
    return {
        "by_state": dict(sorted(Counter(row["state"] for row in rows).items())),
        "firing": [row["id"] for row in rows if row["state"] == "ALARM"],
        "muted": [row["id"] for row in rows if row["exists"] and not row["actions_enabled"]],
    }


def _scaled(aws: Aws, env: str) -> ScaleSection:
    state = scale_state.load(aws, env)
    if state is None or not state.pending:
        return {"scaled_to_zero": False}
    return {
        "scaled_to_zero": True,
        "phase": state.phase.value,
        "since": state.saved_at,
        "by": state.saved_by,
        "actor": state.actor.value,
        "reason": state.reason,
    }


def _cost(aws: Aws, outputs: StackOutputs, env: str) -> CostSection:
    from ops.cost.environment import current_burn

    try:
        burn = current_burn(aws, env, outputs=outputs)
    except ValueError as exc:  # no price table or an unpriced size: the rest of status stands
        return {"monthly_usd": None, "region": aws.region, "note": str(exc)}
    return {"monthly_usd": burn.total_usd, "region": burn.region}


def _read(future: Future[T]) -> T | SectionError:
    """A section's result, or its error when an OpsError or an AWS error stopped it."""
    try:
        return future.result()
    except OpsError as exc:
        return {"error": exc.message}
    except Exception as exc:
        if not is_aws_error(exc):
            raise
        return {"error": describe_aws_error(exc)}


def collect(aws: Aws, outputs: StackOutputs, env: str) -> Status:
    """Every section of the status; a section that fails carries an `error` instead."""
    # The sections create their clients as they go: Aws.client serializes creation (boto3's is
    # not thread-safe), and the clients themselves are.
    for part in (names.DATA, names.SERVICE):
        outputs.of_stack(part)
    instance_id = outputs.value(names.Outputs.DATABASE_INSTANCE_ID)
    sections: dict[str, Callable[[], object]] = {
        "services": lambda: _services(aws, outputs),
        "rds": lambda: rds.status(aws, instance_id).to_dict(),
        "redis": lambda: _redis(aws, outputs),
        "targets": lambda: _targets(aws, outputs),
        "edge": lambda: _edge(aws, outputs),
        "collectors": lambda: _collectors(aws, outputs, env),
        "alarms": lambda: _alarms(aws, env),
        "scale": lambda: _scaled(aws, env),
        "cost": lambda: _cost(aws, outputs, env),
    }
    with ThreadPoolExecutor(max_workers=len(sections)) as pool:
        futures = {key: pool.submit(fn) for key, fn in sections.items()}
    result = {"env": env, **{key: _read(future) for key, future in futures.items()}}
    # Each key of `sections` is a section of Status, with the type its function returns.
    return cast("Status", result)


def failed_sections(status: Status) -> list[str]:
    """Sections that could not be read."""
    return [key for key in SECTIONS if failed(status.get(key))]


def text(status: Status) -> str:
    """The status for people."""
    lines = [f"Environment {status['env']}"]
    scale = status["scale"]
    if not failed(scale) and scale["scaled_to_zero"]:
        how = "" if scale.get("phase") == "down" else " (a restore began and did not finish)"
        why = f": {scale.get('reason')}" if scale.get("reason") else ""
        lines.append(
            f"  SCALED TO ZERO since {scale.get('since')} by {scale.get('by')}"
            f" ({scale.get('actor')}{why}){how}"
        )
    services_ = status["services"]
    for role, s in services_.items() if not failed(services_) else ():
        bounds = f"min {s['min']} max {s['max']}" if s["min"] is not None else "no autoscaling"
        paused = ", scaling suspended" if s["scaling_suspended"] else ""
        lines.append(
            f"  {role:<9} desired {s['desired']} running {s['running']} pending {s['pending']}"
            f" ({bounds}{paused})"
        )
    rds_ = status["rds"]
    if not failed(rds_):
        stopped = f", stopped {rds_['stopped_days']} days" if rds_.get("stopped_days") else ""
        lines.append(f"  database  {rds_['status']}{stopped}")
        if rds_.get("warning"):
            lines.append(f"  WARNING: {rds_['warning']}")
    redis = status["redis"]
    if not failed(redis):
        lines.append(f"  redis     {redis['status']}")
    edge = status["edge"]
    if not failed(edge):
        url = edge["url"] or "none (parked, plain HTTP)"
        if edge["distribution"] is None:
            lines.append(f"  public    {url} (plain HTTP, acknowledged in the env's YAML)")
        else:
            paused = ", answering 503 paused" if edge.get("paused") else ""
            lines.append(f"  public    {url} (CloudFront {edge.get('status')}{paused})")
    targets = status["targets"]
    for role, states in targets.items() if not failed(targets) else ():
        listed = ", ".join(f"{k} {v}" for k, v in states.items()) or "no targets"
        lines.append(f"  targets   {role}: {listed}")
    collectors_ = status["collectors"]
    if not failed(collectors_):
        counts = collectors_["by_state"]
        listed = ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
        lines.append(f"  collectors {listed}")
        for name, run in collectors_["runs"].items():
            last = run["last_success"] or f"none in {collector_runs.LOOK_BACK.days} days"
            stored = "" if run["items_stored"] is None else f", {run['items_stored']} items stored"
            lines.append(f"    {name:<11} {run['state']:<8} last success {last}{stored}")
        if collectors_["runs"]:
            lines.append(f"    (runs from {collectors_['runs_source']})")
        if "runs_error" in collectors_:
            lines.append(f"    last runs unknown: {collectors_['runs_error']}")
    a = status["alarms"]
    if not failed(a):
        lines.append("  alarms    " + ", ".join(f"{k} {v}" for k, v in a["by_state"].items()))
        if a["firing"]:
            lines.append(f"  FIRING: {', '.join(a['firing'])}")
        if a["muted"]:
            lines.append(f"  muted: {', '.join(a['muted'])}")
    cost = status["cost"]
    if not failed(cost):
        if cost["monthly_usd"] is None:
            lines.append(f"  burn rate unknown: {cost.get('note', '')}")
        else:
            usd = cost["monthly_usd"]
            lines.append(f"  burn rate ${usd:,.2f}/month ({cost['region']} prices, ops cost)")
    for key in SECTIONS:
        section = status.get(key)
        if failed(section):
            lines.append(f"  {key}: ERROR {section['error']}")
    return "\n".join(lines)
