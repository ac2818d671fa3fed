"""`ops preflight`: read-only checks to run before `cdk deploy`, one PASS/WARN/FAIL line each.

Credentials and account/region as configured, the CDK bootstrap stack, every secret value the
tasks need (what made the first deploys fail: a secret without an AWSCURRENT version), the custom
domain's certificate, a confirmed alarm subscription, the quotas a deploy needs, and a database
that is not stopped. Before the first deploy the checks that need deployed stacks say so (WARN).
Only Describe/Get/List calls are made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from cdk_app.config import EnvConfig
from cdk_app.safety import CLOUDFRONT_CERTIFICATE_REGION, is_example
from ops import alarms, rds, secrets
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError, describe_aws_error, error_code, is_aws_error
from stacks.contract import names, parked

BOOTSTRAP_STACK = "CDKToolkit"
# The CheckBootstrapVersion rule in every synthesized template requires at least this version.
MIN_BOOTSTRAP_VERSION = 6
# Service Quotas codes: EC2-VPC Elastic IPs (one per NAT gateway) and Fargate On-Demand vCPUs.
ELASTIC_IP_QUOTA = ("ec2", "L-0263D0A3")
FARGATE_VCPU_QUOTA = ("fargate", "L-3032A538")


class Verdict(Enum):
    """A check's outcome; any FAIL makes `ops preflight` exit 1."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One line of the preflight."""

    name: str
    verdict: Verdict
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {**asdict(self), "verdict": self.verdict.value}


def _pass(name: str, detail: str) -> Check:
    return Check(name, Verdict.PASS, detail)


def _warn(name: str, detail: str) -> Check:
    return Check(name, Verdict.WARN, detail)


def _fail(name: str, detail: str) -> Check:
    return Check(name, Verdict.FAIL, detail)


def _deployed(outputs: StackOutputs, part: str) -> dict[str, str] | None:
    """A stack's outputs, or None when it does not exist yet (before the first deploy)."""
    try:
        return outputs.of_stack(part)
    except OpsError as exc:
        if "not found" in exc.message:
            return None
        raise


def credentials(aws: Aws, config: EnvConfig) -> Check:
    """Whose credentials, and are they the configured account and region."""
    from botocore.exceptions import NoCredentialsError

    name = "credentials"
    try:
        account = aws.client("sts").get_caller_identity()["Account"]
    except NoCredentialsError:
        return _fail(name, "no AWS credentials found (profile, environment, SSO or role)")
    where = f"account {account}, region {aws.region}"
    if config.account is not None and account != config.account:
        return _fail(name, f"{where}: the env's YAML names account {config.account}")
    if aws.region != config.region:
        return _fail(name, f"{where}: the env deploys to {config.region} (drop --region)")
    return _pass(name, where)


def bootstrap(aws: Aws, _: EnvConfig) -> Check:
    """The CDK bootstrap stack exists in this account/region and is recent enough."""
    from botocore.exceptions import ClientError

    name = "cdk bootstrap"
    try:
        stack = aws.client("cloudformation").describe_stacks(StackName=BOOTSTRAP_STACK)
    except ClientError as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            return _fail(name, f"no {BOOTSTRAP_STACK} stack: run `npx cdk bootstrap -c env=ENV`")
        raise
    found = stack["Stacks"][0]
    values = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
    version = int(values.get("BootstrapVersion", "0"))
    if version < MIN_BOOTSTRAP_VERSION:
        return _fail(
            name,
            f"{BOOTSTRAP_STACK} version {version} < {MIN_BOOTSTRAP_VERSION}: rerun `npx cdk "
            "bootstrap` with this project's CDK CLI",
        )
    return _pass(name, f"{BOOTSTRAP_STACK} version {version} ({found['StackStatus']})")


def secret_values(aws: Aws, outputs: StackOutputs) -> Check:
    """Every secret the task definitions inject has a value: what `ops secrets check` checks."""
    name = "secrets"
    if _deployed(outputs, names.DATA) is None or _deployed(outputs, names.SERVICE) is None:
        return _warn(
            name,
            "not deployed yet: after the first deploy run `ops secrets set` for each API key, "
            "then this again",
        )
    results = secrets.check(aws, outputs)
    bad = [f"{r['secret']}: {'; '.join(r['problems'])}" for r in results if not r["ok"]]
    if bad:
        return _fail(name, " | ".join(bad) + " (`ops secrets set KEY`)")
    return _pass(name, f"{len(results)} secret(s) with a current value, no placeholder")


def _covers(pattern: str, domain: str) -> bool:
    if pattern.startswith("*."):
        head, _, rest = domain.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == domain


def certificate(aws: Aws, config: EnvConfig) -> Check:
    """The custom domain's certificate (us-east-1) exists, is ISSUED and covers the domain."""
    from botocore.exceptions import ClientError

    name = "certificate"
    arn, domain = config.certificate_arn, config.edge.domain_name
    if not config.edge.cloudfront:
        return _pass(name, "none: plain HTTP, acknowledged in edge.plain_http_reason")
    if arn is None or domain is None:
        return _pass(name, "no custom domain: CloudFront's *.cloudfront.net certificate")
    acm = aws.in_region(CLOUDFRONT_CERTIFICATE_REGION).client("acm")
    try:
        found = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return _fail(name, f"{arn} not found in {CLOUDFRONT_CERTIFICATE_REGION}")
        raise
    if found["Status"] != "ISSUED":
        return _fail(name, f"{arn} is {found['Status']}, not ISSUED (finish its validation)")
    covered = found.get("SubjectAlternativeNames") or [found["DomainName"]]
    if not any(_covers(pattern, domain) for pattern in covered):
        return _fail(name, f"{arn} covers {', '.join(covered)}, not {domain}")
    return _pass(name, f"ISSUED, covers {domain}")


def subscriptions(aws: Aws, config: EnvConfig, outputs: StackOutputs) -> Check:
    """The alarm topic has a confirmed subscription (someone is paged)."""
    name = "alarm subscription"
    examples = [r for r in (*config.alarm_emails, *config.alarm_webhooks) if is_example(r)]
    note = f"; {', '.join(examples)} is the shipped example: replace it" if examples else ""
    monitoring = _deployed(outputs, names.MONITORING)
    if monitoring is None or names.Outputs.ALARM_TOPIC_ARN not in monitoring:
        return _warn(name, "not deployed yet: confirm the subscription after the deploy" + note)
    confirmed = alarms.confirmed_subscriptions(aws, monitoring[names.Outputs.ALARM_TOPIC_ARN])
    if not confirmed:
        return _fail(
            name,
            "the alarm topic has no confirmed subscription: every alarm pages nobody (confirm "
            "the e-mail AWS sent, or check alarm_emails/alarm_webhooks)" + note,
        )
    listed = ", ".join(f"{s['protocol']}:{s['endpoint']}" for s in confirmed)
    return (_warn if examples else _pass)(name, f"confirmed: {listed}" + note)


def _quota(aws: Aws, service: str, code: str) -> float | None:
    from botocore.exceptions import ClientError

    try:
        quota = aws.client("service-quotas").get_service_quota(ServiceCode=service, QuotaCode=code)
    except ClientError as exc:
        if error_code(exc) in ("NoSuchResourceException", "AccessDeniedException"):
            return None
        raise
    return float(quota["Quota"]["Value"])


def elastic_ips(aws: Aws, config: EnvConfig) -> Check:
    """Enough Elastic IPs for the NAT gateways the deploy creates."""
    name = "quota: elastic IPs"
    wanted = parked.nat_gateways(config)
    limit = _quota(aws, *ELASTIC_IP_QUOTA)
    if limit is None:
        return _warn(name, f"quota {ELASTIC_IP_QUOTA[1]} not readable; the deploy needs {wanted}")
    addresses = aws.client("ec2").describe_addresses()["Addresses"]
    network = names.stack_name(config.name, names.NETWORK)
    ours = sum(
        1
        for a in addresses
        if {"Key": "aws:cloudformation:stack-name", "Value": network} in a.get("Tags", [])
    )
    free = int(limit) - len(addresses)
    need = max(0, wanted - ours)
    detail = f"{need} more needed, {free} free of {int(limit)} ({len(addresses)} in use)"
    return (_pass if need <= free else _fail)(name, detail)


def fargate_vcpus(aws: Aws, config: EnvConfig) -> Check:
    """The Fargate vCPU quota holds every service at its maximum plus one run per collector."""
    name = "quota: Fargate vCPUs"
    services = config.services
    peak = sum(s.max_tasks * s.cpu for s in services.values())
    peak += len(config.collectors) * services[names.BACKEND].cpu
    need = peak / 1024
    limit = _quota(aws, *FARGATE_VCPU_QUOTA)
    if limit is None:
        return _warn(name, f"quota {FARGATE_VCPU_QUOTA[1]} not readable; peak need {need:g}")
    detail = f"peak need {need:g} of {limit:g} vCPUs"
    return (_pass if need <= limit else _fail)(name, detail)


def database(aws: Aws, outputs: StackOutputs) -> Check:
    """The database is not stopped (a deploy that updates it would wait, then fail)."""
    name = "database"
    data = _deployed(outputs, names.DATA)
    if data is None or names.Outputs.DATABASE_INSTANCE_ID not in data:
        return _pass(name, "not deployed yet")
    instance_id = data[names.Outputs.DATABASE_INSTANCE_ID]
    status = str(rds.describe(aws, instance_id)["DBInstanceStatus"])
    if rds.phase(status) in (rds.Phase.STOPPED, rds.Phase.STOPPING):
        return _fail(name, f"{instance_id} is {status}: `ops rds start` (or `ops unpark`) first")
    return _pass(name, f"{instance_id} is {status}")


def parking_role(aws: Aws, config: EnvConfig) -> Check:
    """A parking schedule updates the stacks with their own service role (`cdk deploy` leaves
    its execution role on each stack); a stack without one would be updated as the function."""
    from botocore.exceptions import ClientError

    name = "parking schedule"
    if config.schedule is None or not config.schedule.park:
        return _pass(name, "the schedule does not park" if config.schedule else "no schedule")
    cfn = aws.client("cloudformation")
    missing = []
    for part in names.STACK_PARTS:
        stack = names.stack_name(config.name, part)
        try:
            found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        except ClientError as exc:
            if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
                return _pass(name, "not deployed yet")
            raise
        if not found.get("RoleARN"):
            missing.append(stack)
    if missing:
        return _fail(
            name,
            f"{', '.join(missing)} without a CloudFormation service role: the schedule could not "
            "park them; deploy with `cdk deploy --all` (the bootstrap's execution role)",
        )
    return _pass(name, "every stack has its CloudFormation service role")


def run(aws: Aws, config: EnvConfig) -> list[Check]:
    """Every check in order; an AWS error (throttling, AccessDenied) fails its check only."""
    outputs = StackOutputs(aws, config.name)
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("credentials", lambda: credentials(aws, config)),
        ("cdk bootstrap", lambda: bootstrap(aws, config)),
        ("secrets", lambda: secret_values(aws, outputs)),
        ("certificate", lambda: certificate(aws, config)),
        ("alarm subscription", lambda: subscriptions(aws, config, outputs)),
        ("quota: elastic IPs", lambda: elastic_ips(aws, config)),
        ("quota: Fargate vCPUs", lambda: fargate_vcpus(aws, config)),
        ("database", lambda: database(aws, outputs)),
        ("parking schedule", lambda: parking_role(aws, config)),
    ]
    results = []
    for name, check in checks:
        try:
            results.append(check())
        except OpsError as exc:
            results.append(_fail(name, exc.message))
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            results.append(_fail(name, describe_aws_error(exc)))
        if name == "credentials" and results[-1].verdict is Verdict.FAIL:
            break  # every other check would fail the same way
    return results


def failed(results: list[Check]) -> list[str]:
    """The names of the failed checks."""
    return [c.name for c in results if c.verdict is Verdict.FAIL]


def text(results: list[Check]) -> str:
    """One line per check: verdict, name, detail."""
    width = max(len(c.name) for c in results)
    return "\n".join(f"{c.verdict.value}  {c.name:<{width}}  {c.detail}" for c in results)


def to_rows(results: list[Check]) -> list[dict[str, Any]]:
    return [c.to_dict() for c in results]
