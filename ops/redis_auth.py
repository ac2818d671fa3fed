"""Redis AUTH token rotation with ElastiCache's ROTATE-then-SET strategy, without a dropped client.

1. ROTATE: the replication group accepts the new token beside the old one.
2. The new token becomes the AUTH secret's AWSCURRENT; the services that inject it are redeployed
   and waited for, so every running task connects with the new token.
3. SET: the old token stops working. Until this step, a failure moves the secret back and
   redeploys (both tokens still work); the group keeps accepting the old one.
"""

from __future__ import annotations

import secrets as token_source
from dataclasses import dataclass
from typing import Literal

from ops import services
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError
from ops.results import Report
from ops.secrets import task_definitions
from ops.waiting import POLL_SECONDS, poll
from stacks.contract import names

TOKEN_BYTES = 48  # 64 URL-safe characters: within ElastiCache's 16-128, none of its refused ones
REDIS_PASSWORD_VARIABLE = "REDIS_PASSWORD"


@dataclass(frozen=True)
class Target:
    """The replication group, the AUTH secret the tasks inject, and the services injecting it."""

    group: str
    secret_arn: str
    cluster: str
    services: tuple[str, ...]


def target(aws: Aws, outputs: StackOutputs) -> Target:
    """Find the AUTH secret through the task definitions' `REDIS_PASSWORD` injection."""
    group = outputs.value(names.Outputs.CACHE_REPLICATION_GROUP_ID)
    by_role = outputs.service_names()
    arns: set[str] = set()
    readers: list[str] = []
    for role, task_def in task_definitions(aws, outputs).items():
        for container in task_def.get("containerDefinitions", []):
            for secret in container.get("secrets", []):
                if secret["name"] == REDIS_PASSWORD_VARIABLE:
                    arns.add(secret["valueFrom"])
                    readers.append(by_role[role])
    if len(arns) != 1:
        raise OpsError(f"expected one secret injected as {REDIS_PASSWORD_VARIABLE}, found {arns}")
    return Target(
        group=group,
        secret_arn=arns.pop(),
        cluster=outputs.value(names.Outputs.CLUSTER_NAME),
        services=tuple(dict.fromkeys(readers)),
    )


Strategy = Literal["ROTATE", "SET"]


def _modify(aws: Aws, group: str, token: str, strategy: Strategy, *, poll_seconds: float) -> str:
    """Apply the token with `strategy` (ROTATE or SET) and wait until the group is available."""
    elasticache = aws.client("elasticache")
    elasticache.modify_replication_group(
        ReplicationGroupId=group,
        AuthToken=token,
        AuthTokenUpdateStrategy=strategy,
        ApplyImmediately=True,
    )

    def check() -> tuple[bool, str]:
        found = elasticache.describe_replication_groups(ReplicationGroupId=group)
        status = found["ReplicationGroups"][0].get("Status", "unknown")
        return status == "available", status

    poll(check, what=f"replication group {group}", poll_seconds=poll_seconds)
    return f"{strategy} applied"


def _redeploy(aws: Aws, t: Target, *, poll_seconds: float) -> str:
    ecs = aws.client("ecs")
    for name in t.services:
        ecs.update_service(cluster=t.cluster, service=name, forceNewDeployment=True)
    services.wait_steady(aws, t.cluster, list(t.services), poll_seconds=poll_seconds)
    return f"steady: {', '.join(t.services)}"


def rotate(
    aws: Aws,
    outputs: StackOutputs,
    env: str,
    *,
    dry_run: bool = False,
    poll_seconds: float = POLL_SECONDS,
) -> Report:
    """ROTATE, new secret version, redeploy, SET; roll the secret back on a failure before SET."""
    t = target(aws, outputs)
    report = Report(operation="secrets rotate redis-auth", env=env, dry_run=dry_run)
    steps = (
        ("group", "ROTATE", "accepts the old and the new token"),
        ("secret", "store the new token", "AWSCURRENT; the old one stays AWSPREVIOUS"),
        ("services", "redeploy", f"{', '.join(t.services)}, then wait steady"),
        ("group", "SET", "only the new token works"),
    )
    if dry_run:
        for resource, action, detail in steps:
            report.add(f"{resource} {t.group if resource == 'group' else ''}".strip(), action,
                       detail=f"would: {detail}")  # fmt: skip
        return report
    sm = aws.client("secretsmanager")
    versions = sm.describe_secret(SecretId=t.secret_arn).get("VersionIdsToStages", {})
    previous = next(version for version, stages in versions.items() if "AWSCURRENT" in stages)
    token = token_source.token_urlsafe(TOKEN_BYTES)
    group = f"group {t.group}"
    if not report.attempt(
        group, "ROTATE", lambda: _modify(aws, t.group, token, "ROTATE", poll_seconds=poll_seconds)
    ):
        return report
    stored: dict[str, str] = {}

    def store() -> str:
        stored["version"] = sm.put_secret_value(SecretId=t.secret_arn, SecretString=token)[
            "VersionId"
        ]
        return f"version {stored['version']} is AWSCURRENT"

    if report.attempt("secret", "store the new token", store) and report.attempt(
        "services", "redeploy", lambda: _redeploy(aws, t, poll_seconds=poll_seconds)
    ):
        report.attempt(
            group, "SET", lambda: _modify(aws, t.group, token, "SET", poll_seconds=poll_seconds)
        )
        return report
    if stored:

        def back() -> str:
            sm.update_secret_version_stage(
                SecretId=t.secret_arn,
                VersionStage="AWSCURRENT",
                MoveToVersionId=previous,
                RemoveFromVersionId=stored["version"],
            )
            return _redeploy(aws, t, poll_seconds=poll_seconds)

        report.attempt("secret", "roll back and redeploy", back)
    return report
