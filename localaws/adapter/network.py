"""AWS::EC2::SecurityGroupEgress, and the ELBv2 GetAtt attributes stock moto lacks."""

from __future__ import annotations

from typing import Any

from localaws.adapter.base import AdapterResource, CloudFormationModel
from localaws.adapter.compat import MotoInternalsChanged, require

_ec2 = require("moto.ec2.models", "ec2_backends")
_elbv2 = require(
    "moto.elbv2.models",
    "FakeLoadBalancer.get_cfn_attribute",
    "FakeLoadBalancer.has_cfn_attr",
    "FakeTargetGroup",
)


class SecurityGroupEgressResource(AdapterResource, CloudFormationModel):
    """One egress rule added to an existing security group; Ref is the rule id."""

    cfn_type = "AWS::EC2::SecurityGroupEgress"
    attributes = {"Id": ""}

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SecurityGroupEgressResource:
        p = cloudformation_json["Properties"]
        ip_ranges: list[dict[str, str]] = []
        if "CidrIp" in p:
            ip_ranges.append({"CidrIp": p["CidrIp"], "Description": p.get("Description", "")})
        if "CidrIpv6" in p:
            ip_ranges.append({"CidrIpv6": p["CidrIpv6"], "Description": p.get("Description", "")})
        destination = p.get("DestinationSecurityGroupId")
        prefix_list = p.get("DestinationPrefixListId")
        rules, _group = _ec2.ec2_backends[account_id][region_name].authorize_security_group_egress(
            group_name_or_id=p["GroupId"],
            ip_protocol=str(p["IpProtocol"]),
            from_port=p.get("FromPort"),
            to_port=p.get("ToPort"),
            ip_ranges=ip_ranges,
            source_groups=[{"GroupId": destination}] if destination else [],
            prefix_list_ids=[{"PrefixListId": prefix_list}] if prefix_list else [],
        )
        rule_id = rules[0].id
        return cls(rule_id, Id=rule_id)


def _arn_suffix(arn: str, marker: str) -> str:
    """`app/name/id` from a load balancer ARN, `targetgroup/name/id` from a target group ARN."""
    resource = arn.split(":", 5)[-1]
    if not resource.startswith(marker):
        raise MotoInternalsChanged(f"unexpected ELBv2 ARN format: {arn}")
    return resource.removeprefix("loadbalancer/")


def _load_balancer_attribute(original: Any) -> Any:
    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "LoadBalancerFullName":
            return _arn_suffix(self.arn, "loadbalancer/")
        if attribute_name == "SecurityGroups":
            return list(self.security_groups)
        if attribute_name == "CanonicalHostedZoneID":
            return "Z1GM3OXH4ZPM65"
        if attribute_name == "LoadBalancerArn":
            return self.arn
        return original(self, attribute_name)

    return get_cfn_attribute


def _target_group_attribute(self: Any, attribute_name: str) -> Any:
    """GetAtt for target groups (stock moto has none)."""
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    values = {
        "TargetGroupFullName": lambda: _arn_suffix(self.arn, "targetgroup/"),
        "TargetGroupName": lambda: self.name,
        "TargetGroupArn": lambda: self.arn,
        "LoadBalancerArns": lambda: list(self.load_balancer_arns),
    }
    if attribute_name not in values:
        raise UnformattedGetAttTemplateException()
    return values[attribute_name]()


TARGET_GROUP_ATTRIBUTES = (
    "TargetGroupFullName",
    "TargetGroupName",
    "TargetGroupArn",
    "LoadBalancerArns",
)
LOAD_BALANCER_ATTRIBUTES = ("LoadBalancerFullName", "SecurityGroups", "CanonicalHostedZoneID")


def patch_elbv2_attributes() -> None:
    """Teach moto's ELBv2 models the full-name (and related) GetAtt attributes. Idempotent."""
    load_balancer = _elbv2.FakeLoadBalancer
    target_group = _elbv2.FakeTargetGroup
    if getattr(load_balancer, "_localaws_patched", False):
        return
    load_balancer.get_cfn_attribute = _load_balancer_attribute(load_balancer.get_cfn_attribute)
    original_has = load_balancer.has_cfn_attr.__func__

    def lb_has(cls: Any, attr: str) -> bool:
        return attr in LOAD_BALANCER_ATTRIBUTES or original_has(cls, attr)

    load_balancer.has_cfn_attr = classmethod(lb_has)
    target_group.get_cfn_attribute = _target_group_attribute
    target_group.has_cfn_attr = classmethod(lambda cls, attr: attr in TARGET_GROUP_ATTRIBUTES)
    load_balancer._localaws_patched = True
