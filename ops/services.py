"""ECS services and their Application Auto Scaling targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.console import progress
from ops.errors import OpsError
from ops.waiting import POLL_SECONDS, poll
from stacks.contract import names

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling.type_defs import (
        ScalableTargetTypeDef,
        SuspendedStateTypeDef,
    )
    from mypy_boto3_ecs.type_defs import ServiceTypeDef

DIMENSION: Final = "ecs:service:DesiredCount"
SUSPEND_ALL: dict[str, bool] = {
    "DynamicScalingInSuspended": True,
    "DynamicScalingOutSuspended": True,
    "ScheduledScalingSuspended": True,
}


def suspended_state(flags: Mapping[str, bool]) -> SuspendedStateTypeDef:
    """Autoscaling's SuspendedState from flags by name (a flag not given = not suspended)."""
    return {
        "DynamicScalingInSuspended": flags.get("DynamicScalingInSuspended", False),
        "DynamicScalingOutSuspended": flags.get("DynamicScalingOutSuspended", False),
        "ScheduledScalingSuspended": flags.get("ScheduledScalingSuspended", False),
    }


def suspended_flags(target: ScalableTargetTypeDef) -> dict[str, bool]:
    """The target's SuspendedState as flags by name (all False when it has none)."""
    state = target.get("SuspendedState", {})
    return {key: bool(state.get(key, False)) for key in SUSPEND_ALL}


def resource_id(cluster: str, service: str) -> str:
    """Application Auto Scaling's id of an ECS service."""
    return f"service/{cluster}/{service}"


def describe(aws: Aws, cluster: str, services: list[str]) -> dict[str, ServiceTypeDef]:
    """Each service's description by name; a missing or inactive service is a clear error."""
    response = aws.client("ecs").describe_services(cluster=cluster, services=services)
    found = {s["serviceName"]: s for s in response["services"] if s.get("status") == "ACTIVE"}
    missing = [name for name in services if name not in found]
    if missing:
        raise OpsError(f"ECS service(s) not found in cluster {cluster}: {', '.join(missing)}")
    return found


def scalable_targets(
    aws: Aws, cluster: str, services: list[str]
) -> dict[str, ScalableTargetTypeDef]:
    """Each service's scalable target (min, max, suspended state) by service name, if registered."""
    ids = [resource_id(cluster, s) for s in services]
    response = aws.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=ids, ScalableDimension=DIMENSION
    )
    by_id = {t["ResourceId"]: t for t in response["ScalableTargets"]}
    return {s: by_id[resource_id(cluster, s)] for s in services if resource_id(cluster, s) in by_id}


@dataclass(frozen=True)
class ServiceView:
    """One service as ECS describes it, with its scalable target (None when unregistered)."""

    name: str
    ecs: ServiceTypeDef
    target: ScalableTargetTypeDef | None

    def bound(self, key: Literal["MinCapacity", "MaxCapacity"]) -> int | None:
        """`MinCapacity` or `MaxCapacity` of the scalable target, if any."""
        return self.target[key] if self.target else None


def read_all(aws: Aws, outputs: StackOutputs) -> tuple[str, dict[str, ServiceView]]:
    """The cluster and, by role, each service of the stack outputs with its scalable target."""
    cluster = outputs.value(names.Outputs.CLUSTER_NAME)
    by_role = outputs.service_names()
    described = describe(aws, cluster, list(by_role.values()))
    targets = scalable_targets(aws, cluster, list(by_role.values()))
    views = {
        role: ServiceView(name=name, ecs=described[name], target=targets.get(name))
        for role, name in by_role.items()
    }
    return cluster, views


def set_bounds(
    aws: Aws,
    cluster: str,
    service: str,
    *,
    low: int,
    high: int,
    suspended: Mapping[str, bool],
) -> None:
    """Set the scalable target's min/max and its suspended state."""
    aws.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource_id(cluster, service),
        ScalableDimension=DIMENSION,
        MinCapacity=low,
        MaxCapacity=high,
        SuspendedState=suspended_state(suspended),
    )


def set_desired(aws: Aws, cluster: str, service: str, count: int) -> None:
    """Set the service's desired count."""
    aws.client("ecs").update_service(cluster=cluster, service=service, desiredCount=count)


def wait_steady(
    aws: Aws, cluster: str, services: list[str], *, poll_seconds: float = POLL_SECONDS
) -> None:
    """Poll until every service runs its desired count on one deployment; print new ECS events."""
    seen: set[str] = set()

    def check() -> tuple[bool, str]:
        found = describe(aws, cluster, services)
        for service in found.values():
            for event in reversed(service.get("events", [])[:5]):
                if event["id"] not in seen:
                    seen.add(event["id"])
                    progress(f"  [{service['serviceName']}] {event['message']}")
        pending = [
            f"{s['serviceName']} {s['runningCount']}/{s['desiredCount']}"
            for s in found.values()
            if s["runningCount"] != s["desiredCount"] or len(s.get("deployments", [])) > 1
        ]
        return not pending, ("steady" if not pending else "waiting: " + ", ".join(pending))

    poll(check, what="ECS services", poll_seconds=poll_seconds)
