"""AWS::S3::BucketPolicy and AWS::ApplicationAutoScaling::ScalableTarget / ::ScalingPolicy."""

from __future__ import annotations

import json
from typing import Any, Self

from localaws.adapter.base import AdapterResource, CloudFormationModel, as_bool
from localaws.adapter.compat import require

_s3 = require("moto.s3.models", "s3_backends")
_aas = require("moto.applicationautoscaling.models", "applicationautoscaling_backends")


class BucketPolicyResource(AdapterResource, CloudFormationModel):
    """A bucket policy; Ref is the bucket name."""

    cfn_type = "AWS::S3::BucketPolicy"
    attributes = ("Id",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        bucket = p["Bucket"]
        _s3.s3_backends[account_id]["aws"].put_bucket_policy(
            bucket, json.dumps(p["PolicyDocument"]).encode()
        )
        return cls(bucket, Id=bucket)

    def delete(self, account_id: str, region_name: str) -> None:
        _s3.s3_backends[account_id]["aws"].delete_bucket_policy(self.physical_resource_id)


def _suspended_state(raw: dict[str, Any] | None) -> dict[str, bool] | None:
    if raw is None:
        return None
    keys = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")
    return {key: as_bool(raw.get(key)) for key in keys}


class ScalableTargetResource(AdapterResource, CloudFormationModel):
    """A registered scalable target; Ref is `resourceId|dimension|namespace` as in AWS."""

    cfn_type = "AWS::ApplicationAutoScaling::ScalableTarget"
    attributes = ("Id",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        _aas.applicationautoscaling_backends[account_id][region_name].register_scalable_target(
            namespace=p["ServiceNamespace"],
            r_id=p["ResourceId"],
            dimension=p["ScalableDimension"],
            min_capacity=int(p["MinCapacity"]),
            max_capacity=int(p["MaxCapacity"]),
            role_arn=p.get("RoleARN", ""),
            suspended_state=_suspended_state(p.get("SuspendedState")),
        )
        physical_id = "|".join((p["ResourceId"], p["ScalableDimension"], p["ServiceNamespace"]))
        return cls(physical_id, Id=physical_id)

    def delete(self, account_id: str, region_name: str) -> None:
        resource_id, dimension, namespace = self.physical_resource_id.split("|")
        _aas.applicationautoscaling_backends[account_id][region_name].deregister_scalable_target(
            namespace, resource_id, dimension
        )


class ScalingPolicyResource(AdapterResource, CloudFormationModel):
    """A step or target-tracking scaling policy; Ref is the policy ARN."""

    cfn_type = "AWS::ApplicationAutoScaling::ScalingPolicy"
    attributes = ("Arn",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        if "ScalingTargetId" in p:
            resource_id, dimension, namespace = p["ScalingTargetId"].split("|")
        else:
            resource_id = p["ResourceId"]
            dimension = p["ScalableDimension"]
            namespace = p["ServiceNamespace"]
        policy = _aas.applicationautoscaling_backends[account_id][region_name].put_scaling_policy(
            policy_name=p.get("PolicyName", name),
            service_namespace=namespace,
            resource_id=resource_id,
            scalable_dimension=dimension,
            policy_body=p.get(
                "StepScalingPolicyConfiguration", p.get("TargetTrackingScalingPolicyConfiguration")
            ),
            policy_type=p.get("PolicyType"),
        )
        return cls(policy.policy_arn, Arn=policy.policy_arn)
