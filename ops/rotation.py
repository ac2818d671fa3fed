"""`ops secrets rotate | rollback`: one app secret key changed, proven in use, or put back.

rotate KEY: a new version of the app secret (Secrets Manager keeps the old one as AWSPREVIOUS),
every service whose containers read the app secret redeployed and waited for, then a check that
uses the key: a one-page collector run for a provider's key, `ops smoke` for the signing key. When
a step fails, AWSCURRENT moves back to the previous version and the services are redeployed again.
rollback KEY: AWSCURRENT back to AWSPREVIOUS, and the same redeploy.
"""

from __future__ import annotations

import json
import secrets as token_source
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops import one_off, services, smoke
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError
from ops.results import Report
from ops.secrets import referenced, task_definitions
from ops.waiting import POLL_SECONDS
from stacks.contract import names

CHECK_COMMAND = ("python", "-m", "app.collect")
CHECK_PAGES = 1
STARTED_BY = "ops-secrets-rotate"
SIGNING_KEY_BYTES = 48


@dataclass(frozen=True)
class Target:
    """What rotating one key touches: the app secret, the services reading it, the check."""

    key: str
    secret_arn: str
    cluster: str
    services: tuple[str, ...]
    collector: str | None  # the collector whose provider the key belongs to

    @property
    def check(self) -> str:
        if self.collector:
            return f"collector {self.collector} ({CHECK_PAGES} page)"
        return "smoke (health paths)"


def target(aws: Aws, outputs: StackOutputs, key: str) -> Target:
    """The app secret and the services whose task definitions inject `key` (or the whole secret)."""
    if key not in names.APP_SECRET_KEYS:
        raise OpsError(f"unknown key {key!r}; known: {', '.join(names.APP_SECRET_KEYS)}")
    arn = outputs.value(names.Outputs.APP_SECRET_ARN)
    by_role = outputs.service_names()
    readers = []
    for role, task_def in task_definitions(aws, outputs).items():
        keys = referenced({role: task_def}).get(arn)
        if keys is not None and (not keys or key in keys):
            readers.append(by_role[role])
    collector = next((c for c, k in names.COLLECTOR_API_KEYS.items() if k == key), None)
    return Target(
        key=key,
        secret_arn=arn,
        cluster=outputs.value(names.Outputs.CLUSTER_NAME),
        services=tuple(readers),
        collector=collector,
    )


def generated_signing_key() -> str:
    """A new JWT signing key (URL-safe, 64 characters): the signing key is never typed."""
    return token_source.token_urlsafe(SIGNING_KEY_BYTES)


def _versions(aws: Aws, arn: str) -> dict[str, str]:
    """`{stage: version id}` for AWSCURRENT and AWSPREVIOUS (when present)."""
    described = aws.client("secretsmanager").describe_secret(SecretId=arn)
    found: dict[str, str] = {}
    for version, stages in described.get("VersionIdsToStages", {}).items():
        for stage in stages:
            found[stage] = version
    if "AWSCURRENT" not in found:
        raise OpsError(f"{arn} has no AWSCURRENT version; set it with `ops secrets set` first")
    return found


def _value(aws: Aws, arn: str, stage: str) -> dict[str, Any]:
    raw = aws.client("secretsmanager").get_secret_value(SecretId=arn, VersionStage=stage)
    value = json.loads(raw["SecretString"])
    if not isinstance(value, dict):
        raise OpsError(f"{arn} ({stage}) is not a JSON object")
    return value


def rotated(current: dict[str, Any], key: str, value: str, *, now: datetime) -> dict[str, Any]:
    """The secret's next JSON: `key` replaced; for the signing key, the old one kept as previous."""
    value = value.strip()
    if not value or value == names.PLACEHOLDER:
        raise OpsError("refusing an empty or placeholder value; nothing changed")
    if value == current.get(key):
        raise OpsError(f"the new {key} equals the current one; nothing changed")
    new = {**current, key: value}
    if key == names.JWT_SIGNING_KEY:
        new[names.JWT_PREVIOUS_KEY] = current.get(key, "")
        new[names.JWT_ROTATED_AT] = now.astimezone(UTC).isoformat(timespec="seconds")
    return new


def _move_current(aws: Aws, arn: str, *, to: str, current: str) -> str:
    aws.client("secretsmanager").update_secret_version_stage(
        SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=to, RemoveFromVersionId=current
    )
    return f"AWSCURRENT is version {to}"


def _redeploy(aws: Aws, t: Target, report: Report, *, dry_run: bool, poll_seconds: float) -> bool:
    """Force a new deployment of every reading service, then wait until they are steady."""
    if not t.services:
        report.add("services", "redeploy", detail="no service reads the app secret")
        return True
    ecs = aws.client("ecs")
    for name in t.services:
        if dry_run:
            report.add(f"service {name}", "redeploy", detail="would force a new deployment")
            continue

        def force(name: str = name) -> str:
            ecs.update_service(cluster=t.cluster, service=name, forceNewDeployment=True)
            return "new deployment started"

        if not report.attempt(f"service {name}", "redeploy", force):
            return False
    if dry_run:
        report.add("services", "wait steady", detail="would wait for the new tasks")
        return True

    def steady() -> str:
        services.wait_steady(aws, t.cluster, list(t.services), poll_seconds=poll_seconds)
        return "steady"

    return report.attempt("services", "wait steady", steady)


def _check(aws: Aws, outputs: StackOutputs, t: Target, *, poll_seconds: float) -> str:
    """Use the new key: a one-page collector run, or the smoke checks; OpsError when it fails."""
    if t.collector:
        command = [*CHECK_COMMAND, t.collector, "--max-pages", str(CHECK_PAGES)]
        result = one_off.run(
            aws, outputs, command, started_by=STARTED_BY, poll_seconds=poll_seconds
        )
        if result.get("exit_code") != 0:
            tail = " | ".join(result.get("log_tail", [])[-3:])
            raise OpsError(f"collector {t.collector} exited {result.get('exit_code')}: {tail}")
        return f"collector {t.collector} collected with the new key"
    failed = [r["url"] for r in smoke.run(outputs) if not r["ok"]]
    if failed:
        raise OpsError(f"smoke failed: {', '.join(failed)}")
    return "health paths answer 200"


Check = Callable[[Aws, StackOutputs, Target], str]


def rotate(
    aws: Aws,
    outputs: StackOutputs,
    env: str,
    key: str,
    value: str,
    *,
    dry_run: bool = False,
    poll_seconds: float = POLL_SECONDS,
    check: Check | None = None,
    now: datetime | None = None,
) -> Report:
    """Store, redeploy, check; on a failure after storing, roll back and redeploy again."""
    t = target(aws, outputs, key)
    report = Report(operation=f"secrets rotate {key}", env=env, dry_run=dry_run)
    versions = _versions(aws, t.secret_arn)
    new_value = rotated(_value(aws, t.secret_arn, "AWSCURRENT"), key, value,
                        now=now or datetime.now(UTC))  # fmt: skip
    run_check = check or (lambda a, o, tg: _check(a, o, tg, poll_seconds=poll_seconds))
    if dry_run:
        report.add("app secret", f"store a new {key}", detail="would add a version (AWSCURRENT)")
        _redeploy(aws, t, report, dry_run=True, poll_seconds=poll_seconds)
        report.add("check", t.check, detail="would run; on failure, roll back and redeploy")
        return report
    stored: dict[str, str] = {}

    def store() -> str:
        response = aws.client("secretsmanager").put_secret_value(
            SecretId=t.secret_arn, SecretString=json.dumps(new_value)
        )
        stored["version"] = str(response["VersionId"])
        return f"version {stored['version']} is AWSCURRENT"

    if not report.attempt("app secret", f"store a new {key}", store):
        return report
    if _redeploy(aws, t, report, dry_run=False, poll_seconds=poll_seconds) and report.attempt(
        "check", t.check, lambda: run_check(aws, outputs, t)
    ):
        return report
    report.attempt(
        "app secret",
        "roll back",
        lambda: _move_current(
            aws, t.secret_arn, to=versions["AWSCURRENT"], current=stored["version"]
        ),
    )
    _redeploy(aws, t, report, dry_run=False, poll_seconds=poll_seconds)
    return report


def rollback(
    aws: Aws,
    outputs: StackOutputs,
    env: str,
    key: str,
    *,
    dry_run: bool = False,
    poll_seconds: float = POLL_SECONDS,
) -> Report:
    """AWSCURRENT back to AWSPREVIOUS (naming other keys it also reverts), then redeploy."""
    t = target(aws, outputs, key)
    versions = _versions(aws, t.secret_arn)
    if "AWSPREVIOUS" not in versions:
        raise OpsError(f"{t.secret_arn} has no AWSPREVIOUS version to roll back to")
    current = _value(aws, t.secret_arn, "AWSCURRENT")
    previous = _value(aws, t.secret_arn, "AWSPREVIOUS")
    if current.get(key) == previous.get(key):
        raise OpsError(f"{key} is the same in AWSPREVIOUS; nothing to roll back")
    others = sorted(k for k in {*current, *previous} - {key} if current.get(k) != previous.get(k))
    detail = f"AWSCURRENT -> version {versions['AWSPREVIOUS']}"
    if others:
        detail += f"; also reverts {', '.join(others)}"
    report = Report(operation=f"secrets rollback {key}", env=env, dry_run=dry_run)
    if dry_run:
        report.add("app secret", "roll back", detail=f"would move {detail}")
    else:

        def move() -> str:
            _move_current(
                aws, t.secret_arn, to=versions["AWSPREVIOUS"], current=versions["AWSCURRENT"]
            )
            return detail

        if not report.attempt("app secret", "roll back", move):
            return report
    _redeploy(aws, t, report, dry_run=dry_run, poll_seconds=poll_seconds)
    return report
