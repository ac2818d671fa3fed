"""checkov on every env's templates: only acknowledged findings, each with its reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from stack_templates import ENVS, SynthesizedEnv

from cdk_app.config import EnvConfig, load
from stacks.validation import checkov

PARKED = "production-parked"
# Findings that no configuration may acknowledge in production.
NEVER_IN_PRODUCTION = {
    "CKV_AWS_118",  # RDS enhanced monitoring
    "CKV_AWS_157",  # RDS Multi-AZ
}
PLAIN_HTTP = {"CKV_AWS_2", "CKV_AWS_103", "CKV_AWS_260"}


@pytest.fixture(scope="module")
def scanned(
    envs: dict[str, SynthesizedEnv], synth_env: Callable[[EnvConfig], SynthesizedEnv]
) -> dict[str, SynthesizedEnv]:
    """Every env, and production parked (its edge answers "paused")."""
    return {**envs, PARKED: synth_env(load("production", overrides={"parked": True}))}


@pytest.fixture(scope="module")
def findings(scanned: dict[str, SynthesizedEnv]) -> dict[str, list[checkov.Finding]]:
    """One checkov run over every env's templates, its findings split by env."""
    by_path = {
        str(path.resolve()): env
        for env, synth in scanned.items()
        for path in synth.template_paths()
    }
    split: dict[str, list[checkov.Finding]] = {env: [] for env in scanned}
    for finding in checkov.run([Path(path) for path in by_path]):
        split[by_path[str(Path(finding.path).resolve())]].append(finding)
    return split


@pytest.mark.parametrize("env", [*ENVS, PARKED])
def test_every_checkov_finding_is_acknowledged(
    findings: dict[str, list[checkov.Finding]], scanned: dict[str, SynthesizedEnv], env: str
) -> None:
    assert findings[env], "checkov found nothing at all: did it scan the templates?"
    new = checkov.unacknowledged(findings[env], scanned[env].config)
    assert new == [], "\n".join(str(finding) for finding in new)


def test_every_acknowledgement_is_used_and_gives_its_reason(
    findings: dict[str, list[checkov.Finding]], scanned: dict[str, SynthesizedEnv]
) -> None:
    envs = scanned
    for accepted in checkov.ACCEPTED:
        assert len(accepted.reason) >= 80, accepted.checks
        used = any(
            accepted.covers(finding, envs[env].config)
            for env, found in findings.items()
            for finding in found
        )
        assert used, f"stale acknowledgement: {accepted.checks} {accepted.logical_id_prefix}"


def test_production_acknowledges_neither_missing_monitoring_nor_public_http(
    production: SynthesizedEnv,
) -> None:
    accepted = checkov.accepted_for(production.config)
    assert {check for item in accepted for check in item.checks}.isdisjoint(NEVER_IN_PRODUCTION)
    # Plain HTTP is accepted only on the internal ALB behind CloudFront, never on a public one.
    for item in accepted:
        if PLAIN_HTTP & set(item.checks):
            assert "internal" in item.reason
    alb = production.one("Service", "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Properties"]["Scheme"] == "internal"


def test_a_new_finding_is_not_acknowledged() -> None:
    config = load("production")
    known = checkov.Finding(
        check="CKV_AWS_158",
        title="log group KMS",
        resource_type="AWS::Logs::LogGroup",
        logical_id="BackendLogs1234",
        path="t.json",
    )
    assert checkov.unacknowledged([known], config) == []
    other_type = checkov.Finding(
        check="CKV_AWS_158",
        title="same check, another resource type",
        resource_type="AWS::SQS::Queue",
        logical_id="BackendLogs1234",
        path="t.json",
    )
    unknown = checkov.Finding(
        check="CKV_AWS_999",
        title="a check added by a newer checkov",
        resource_type="AWS::Logs::LogGroup",
        logical_id="BackendLogs1234",
        path="t.json",
    )
    monitoring = checkov.Finding(
        check="CKV_AWS_118",
        title="enhanced monitoring",
        resource_type="AWS::RDS::DBInstance",
        logical_id="DatabaseB269D8BB",
        path="t.json",
    )
    assert checkov.unacknowledged([other_type, unknown, monitoring], config) == [
        other_type,
        unknown,
        monitoring,
    ]
    assert checkov.unacknowledged([monitoring], load("staging")) == []


def test_report_parsing_and_a_missing_checkov(tmp_path: Path) -> None:
    item = {
        "check_id": "CKV_AWS_2",
        "check_name": "Ensure ALB protocol is HTTPS",
        "resource": "AWS::ElasticLoadBalancingV2::Listener.AlbHttp",
        "file_path": "/x/OhMyCoins-staging-Service.template.json",
    }
    single = json.dumps({"check_type": "cloudformation", "results": {"failed_checks": [item]}})
    (finding,) = checkov.parse_report(single)
    assert (finding.resource_type, finding.logical_id) == (
        "AWS::ElasticLoadBalancingV2::Listener",
        "AlbHttp",
    )
    assert finding.path == "/x/OhMyCoins-staging-Service.template.json"
    assert checkov.parse_report(json.dumps([json.loads(single), {"summary": {}}])) == [finding]
    with pytest.raises(checkov.CheckovError, match="no JSON report"):
        checkov.parse_report("Traceback (most recent call last): ...")
    with pytest.raises(checkov.CheckovError, match="make setup"):
        checkov.run([tmp_path / "t.json"], checkov=tmp_path / "no-checkov")
