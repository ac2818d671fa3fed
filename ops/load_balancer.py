"""The environment's load balancer: lift its deletion protection before `ops park` removes it.

Deletion protection guards the ALB against an accidental `cdk destroy` or a stack change; parking
removes the ALB on purpose (the operator confirmed `ops park`), and CloudFormation cannot delete a
protected ALB, so park lifts the protection first. The next unpark creates the ALB protected again.
"""

from __future__ import annotations

from ops.aws.session import Aws
from stacks.contract import names

PROTECTION = "deletion_protection.enabled"


def _arn(aws: Aws, env: str) -> str | None:
    """The ALB's ARN by its name, or None when it does not exist (parked, never deployed)."""
    elbv2 = aws.client("elbv2")
    try:
        found = elbv2.describe_load_balancers(Names=[names.load_balancer_name(env)])
    except elbv2.exceptions.LoadBalancerNotFoundException:
        return None
    balancers = found["LoadBalancers"]
    return str(balancers[0]["LoadBalancerArn"]) if balancers else None


def lift_deletion_protection(aws: Aws, env: str, *, dry_run: bool) -> str:
    """Turn the ALB's deletion protection off; says what it did (nothing when it is not on)."""
    arn = _arn(aws, env)
    if arn is None:
        return "no load balancer: nothing to lift"
    elbv2 = aws.client("elbv2")
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    enabled = any(a["Key"] == PROTECTION and a.get("Value") == "true" for a in attributes)
    if not enabled:
        return "deletion protection already off"
    if dry_run:
        return "would lift deletion protection"
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": PROTECTION, "Value": "false"}]
    )
    return "deletion protection lifted (unpark creates the load balancer protected again)"
