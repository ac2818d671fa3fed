"""AWS::ECS::Service with what the template says: stock moto keeps only the name, the task
definition and the desired count (0 when omitted, where CloudFormation starts new services at 1).

Here the service also gets its launch type, platform version, load balancers, awsvpc network
configuration, tags and deployment controller, so `DescribeServices` reflects the template.
"""

from __future__ import annotations

from typing import Any

from localaws.adapter.compat import require

_ecs = require(
    "moto.ecs.models", "Service.create_from_cloudformation_json", "ecs_backends", "Cluster"
)

NEW_SERVICE_DESIRED_COUNT = 1


def _name(value: Any) -> str:
    """A Ref to a cluster/task definition resolves to moto's object in the same stack."""
    if isinstance(value, _ecs.Cluster):
        return str(value.name)
    if hasattr(value, "family"):
        return str(value.arn)
    return str(value)


def _load_balancers(properties: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "targetGroupArn": lb.get("TargetGroupArn"),
            "containerName": lb.get("ContainerName"),
            "containerPort": int(lb["ContainerPort"]) if "ContainerPort" in lb else None,
            "loadBalancerName": lb.get("LoadBalancerName"),
        }
        for lb in properties.get("LoadBalancers", [])
    ]


def _network(properties: dict[str, Any]) -> dict[str, Any] | None:
    awsvpc = properties.get("NetworkConfiguration", {}).get("AwsvpcConfiguration")
    if awsvpc is None:
        return None
    return {
        "awsvpcConfiguration": {
            "subnets": awsvpc.get("Subnets", []),
            "securityGroups": awsvpc.get("SecurityGroups", []),
            "assignPublicIp": awsvpc.get("AssignPublicIp", "DISABLED"),
        }
    }


def _create(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    p = cloudformation_json["Properties"]
    controller = p.get("DeploymentController")
    return _ecs.ecs_backends[account_id][region_name].create_service(
        _name(p["Cluster"]),
        resource_name,
        int(p.get("DesiredCount", NEW_SERVICE_DESIRED_COUNT)),
        task_definition_str=_name(p["TaskDefinition"]),
        load_balancers=_load_balancers(p),
        tags=[{"key": t["Key"], "value": t["Value"]} for t in p.get("Tags", [])],
        deployment_controller={"type": controller["Type"]} if controller else None,
        launch_type=p.get("LaunchType"),
        platform_version=p.get("PlatformVersion"),
        propagate_tags=p.get("PropagateTags", "NONE"),
        network_configuration=_network(p),
        role_arn=p.get("Role"),
    )


def patch_ecs_service() -> None:
    """Replace moto's ECS service creation from CloudFormation. Idempotent."""
    service = _ecs.Service
    if getattr(service, "_localaws_patched", False):
        return
    service.create_from_cloudformation_json = classmethod(_create)
    service._localaws_patched = True
