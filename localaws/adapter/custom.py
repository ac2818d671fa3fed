"""CDK's built-in custom resources, done in-process instead of by their Lambda handlers.

moto runs a custom resource's Lambda in Docker, which the local machine lacks, so each known
`Custom::` type is registered here with the effect its handler has on real AWS.
"""

from __future__ import annotations

from typing import Any, Self

from localaws.adapter.base import AdapterResource, CloudFormationModel, parsing
from localaws.adapter.compat import require

_ec2 = require("moto.ec2.models", "ec2_backends")


class RestrictDefaultSecurityGroup(AdapterResource, CloudFormationModel):
    """Custom::VpcRestrictDefaultSG: remove every rule of the VPC's default security group."""

    cfn_type = "Custom::VpcRestrictDefaultSG"

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        group_id = p["DefaultSecurityGroupId"]
        group = _ec2.ec2_backends[account_id][region_name].get_security_group_from_id(group_id)
        if group is None:
            raise ValueError(f"default security group {group_id} not found")
        group.ingress_rules = []
        group.egress_rules = []
        return cls(group_id)


CUSTOM_MODELS: dict[str, type[CloudFormationModel]] = {
    RestrictDefaultSecurityGroup.cfn_type: RestrictDefaultSecurityGroup,
}


def patch_custom_types() -> None:
    """Look the known `Custom::` types up before moto's generic (Lambda-invoking) CustomModel."""
    original = parsing.resource_class_from_type
    if getattr(original, "_localaws", False):
        return

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type in CUSTOM_MODELS:
            return CUSTOM_MODELS[resource_type]
        return original(resource_type)

    # A marker attribute (patched once); functions declare no attributes to mypy.
    resource_class_from_type._localaws = True  # type: ignore[attr-defined]
    parsing.resource_class_from_type = resource_class_from_type
