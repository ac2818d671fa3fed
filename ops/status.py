"""`ops status`: services, scaling, database, cache, targets, collectors, alarms, concurrently."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ops import alarms, collectors, rds, services
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError, describe_aws_error, is_aws_error
from ops.scale import state as scale_state
from stacks.contract import names

CLIENTS = (
    "ecs", "application-autoscaling", "rds", "elasticache", "elbv2", "cloudwatch", "ssm",
    "cloudformation", "events", "cloudfront",
)  # fmt: skip


def _services(aws: Aws, outputs: StackOutputs) -> dict[str, Any]:
    _, views = services.read_all(aws, outputs)
    return {
        role: {
            "name": view.name,
            "desired": view.ecs["desiredCount"],
            "running": view.ecs["runningCount"],
            "pending": view.ecs["pendingCount"],
            "min": view.bound("MinCapacity"),
            "max": view.bound("MaxCapacity"),
            "scaling_suspended": any((view.target or {}).get("SuspendedState", {}).values()),
        }
        for role, view in views.items()
    }


def _redis(aws: Aws, outputs: StackOutputs) -> dict[str, Any]:
    if names.Outputs.CACHE_REPLICATION_GROUP_ID not in outputs.of_stack(names.DATA):
        return {"id": None, "status": "none (parked)"}  # stacks/contract/parked.py
    group_id = outputs.value(names.Outputs.CACHE_REPLICATION_GROUP_ID)
    group = aws.client("elasticache").describe_replication_groups(ReplicationGroupId=group_id)
    return {"id": group_id, "status": group["ReplicationGroups"][0]["Status"]}


def _targets(aws: Aws, outputs: StackOutputs) -> dict[str, Any]:
    keys = {
        names.BACKEND: names.Outputs.BACKEND_TARGET_GROUP_ARN,
        names.FRONTEND: names.Outputs.FRONTEND_TARGET_GROUP_ARN,
    }
    result: dict[str, Any] = {}
    if not set(keys.values()) <= set(outputs.of_stack(names.SERVICE)):
        return result  # parked: no load balancer (stacks/contract/parked.py)
    for role, key in keys.items():
        health = aws.client("elbv2").describe_target_health(TargetGroupArn=outputs.value(key))
        states = Counter(d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"])
        result[role] = dict(sorted(states.items()))
    return result


def _edge(aws: Aws, outputs: StackOutputs) -> dict[str, Any]:
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


def _collectors(aws: Aws, outputs: StackOutputs) -> dict[str, Any]:
    rules = collectors.states(aws, collectors.rule_names(outputs))
    return {"rules": rules, "by_state": dict(sorted(Counter(rules.values()).items()))}


def _alarms(aws: Aws, env: str) -> dict[str, Any]:
    rows = alarms.describe(aws, env)
    return {
        "by_state": dict(sorted(Counter(row["state"] for row in rows).items())),
        "firing": [row["id"] for row in rows if row["state"] == "ALARM"],
        "muted": [row["id"] for row in rows if row["exists"] and not row["actions_enabled"]],
    }


def _scaled(aws: Aws, env: str) -> dict[str, Any]:
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


def _cost(aws: Aws, outputs: StackOutputs, env: str) -> dict[str, Any]:
    from ops.cost.environment import current_burn

    try:
        burn = current_burn(aws, env, outputs=outputs)
    except ValueError as exc:  # no price table or an unpriced size: the rest of status stands
        return {"monthly_usd": None, "region": aws.region, "note": str(exc)}
    return {"monthly_usd": burn.total_usd, "region": burn.region}


def collect(aws: Aws, outputs: StackOutputs, env: str) -> dict[str, Any]:
    """Every section of the status; a section that fails carries an `error` instead."""
    for client in CLIENTS:  # create clients up front: creation is not thread-safe, calls are
        aws.client(client)
    for part in (names.DATA, names.SERVICE):
        outputs.of_stack(part)
    instance_id = outputs.value(names.Outputs.DATABASE_INSTANCE_ID)
    sections: dict[str, Callable[[], Any]] = {
        "services": lambda: _services(aws, outputs),
        "rds": lambda: rds.status(aws, instance_id).to_dict(),
        "redis": lambda: _redis(aws, outputs),
        "targets": lambda: _targets(aws, outputs),
        "edge": lambda: _edge(aws, outputs),
        "collectors": lambda: _collectors(aws, outputs),
        "alarms": lambda: _alarms(aws, env),
        "scale": lambda: _scaled(aws, env),
        "cost": lambda: _cost(aws, outputs, env),
    }
    with ThreadPoolExecutor(max_workers=len(sections)) as pool:
        futures = {key: pool.submit(fn) for key, fn in sections.items()}
    result: dict[str, Any] = {"env": env}
    for key, future in futures.items():
        try:
            result[key] = future.result()
        except OpsError as exc:
            result[key] = {"error": exc.message}
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            result[key] = {"error": describe_aws_error(exc)}
    return result


def failed_sections(status: dict[str, Any]) -> list[str]:
    """Sections that could not be read."""
    return [k for k, v in status.items() if isinstance(v, dict) and "error" in v]


def text(status: dict[str, Any]) -> str:
    """The status for people."""
    lines = [f"Environment {status['env']}"]
    scale = status.get("scale", {})
    if scale.get("scaled_to_zero"):
        how = "" if scale["phase"] == "down" else " (a restore began and did not finish)"
        why = f": {scale['reason']}" if scale["reason"] else ""
        lines.append(
            f"  SCALED TO ZERO since {scale['since']} by {scale['by']} ({scale['actor']}{why}){how}"
        )
    for role, s in status["services"].items() if "error" not in status["services"] else ():
        bounds = f"min {s['min']} max {s['max']}" if s["min"] is not None else "no autoscaling"
        paused = ", scaling suspended" if s["scaling_suspended"] else ""
        lines.append(
            f"  {role:<9} desired {s['desired']} running {s['running']} pending {s['pending']}"
            f" ({bounds}{paused})"
        )
    rds_ = status["rds"]
    if "error" not in rds_:
        stopped = f", stopped {rds_['stopped_days']} days" if rds_.get("stopped_days") else ""
        lines.append(f"  database  {rds_['status']}{stopped}")
        if rds_.get("warning"):
            lines.append(f"  WARNING: {rds_['warning']}")
    if "error" not in status["redis"]:
        lines.append(f"  redis     {status['redis']['status']}")
    edge = status.get("edge", {"error": ""})
    if "error" not in edge:
        url = edge["url"] or "none (parked, plain HTTP)"
        if edge["distribution"] is None:
            lines.append(f"  public    {url} (plain HTTP, acknowledged in the env's YAML)")
        else:
            paused = ", answering 503 paused" if edge["paused"] else ""
            lines.append(f"  public    {url} (CloudFront {edge['status']}{paused})")
    if "error" not in status["targets"]:
        for role, states in status["targets"].items():
            listed = ", ".join(f"{k} {v}" for k, v in states.items()) or "no targets"
            lines.append(f"  targets   {role}: {listed}")
    if "error" not in status.get("collectors", {"error": ""}):
        counts = status["collectors"]["by_state"]
        listed = ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
        lines.append(f"  collectors {listed}")
    if "error" not in status["alarms"]:
        a = status["alarms"]
        lines.append("  alarms    " + ", ".join(f"{k} {v}" for k, v in a["by_state"].items()))
        if a["firing"]:
            lines.append(f"  FIRING: {', '.join(a['firing'])}")
        if a["muted"]:
            lines.append(f"  muted: {', '.join(a['muted'])}")
    if "error" not in status.get("cost", {"error": ""}):
        cost = status["cost"]
        if cost["monthly_usd"] is None:
            lines.append(f"  burn rate unknown: {cost['note']}")
        else:
            usd = cost["monthly_usd"]
            lines.append(f"  burn rate ${usd:,.2f}/month ({cost['region']} prices, ops cost)")
    for key in failed_sections(status):
        lines.append(f"  {key}: ERROR {status[key]['error']}")
    return "\n".join(lines)
