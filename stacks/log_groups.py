"""Log groups with the environment's retention (a day count from config, not an enum name)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct


def log_group(
    scope: Construct, construct_id: str, *, retention_days: int, name: str | None = None
) -> logs.LogGroup:
    """A log group deleted with its stack, keeping `retention_days` (validated by the config)."""
    group = logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        retention=logs.RetentionDays.INFINITE,
        removal_policy=RemovalPolicy.DESTROY,
    )
    resource = group.node.default_child
    assert isinstance(resource, logs.CfnLogGroup)
    resource.retention_in_days = retention_days
    return group
