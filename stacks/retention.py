"""What outlives its stack: with `retain_on_delete`, deleting a stack leaves the records behind."""

from __future__ import annotations

import aws_cdk as cdk

# The resources of record: credentials and keys, the database, every log (incl. WAF and flow logs).
RECORD_TYPES: tuple[str, ...] = (
    "AWS::SecretsManager::Secret",
    "AWS::RDS::DBInstance",
    "AWS::Logs::LogGroup",
)


def retain_records(stack: cdk.Stack) -> None:
    """DeletionPolicy/UpdateReplacePolicy Retain on every resource of record in `stack`."""
    cdk.RemovalPolicies.of(stack).retain(apply_to_resource_types=list(RECORD_TYPES))
