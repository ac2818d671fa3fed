"""AWS::EC2::SecurityGroupEgress as a real rule on a moto security group."""

from __future__ import annotations

from typing import Any

from localaws.adapter.base import AdapterResource, CloudFormationModel
from localaws.adapter.compat import require

_ec2 = require("moto.ec2.models", "ec2_backends")


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
