"""Fixes to stock moto models: missing GetAtt attributes and physical ids."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from localaws.adapter.compat import MotoInternalsChanged, require

_elbv2 = require(
    "moto.elbv2.models",
    "FakeLoadBalancer.get_cfn_attribute",
    "FakeLoadBalancer.has_cfn_attr",
    "FakeTargetGroup",
)
_kms = require("moto.kms.models", "Key.create_from_cloudformation_json")
_rds = require("moto.rds.models", "DBSubnetGroup", "DBInstance.create_from_cloudformation_json")
_parsing = require("moto.cloudformation.parsing", "ResourceMap.update")
_models = require("moto.core.common_models", "CloudFormationModel.delete_from_cloudformation_json")


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

    values: dict[str, Callable[[], Any]] = {
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


def _subnet_group_name(properties: dict[str, Any]) -> None:
    """moto's DBInstance reads `.name` of its DBSubnetGroupName, so wrap a plain name."""
    if isinstance(properties.get("DBSubnetGroupName"), str):
        properties["DBSubnetGroupName"] = SimpleNamespace(name=properties["DBSubnetGroupName"])


def patch_rds_subnet_group() -> None:
    """moto's DBSubnetGroup has no physical id (Ref returned the object): make it the name."""
    group = _rds.DBSubnetGroup
    if "physical_resource_id" not in group.__dict__:
        group.physical_resource_id = property(lambda self: self.name)
    _wrap_create(_rds.DBInstance, _subnet_group_name)


def _kms_key_properties(properties: dict[str, Any]) -> None:
    """moto's KMS model wants API-style tags (TagKey/TagValue) and a JSON policy string."""
    properties["Tags"] = [
        {"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])
    ]
    if isinstance(properties.get("KeyPolicy"), dict):
        properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])


def _wrap_create(model: Any, fix: Any) -> None:
    """Run `fix(properties)` before the model's own create_from_cloudformation_json."""
    if getattr(model, "_localaws_wrapped", False):
        return
    original = model.create_from_cloudformation_json.__func__

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kw: Any
    ) -> Any:
        fix(cloudformation_json.setdefault("Properties", {}))
        return original(cls, resource_name, cloudformation_json, *args, **kw)

    model.create_from_cloudformation_json = classmethod(create)
    model._localaws_wrapped = True


def patch_forget_removed_resources() -> None:
    """After a stack update, a resource the template no longer has is forgotten once deleted,
    so that a later update adding it back creates it anew (stock moto returns the deleted one:
    unparking left the collector rules absent). A model moto cannot delete (an EC2 route) stays
    known, as before."""
    resource_map = _parsing.ResourceMap
    if getattr(resource_map, "_localaws_forgets", False):
        return
    base = _models.CloudFormationModel.delete_from_cloudformation_json.__func__
    original = resource_map.update

    def deletable(model: type) -> bool:
        own = getattr(model, "delete_from_cloudformation_json", None)
        return (
            callable(getattr(model, "delete", None)) or getattr(own, "__func__", base) is not base
        )

    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        for logical_id, parsed in list(self._parsed_resources.items()):
            gone = logical_id not in self._resource_json_map
            if gone and not isinstance(parsed, str) and deletable(type(parsed)):
                del self._parsed_resources[logical_id]

    resource_map.update = update
    resource_map._localaws_forgets = True


def patch_stock_models() -> None:
    """Apply every fix to stock moto models. Idempotent."""
    patch_forget_removed_resources()
    patch_elbv2_attributes()
    patch_rds_subnet_group()
    _wrap_create(_kms.Key, _kms_key_properties)
