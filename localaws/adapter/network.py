"""AWS::EC2::SecurityGroupIngress / ::SecurityGroupEgress as real rules on moto security groups.

Stock moto creates ingress rules but gives them no physical id (and skips egress entirely);
here both are rules whose Ref is the security group rule id, as in AWS.
"""

from __future__ import annotations

from typing import Any, Self

from localaws.adapter.base import AdapterResource, CloudFormationModel
from localaws.adapter.compat import require

_ec2 = require("moto.ec2.models", "ec2_backends")


def _authorize(
    account_id: str, region_name: str, properties: dict[str, Any], *, egress: bool
) -> str:
    """Add one rule to the group; returns the new rule's id."""
    p = properties
    description = p.get("Description", "")
    ip_ranges: list[dict[str, str]] = []
    if "CidrIp" in p:
        ip_ranges.append({"CidrIp": p["CidrIp"], "Description": description})
    if "CidrIpv6" in p:
        ip_ranges.append({"CidrIpv6": p["CidrIpv6"], "Description": description})
    prefix = "Destination" if egress else "Source"
    group: dict[str, str] = {}
    if f"{prefix}SecurityGroupId" in p:
        group["GroupId"] = p[f"{prefix}SecurityGroupId"]
    if not egress and "SourceSecurityGroupName" in p:
        group["GroupName"] = p["SourceSecurityGroupName"]
    prefix_list = p.get(f"{prefix}PrefixListId")
    backend = _ec2.ec2_backends[account_id][region_name]
    target = p.get("GroupId") or backend.get_security_group_from_name(p["GroupName"]).id
    authorize = (
        backend.authorize_security_group_egress
        if egress
        else backend.authorize_security_group_ingress
    )
    rules, _group = authorize(
        group_name_or_id=target,
        ip_protocol=str(p["IpProtocol"]),
        from_port=p.get("FromPort"),
        to_port=p.get("ToPort"),
        ip_ranges=ip_ranges,
        source_groups=[group] if group else [],
        prefix_list_ids=[{"PrefixListId": prefix_list}] if prefix_list else [],
    )
    return str(rules[0].id)


class _SecurityGroupRule(AdapterResource):
    """One rule added to an existing security group; Ref is the rule id."""

    egress = False
    attributes = ("Id",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        rule_id = _authorize(account_id, region_name, p, egress=cls.egress)
        return cls(rule_id, Id=rule_id)


class SecurityGroupIngressResource(_SecurityGroupRule, CloudFormationModel):
    """One ingress rule added to an existing security group; Ref is the rule id."""

    cfn_type = "AWS::EC2::SecurityGroupIngress"


class SecurityGroupEgressResource(_SecurityGroupRule, CloudFormationModel):
    """One egress rule added to an existing security group; Ref is the rule id."""

    cfn_type = "AWS::EC2::SecurityGroupEgress"
    egress = True


class SubnetRouteTableAssociationResource(AdapterResource, CloudFormationModel):
    """Associates a subnet with a route table as the EC2 API sees it; Ref is the association id.

    Stock moto records the association apart from the route table, so DescribeRouteTables
    did not show it.
    """

    cfn_type = "AWS::EC2::SubnetRouteTableAssociation"
    attributes = ("Id",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        association_id = _ec2.ec2_backends[account_id][region_name].associate_route_table(
            route_table_id=p["RouteTableId"], subnet_id=p["SubnetId"]
        )
        return cls(association_id, Id=association_id)

    def delete(self, account_id: str, region_name: str) -> None:
        _ec2.ec2_backends[account_id][region_name].disassociate_route_table(
            self.physical_resource_id
        )
