"""Teach moto 5.2.5's CloudFormation the resource types and attributes our templates use.

`apply()` registers the adapter models (each creates the real moto resource, so the normal
APIs see it) and fixes stock models (missing ELBv2 GetAtt attributes, physical ids). It must
run in the process that serves CloudFormation: `python -m localaws.server` does so. Fails
loudly on another moto.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws.adapter.base import CloudFormationModel, parsing
from localaws.adapter.cdk_cli import patch_cdk_cli_support
from localaws.adapter.compat import MOTO_VERSION, MotoInternalsChanged, check_moto_version
from localaws.adapter.custom import RestrictDefaultSecurityGroup, patch_custom_types
from localaws.adapter.dynamic_refs import patch_dynamic_references
from localaws.adapter.ecs import patch_ecs_service
from localaws.adapter.elasticache import CacheSubnetGroupResource, ReplicationGroupResource
from localaws.adapter.misc import (
    BucketPolicyResource,
    ScalableTargetResource,
    ScalingPolicyResource,
)
from localaws.adapter.monitoring import AlarmResource, SubscriptionResource, TopicPolicyResource
from localaws.adapter.network import (
    SecurityGroupEgressResource,
    SecurityGroupIngressResource,
    SubnetRouteTableAssociationResource,
)
from localaws.adapter.patches import patch_stock_models
from localaws.adapter.scheduler import EventInvokeConfigResource, ScheduleResource
from localaws.adapter.secrets import SecretResource, SecretTargetAttachmentResource

__all__ = ["ADAPTER_MODELS", "MOTO_VERSION", "MotoInternalsChanged", "apply", "handled_types"]

ADAPTER_MODELS: tuple[type[CloudFormationModel], ...] = (
    SecretResource,
    SecretTargetAttachmentResource,
    CacheSubnetGroupResource,
    ReplicationGroupResource,
    AlarmResource,
    TopicPolicyResource,
    SubscriptionResource,
    SecurityGroupIngressResource,
    SecurityGroupEgressResource,
    SubnetRouteTableAssociationResource,
    BucketPolicyResource,
    ScalableTargetResource,
    ScalingPolicyResource,
    RestrictDefaultSecurityGroup,
    ScheduleResource,
    EventInvokeConfigResource,
)


CDK_METADATA = "AWS::CDK::Metadata"


def handled_types() -> tuple[str, ...]:
    """The CloudFormation types the adapter adds to stock moto."""
    return tuple(model.cloudformation_type() for model in ADAPTER_MODELS)


def apply() -> None:
    """Register the adapter models in moto's CloudFormation and patch attributes. Idempotent."""
    check_moto_version()
    if CDK_METADATA not in parsing.NULL_MODELS:
        parsing.NULL_MODELS.append(CDK_METADATA)  # creates nothing, like in AWS
    for cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cache.cache_clear()
    _check_resolution(
        parsing.get_model_map().get,
        "did not register in moto's CloudFormation "
        "(CloudFormationModel.__subclasses__ lookup changed?)",
    )
    patch_stock_models()
    patch_cdk_cli_support()
    patch_ecs_service()
    patch_dynamic_references()
    patch_custom_types()
    _check_resolution(parsing.resource_class_from_type, "does not resolve to the adapter")


def _check_resolution(resolve: Callable[[str], Any], problem: str) -> None:
    """Fail loudly unless `resolve` maps every adapter type to its adapter model."""
    for model in ADAPTER_MODELS:
        if resolve(model.cloudformation_type()) is not model:
            raise MotoInternalsChanged(f"{model.cloudformation_type()} {problem}")
