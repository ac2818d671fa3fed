"""checkov over the synthesized templates, and every finding this design accepts, with its reason.

This module is the one place where checkov findings are acknowledged (as `nag.py` is for cdk-nag).
An acknowledgement names the check, the resource type, the logical-id prefix the CDK generates and,
where the config causes the finding, the config that does; anything else checkov reports is a
new finding and fails the tests (tests/stacks/test_checkov.py).

checkov pins its own boto3 (and packaging, networkx) far below this project's, so it cannot share
the project's venv: `make setup` installs it alone into `.venv-checkov` from
`requirements/checkov.lock` (locked from `requirements-checkov.txt`), and it runs here as a
separate process (`CHECKOV` overrides the path).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdk_app.config import EnvConfig

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv-checkov" / "bin" / "checkov"))


class CheckovError(RuntimeError):
    """checkov is missing or did not produce a report."""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One failed checkov check on one resource of one template."""

    check: str
    title: str
    resource_type: str
    logical_id: str
    path: str  # the template file, as checkov was given it

    def __str__(self) -> str:
        where = Path(self.path).name
        return f"{where}: {self.check} {self.resource_type} {self.logical_id}: {self.title}"


def _always(_config: EnvConfig) -> bool:
    return True


@dataclass(frozen=True, kw_only=True)
class Accepted:
    """A finding accepted by design: checks x resources (type + logical-id prefix), when, why."""

    checks: tuple[str, ...]
    resource_type: str
    logical_id_prefix: str
    reason: str
    when: Callable[[EnvConfig], bool] = _always

    def covers(self, finding: Finding, config: EnvConfig) -> bool:
        return (
            finding.check in self.checks
            and finding.resource_type == self.resource_type
            and finding.logical_id.startswith(self.logical_id_prefix)
            and self.when(config)
        )


ACCEPTED: tuple[Accepted, ...] = (
    Accepted(
        checks=("CKV_AWS_18",),
        resource_type="AWS::S3::Bucket",
        logical_id_prefix="AccessLogs",
        reason="This bucket is the access-log destination of the ALB and CloudFront itself; "
        "logging access to it would need another bucket whose own access would go unlogged.",
    ),
    Accepted(
        checks=("CKV_AWS_21",),
        resource_type="AWS::S3::Bucket",
        logical_id_prefix="AccessLogs",
        reason="Access logs are written once under unique keys and expire by lifecycle after "
        "90 days; versioning would only keep expired copies and bill for them.",
    ),
    Accepted(
        checks=("CKV_AWS_2", "CKV_AWS_103"),
        resource_type="AWS::ElasticLoadBalancingV2::Listener",
        logical_id_prefix="LoadBalancerAlbHttp",
        reason="The ALB is internal, in the private subnets: its only client is the CloudFront VPC "
        "origin, and viewers get HTTPS from the distribution (edge.cloudfront: true).",
        when=lambda config: config.edge.cloudfront,
    ),
    Accepted(
        checks=("CKV_AWS_260",),
        resource_type="AWS::EC2::SecurityGroup",
        logical_id_prefix="LoadBalancerSecurityGroup",
        reason="Port 80 of an internal ALB: nothing outside the VPC can route to it, and the "
        "CloudFront VPC origin connects from CloudFront's own, changing address ranges.",
        when=lambda config: config.edge.cloudfront,
    ),
    Accepted(
        checks=("CKV_AWS_2", "CKV_AWS_103"),
        resource_type="AWS::ElasticLoadBalancingV2::Listener",
        logical_id_prefix="LoadBalancerAlbHttp",
        reason="Plain HTTP by configuration without CloudFront, acknowledged in the env's YAML "
        "with its written reason (edge.plain_http_reason; refused elsewhere by cdk_app/safety.py).",
        when=lambda config: not config.edge.cloudfront and bool(config.edge.plain_http_reason),
    ),
    Accepted(
        checks=("CKV_AWS_260",),
        resource_type="AWS::EC2::SecurityGroup",
        logical_id_prefix="LoadBalancerSecurityGroup",
        reason="A public plain-HTTP load balancer by configuration, acknowledged in the env's "
        "YAML with its written reason (edge.plain_http_reason): it accepts port 80 from anyone.",
        when=lambda config: not config.edge.cloudfront and bool(config.edge.plain_http_reason),
    ),
    Accepted(
        checks=("CKV_AWS_68",),
        resource_type="AWS::CloudFront::Distribution",
        logical_id_prefix="EdgeDistribution",
        reason="The web ACL sits on the distribution's only origin, the internal ALB (REGIONAL "
        "scope, stacks/waf.py): it sees every request that is not served from cache, counts "
        "clients by the viewer address the edge sets, and needs no stack in us-east-1.",
        when=lambda config: config.waf.enabled,
    ),
    Accepted(
        checks=("CKV_AWS_68",),
        resource_type="AWS::CloudFront::Distribution",
        logical_id_prefix="EdgeDistribution",
        reason="No web ACL by configuration (waf.enabled: false) in this disposable environment, "
        "to save its monthly charge; production enables it.",
        when=lambda config: not config.waf.enabled,
    ),
    Accepted(
        checks=("CKV_AWS_174",),
        resource_type="AWS::CloudFront::Distribution",
        logical_id_prefix="EdgeDistribution",
        reason="The default *.cloudfront.net certificate takes no security policy (CloudFront "
        "fixes it); with edge.domain_name and certificate_arn the distribution uses "
        "TLSv1.2_2021.",
        when=lambda config: config.certificate_arn is None,
    ),
    Accepted(
        checks=("CKV_AWS_158",),
        resource_type="AWS::Logs::LogGroup",
        logical_id_prefix="",
        reason="CloudWatch Logs encrypts every group at rest with an AWS-managed key; the logs "
        "carry no secrets (ECS injects them, the app does not log them), so a customer key per "
        "group would add a monthly charge and a key policy to maintain for no gain.",
    ),
    Accepted(
        checks=("CKV_AWS_149",),
        resource_type="AWS::SecretsManager::Secret",
        logical_id_prefix="",
        reason="Secrets are encrypted with the AWS-managed key aws/secretsmanager; only this "
        "account's task execution roles may read them, and no cross-account sharing (the case "
        "that needs a customer key) exists.",
    ),
    Accepted(
        checks=("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"),
        resource_type="AWS::Lambda::Function",
        logical_id_prefix="CustomVpcRestrictDefaultSGCustomResourceProviderHandler",
        reason="aws-cdk-lib's generated handler that strips the default security group's rules: "
        "CloudFormation invokes it once per deploy and waits for it, so a concurrency limit, a "
        "dead-letter queue or a VPC placement (it calls only the EC2 API) would add nothing.",
    ),
    Accepted(
        checks=("CKV_AWS_111",),
        resource_type="AWS::IAM::Policy",
        logical_id_prefix="ScaleScheduleRoleDefaultPolicy",
        reason="The scheduled-scale function's role: Application Auto Scaling's "
        "RegisterScalableTarget accepts only Resource '*'; every other write names this "
        "environment's services, database, alarms, rules and parameters.",
    ),
    Accepted(
        checks=("CKV_AWS_115", "CKV_AWS_116"),
        resource_type="AWS::Lambda::Function",
        logical_id_prefix="ScaleScheduleFunction",
        reason="The scheduled-scale function runs from two daily schedules whose retry policy "
        "is EventBridge Scheduler's; its scale lock (SSM) already serialises runs, and a failed "
        "run publishes its report to the alarm topic, so a reserved concurrency or a dead-letter "
        "queue would add a resource nobody reads.",
    ),
    Accepted(
        checks=("CKV_AWS_117",),
        resource_type="AWS::Lambda::Function",
        logical_id_prefix="ScaleScheduleFunction",
        reason="The scheduled-scale function calls only AWS APIs; inside the VPC it would need "
        "the NAT gateways, which parking removes, exactly when the function must unpark.",
    ),
    Accepted(
        checks=("CKV_AWS_173",),
        resource_type="AWS::Lambda::Function",
        logical_id_prefix="ScaleScheduleFunction",
        reason="The scheduled-scale function's variables hold names, flags and the staged "
        "templates' URLs (environment, topic ARN), no secret; Lambda encrypts them at rest with "
        "its AWS-managed key.",
    ),
    Accepted(
        checks=("CKV_AWS_115", "CKV_AWS_116"),
        resource_type="AWS::Lambda::Function",
        logical_id_prefix="DatabaseRotationFunction",
        reason="The database rotation function runs only when Secrets Manager rotates one secret "
        "(monthly, or on demand); Secrets Manager serialises a secret's rotations and retries a "
        "failed step itself, so a reserved concurrency or a dead-letter queue would add nothing.",
    ),
    Accepted(
        checks=("CKV_AWS_173",),
        resource_type="AWS::Lambda::Function",
        logical_id_prefix="DatabaseRotationFunction",
        reason="The database rotation function's variables hold names (instance, role, "
        "parameter, cluster, service), no secret; Lambda encrypts them at rest with its "
        "AWS-managed key.",
    ),
    Accepted(
        checks=("CKV_AWS_118",),
        resource_type="AWS::RDS::DBInstance",
        logical_id_prefix="Database",
        reason="Enhanced monitoring is off by configuration (rds.enhanced_monitoring_seconds: "
        "0) in this disposable environment; production sets 60 seconds.",
        when=lambda config: config.rds.enhanced_monitoring_seconds == 0,
    ),
    Accepted(
        checks=("CKV_AWS_157",),
        resource_type="AWS::RDS::DBInstance",
        logical_id_prefix="Database",
        reason="Single-AZ by configuration (rds.multi_az: false) to halve the cost of a "
        "disposable environment; production runs Multi-AZ.",
        when=lambda config: not config.rds.multi_az,
    ),
)


def _finding(item: dict[str, Any]) -> Finding:
    resource_type, _, logical_id = str(item["resource"]).partition(".")
    return Finding(
        check=str(item["check_id"]),
        title=str(item.get("check_name", "")),
        resource_type=resource_type,
        logical_id=logical_id,
        path=str(item.get("file_path", "")),
    )


def parse_report(stdout: str) -> list[Finding]:
    """The failed checks of checkov's JSON report (one framework: a mapping; several: a list)."""
    try:
        report = json.loads(stdout)
    except ValueError as error:
        raise CheckovError(f"checkov printed no JSON report: {stdout[:300]!r}") from error
    reports = report if isinstance(report, list) else [report]
    findings: list[Finding] = []
    for part in reports:
        failed = (part.get("results") or {}).get("failed_checks") or []
        findings += [_finding(item) for item in failed]
    return findings


def run(templates: Sequence[Path], *, checkov: Path = CHECKOV) -> list[Finding]:
    """checkov's CloudFormation checks over `templates` (one run), as findings."""
    if not checkov.exists():
        raise CheckovError(f"{checkov} not found: `make setup` installs checkov into .venv-checkov")
    command = [str(checkov), "--framework", "cloudformation", "--output", "json", "--quiet"]
    command += ["--soft-fail", "--skip-download"]
    for template in templates:
        command += ["--file", str(template)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if result.returncode != 0:
        raise CheckovError(f"checkov exited {result.returncode}: {result.stderr[-1000:]}")
    return parse_report(result.stdout)


def accepted_for(config: EnvConfig) -> tuple[Accepted, ...]:
    """The acknowledgements that apply to an environment's config."""
    return tuple(item for item in ACCEPTED if item.when(config))


def unacknowledged(findings: Iterable[Finding], config: EnvConfig) -> list[Finding]:
    """The findings no acknowledgement covers: each one fails the tests."""
    return [f for f in findings if not any(item.covers(f, config) for item in ACCEPTED)]
