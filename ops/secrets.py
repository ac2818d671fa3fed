"""`ops secrets`: check what the tasks need before a deploy; set one app secret key safely."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from ops import services
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError, error_code
from stacks.contract import names

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TaskDefinitionTypeDef

SECRET_ARN_PARTS = 7  # arn:aws:secretsmanager:<region>:<account>:secret:<name-suffix>


def task_definitions(aws: Aws, outputs: StackOutputs) -> dict[str, TaskDefinitionTypeDef]:
    """The task definition of each service, by role."""
    ecs = aws.client("ecs")
    cluster = outputs.value(names.Outputs.CLUSTER_NAME)
    by_role = outputs.service_names()
    described = services.describe(aws, cluster, list(by_role.values()))
    return {
        role: ecs.describe_task_definition(taskDefinition=described[name]["taskDefinition"])[
            "taskDefinition"
        ]
        for role, name in by_role.items()
    }


def referenced(task_defs: Mapping[str, TaskDefinitionTypeDef]) -> dict[str, set[str]]:
    """`{secret ARN: {JSON keys used}}` for every Secrets Manager secret the containers inject."""
    found: dict[str, set[str]] = {}
    for task_def in task_defs.values():
        for container in task_def.get("containerDefinitions", []):
            for secret in container.get("secrets", []):
                value_from = secret["valueFrom"]
                if ":secretsmanager:" not in value_from:
                    continue  # an SSM parameter
                parts = value_from.split(":")
                arn = ":".join(parts[:SECRET_ARN_PARTS])
                keys = found.setdefault(arn, set())
                if len(parts) > SECRET_ARN_PARTS and parts[SECRET_ARN_PARTS]:
                    keys.add(parts[SECRET_ARN_PARTS])
    return found


def _json_value(aws: Aws, arn: str) -> dict[str, Any]:
    raw = aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise OpsError(f"{arn} is not JSON") from exc
    if not isinstance(value, dict):
        raise OpsError(f"{arn} is not a JSON object")
    return value


def _missing(key: str) -> str:
    """The problem line of a key absent from a secret, with the fix where one command is it."""
    if key in (names.JWT_PREVIOUS_KEY, names.JWT_ROTATED_AT):
        # An app secret created before the backend read these: a rotation writes both.
        fix = f"run `ops secrets rotate {names.JWT_SIGNING_KEY}` before deploying"
        return f"key {key} missing: {fix}"
    return f"key {key} missing"


class SecretCheck(TypedDict):
    """One secret's result in `ops secrets check` (never its value)."""

    secret: str
    arn: str
    ok: bool
    keys: list[str]
    problems: list[str]


def check(aws: Aws, outputs: StackOutputs) -> list[SecretCheck]:
    """One result per secret: AWSCURRENT present, keys present, no placeholder; no value shown."""
    from botocore.exceptions import ClientError

    app_arn = outputs.value(names.Outputs.APP_SECRET_ARN)
    wanted = referenced(task_definitions(aws, outputs))
    # The keys the stacks inject, even before a deploy makes the task definitions reference them.
    wanted.setdefault(app_arn, set()).update(names.APP_SECRET_INJECTED_KEYS)
    results: list[SecretCheck] = []
    for arn, keys in sorted(wanted.items()):
        problems: list[str] = []
        try:
            described = aws.client("secretsmanager").describe_secret(SecretId=arn)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            results.append(
                {"secret": arn, "arn": arn, "ok": False, "keys": sorted(keys),
                 "problems": ["secret does not exist"]}
            )  # fmt: skip
            continue
        stages = [s for v in described.get("VersionIdsToStages", {}).values() for s in v]
        if "AWSCURRENT" not in stages:
            problems.append('no AWSCURRENT version: ECS tasks fail with "can\'t find AWSCURRENT"')
        elif keys:
            value = _json_value(aws, arn)
            problems += [_missing(k) for k in sorted(keys) if k not in value]
            problems += [
                f"key {k} is still the placeholder"
                for k in sorted(keys)
                if value.get(k) == names.PLACEHOLDER
            ]
        results.append(
            {"secret": described.get("Name", arn), "arn": arn, "ok": not problems,
             "keys": sorted(keys), "problems": problems}
        )  # fmt: skip
    return results


def set_key(aws: Aws, outputs: StackOutputs, key: str, value: str, *, dry_run: bool) -> str:
    """Store `value` under `key` of the app secret as a new AWSCURRENT version; returns its id."""
    if key not in names.APP_SECRET_KEYS:
        raise OpsError(f"unknown key {key!r}; known: {', '.join(names.APP_SECRET_KEYS)}")
    if not value.strip() or value.strip() == names.PLACEHOLDER:
        raise OpsError("refusing an empty or placeholder value; nothing changed")
    arn = outputs.value(names.Outputs.APP_SECRET_ARN)
    current = _json_value(aws, arn)
    if dry_run:
        return "(dry run: no new version)"
    current[key] = value.strip()
    response = aws.client("secretsmanager").put_secret_value(
        SecretId=arn, SecretString=json.dumps(current)
    )
    return str(response["VersionId"])
