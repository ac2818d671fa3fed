"""`ops preflight` against moto: every check passes on a healthy env, and each FAIL is caught."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner
from moto_env import ENV, REGION, Deployed

from cdk_app.config import EnvConfig, load
from ops import preflight
from ops.cli import cli
from ops.preflight import Verdict
from stacks.contract import names

CERT_DOMAIN = "app.ohmycoins.example.org"


def _bootstrap(deployed: Deployed, version: int = 28) -> None:
    template = {
        "Resources": {"M": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"BootstrapVersion": {"Value": str(version)}},
    }
    deployed.client("cloudformation").create_stack(
        StackName=preflight.BOOTSTRAP_STACK, TemplateBody=json.dumps(template)
    )


def _quotas(elastic_ips: float = 5, vcpus: float = 400) -> Callable[..., Any]:
    """Service Quotas answers (moto has none for EC2 and Fargate), through botocore's hook."""
    values = {preflight.ELASTIC_IP_QUOTA[1]: elastic_ips, preflight.FARGATE_VCPU_QUOTA[1]: vcpus}

    def answer(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        code = json.loads(params["body"]).get("QuotaCode")
        if code not in values:
            return None
        # A response without a body (raw=None): the stubbed call reads only the status.
        ok = AWSResponse(url="", status_code=200, headers={}, raw=None)  # type: ignore[arg-type]
        return ok, {"Quota": {"QuotaCode": code, "Value": values[code]}}

    return answer


def _run(deployed: Deployed, config: EnvConfig | None = None, **quotas: float) -> dict[str, Any]:
    aws = deployed.aws()
    aws.on("before-call.service-quotas.GetServiceQuota", _quotas(**quotas))
    results = preflight.run(aws, config or load(ENV))
    return {c.name: c for c in results}


EXEC_ROLE = f"arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-{REGION}"


def _with_service_role(deployed: Deployed, parts: tuple[str, ...] = names.STACK_PARTS) -> None:
    """What `cdk deploy` leaves on each stack: the bootstrap's execution role."""
    cfn = deployed.client("cloudformation")
    for part in parts:
        cfn.update_stack(
            StackName=names.stack_name(ENV, part), UsePreviousTemplate=True, RoleARN=EXEC_ROLE
        )


@pytest.fixture
def ready(deployed: Deployed) -> Deployed:
    """The staging env in moto, bootstrapped, its stacks deployed with their service role."""
    _bootstrap(deployed)
    _with_service_role(deployed)
    return deployed


def test_a_healthy_env_passes_and_makes_no_mutating_call(ready: Deployed) -> None:
    checks = _run(ready)
    assert list(checks) == [
        "credentials", "cdk bootstrap", "secrets", "certificate", "alarm subscription",
        "quota: elastic IPs", "quota: Fargate vCPUs", "database", "parking schedule",
    ]  # fmt: skip
    verdicts = {name: c.verdict for name, c in checks.items()}
    # the shipped example recipient is confirmed in the fixture, but flagged
    assert verdicts.pop("alarm subscription") is Verdict.WARN
    assert "shipped example" in checks["alarm subscription"].detail
    assert set(verdicts.values()) == {Verdict.PASS}, checks
    assert checks["credentials"].detail == f"account 123456789012, region {REGION}"
    assert ready.mutating_calls() == []


def test_cli_exit_status_text_and_json(ready: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    context = ready.context()
    context.hooks.append(("before-call.service-quotas.GetServiceQuota", _quotas()))
    result = CliRunner().invoke(cli, ["preflight", "--env", ENV], obj=context)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("PASS  credentials")
    ready.client("rds").stop_db_instance(DBInstanceIdentifier=ready.ids["db"])
    result = CliRunner().invoke(cli, ["preflight", "--env", ENV, "--json"], obj=context)
    assert result.exit_code == 1
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["database"]["verdict"] == "FAIL"
    assert "preflight failed: database" in result.output


def test_missing_secret_value_fails(ready: Deployed) -> None:
    """The original failure: a secret without an AWSCURRENT version kills every task."""
    sm = ready.client("secretsmanager")
    arn = ready.ids["app_secret"]
    (version,) = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    sm.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSCURRENT", RemoveFromVersionId=version
    )
    check = _run(ready)["secrets"]
    assert check.verdict is Verdict.FAIL
    assert "no AWSCURRENT version" in check.detail and "ops secrets set" in check.detail


def test_placeholder_secret_fails(ready: Deployed) -> None:
    sm = ready.client("secretsmanager")
    value = {key: names.PLACEHOLDER for key in names.APP_SECRET_KEYS}
    sm.put_secret_value(SecretId=ready.ids["app_secret"], SecretString=json.dumps(value))
    check = _run(ready)["secrets"]
    assert check.verdict is Verdict.FAIL and "placeholder" in check.detail


def test_no_confirmed_subscription_fails(ready: Deployed) -> None:
    sns = ready.client("sns")
    for sub in sns.list_subscriptions_by_topic(TopicArn=ready.ids["topic"])["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    check = _run(ready)["alarm subscription"]
    assert check.verdict is Verdict.FAIL and "pages nobody" in check.detail


def test_a_real_recipient_passes(ready: Deployed) -> None:
    config = dataclasses.replace(load(ENV), alarm_emails=("oncall@ohmycoins.io",))
    check = _run(ready, config)["alarm subscription"]
    assert check.verdict is Verdict.PASS and "email:oncall@example.com" in check.detail


def test_stopped_database_fails(ready: Deployed) -> None:
    ready.client("rds").stop_db_instance(DBInstanceIdentifier=ready.ids["db"])
    check = _run(ready)["database"]
    assert check.verdict is Verdict.FAIL and "ops rds start" in check.detail


def test_missing_or_old_bootstrap_fails(deployed: Deployed) -> None:
    check = _run(deployed)["cdk bootstrap"]
    assert check.verdict is Verdict.FAIL and "cdk bootstrap" in check.detail
    _bootstrap(deployed, version=preflight.MIN_BOOTSTRAP_VERSION - 1)
    check = _run(deployed)["cdk bootstrap"]
    assert check.verdict is Verdict.FAIL and "version 5 < 6" in check.detail


def test_wrong_account_or_region_fails_and_stops(ready: Deployed) -> None:
    config = dataclasses.replace(load(ENV), account="210987654321")
    checks = _run(ready, config)
    assert list(checks) == ["credentials"]
    assert "names account 210987654321" in checks["credentials"].detail
    aws = ready.aws().in_region("us-east-1")
    (check, *_) = preflight.run(aws, load(ENV))
    assert check.verdict is Verdict.FAIL and f"deploys to {REGION}" in check.detail


def test_quotas_too_small_fail(ready: Deployed) -> None:
    ec2 = ready.client("ec2")
    for _ in range(2):
        ec2.allocate_address(Domain="vpc")
    checks = _run(ready, elastic_ips=2, vcpus=1)
    eips, vcpus = checks["quota: elastic IPs"], checks["quota: Fargate vCPUs"]
    assert eips.verdict is Verdict.FAIL and "1 more needed, 0 free of 2" in eips.detail
    assert vcpus.verdict is Verdict.FAIL and "of 1 vCPUs" in vcpus.detail


def test_unreadable_quota_warns(ready: Deployed) -> None:
    checks = {c.name: c for c in preflight.run(ready.aws(), load(ENV))}  # moto: no such quota
    assert checks["quota: elastic IPs"].verdict is Verdict.WARN


def _self_signed(domain: str) -> tuple[bytes, bytes]:
    """A certificate and key for `domain` (imported certificates are ISSUED in ACM)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def _certificate_config(arn: str) -> EnvConfig:
    base = load(ENV)
    edge = dataclasses.replace(base.edge, domain_name=CERT_DOMAIN)
    return dataclasses.replace(base, certificate_arn=arn, edge=edge)


@pytest.mark.parametrize(
    ("covered", "verdict", "expected"),
    [
        (CERT_DOMAIN, Verdict.PASS, f"ISSUED, covers {CERT_DOMAIN}"),
        ("*.ohmycoins.example.org", Verdict.PASS, f"ISSUED, covers {CERT_DOMAIN}"),
        ("other.example.org", Verdict.FAIL, f"covers other.example.org, not {CERT_DOMAIN}"),
    ],
)
def test_an_issued_certificate_must_cover_the_domain(
    ready: Deployed, covered: str, verdict: Verdict, expected: str
) -> None:
    cert, key = _self_signed(covered)
    acm = ready.aws().in_region("us-east-1").client("acm")
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    check = _run(ready, _certificate_config(arn))["certificate"]
    assert (check.verdict, check.detail.removeprefix(f"{arn} ")) == (verdict, expected)


def test_a_pending_or_missing_certificate_fails(ready: Deployed) -> None:
    acm = ready.aws().in_region("us-east-1").client("acm")
    arn = acm.request_certificate(DomainName=CERT_DOMAIN)["CertificateArn"]
    check = _run(ready, _certificate_config(arn))["certificate"]
    assert check.verdict is Verdict.FAIL and "PENDING_VALIDATION, not ISSUED" in check.detail
    missing = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    check = _run(ready, _certificate_config(missing))["certificate"]
    assert check.verdict is Verdict.FAIL and "not found in us-east-1" in check.detail


def test_wildcards_cover_one_label() -> None:
    assert preflight._covers("*.example.org", "app.example.org")
    assert not preflight._covers("*.example.org", "a.b.example.org")
    assert preflight._covers("app.example.org", "app.example.org")


def test_aws_errors_fail_only_their_check(ready: Deployed) -> None:
    from botocore.exceptions import ClientError

    def deny(**_: Any) -> None:
        error = {"Error": {"Code": "AccessDenied", "Message": "not allowed"}}
        # botocore-stubs want the full error-response TypedDict; the code reads only Error.
        raise ClientError(error, "DescribeDBInstances")  # type: ignore[arg-type]

    aws = ready.aws()
    aws.on("before-call.rds.DescribeDBInstances", deny)
    checks = {c.name: c for c in preflight.run(aws, load(ENV))}
    assert checks["database"].verdict is Verdict.FAIL
    assert checks["database"].detail == "DescribeDBInstances: AccessDenied: not allowed"
    assert checks["secrets"].verdict is Verdict.PASS


def test_before_the_first_deploy_the_stack_checks_warn(aws_env: None) -> None:
    from moto import mock_aws

    from ops.aws.session import Aws

    with mock_aws():
        checks = {c.name: c for c in preflight.run(Aws(region=REGION), load(ENV))}
    assert checks["secrets"].verdict is Verdict.WARN
    assert checks["alarm subscription"].verdict is Verdict.WARN
    assert checks["database"].verdict is Verdict.PASS
    assert checks["cdk bootstrap"].verdict is Verdict.FAIL


def test_a_parking_schedule_needs_the_stacks_service_role(deployed: Deployed) -> None:
    _bootstrap(deployed)
    _with_service_role(deployed, (names.NETWORK, names.DATA))
    check = _run(deployed)["parking schedule"]
    assert check.verdict is Verdict.FAIL
    missing = [names.stack_name(ENV, p) for p in (names.SERVICE, names.MONITORING)]
    assert all(stack in check.detail for stack in missing), check.detail
    config = load(ENV)
    assert config.schedule is not None
    scaling = dataclasses.replace(config, schedule=dataclasses.replace(config.schedule, park=False))
    assert _run(deployed, scaling)["parking schedule"].verdict is Verdict.PASS
