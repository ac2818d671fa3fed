"""Full validation: built-in, cdk-nag AwsSolutions and cfn-lint on the real app of every env."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from stack_templates import ENVS

from cdk_app.config import known_envs, load
from cdk_app.summary import EnvSummary, summarize
from stacks.app import create_app
from stacks.contract import alarm_catalog, names
from stacks.validation.cfn_lint_check import lint_templates
from stacks.validation.cfn_lint_plugin import CfnLintPlugin
from stacks.validation.nag import enable_checks

ROOT = Path(__file__).resolve().parents[2]


class Validated(dict[str, tuple[EnvSummary, Path]]):
    """Env -> its summary and cloud assembly, synthesized exactly as `cdk synth` does, with every
    check on, when a test first asks for it: under xdist each env's tests form a group of their
    own (tests/conftest.py, BY_PARAMETER), so the envs' validations run on different workers."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self.tmp_path_factory = tmp_path_factory

    def __missing__(self, env: str) -> tuple[EnvSummary, Path]:
        if env not in known_envs():
            raise KeyError(env)
        outdir = self.tmp_path_factory.mktemp(f"validated-{env}")
        self[env] = (summarize(env, outdir=outdir), outdir)
        return self[env]


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Validated:
    """Every env, validated on first use (see Validated)."""
    return Validated(tmp_path_factory)


@pytest.mark.parametrize("env", ENVS)
def test_env_passes_cdk_nag_builtin_and_cfn_lint(validated: dict, env: str) -> None:
    summary, outdir = validated[env]
    assert summary.ok, summary.error
    assert len(summary.alarms) == len(alarm_catalog.ALARM_IDS)
    report = json.loads((outdir / "validation-report.json").read_text())
    plugins = {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}
    assert plugins["AwsSolutions"]["conclusion"] == "success"
    assert plugins["AwsSolutions"]["violations"] == []


@pytest.mark.parametrize("env", ["local", "staging", "production"])
def test_every_acknowledgement_has_a_reason(validated: dict, env: str) -> None:
    _summary, outdir = validated[env]
    report = json.loads((outdir / "validation-report.json").read_text())
    (nag,) = (p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions")
    acknowledged = nag["suppressedViolations"]
    assert acknowledged
    for violation in acknowledged:
        assert len(violation["reason"]) >= 40, violation["ruleName"]


@pytest.mark.parametrize("env", ENVS)
def test_cfn_lint_every_template_no_error_no_warning(validated: dict, env: str) -> None:
    summary, outdir = validated[env]
    parts = names.stack_parts(scheduled=load(env).schedule is not None)
    expected = {outdir / f"{names.stack_name(env, part)}.template.json" for part in parts}
    assert {Path(path) for path in summary.linted} == expected
    assert summary.lint_findings == ()


def test_cfn_lint_reports_warnings(tmp_path: Path) -> None:
    template = tmp_path / "bad.template.json"
    template.write_text(
        json.dumps(
            {
                "Resources": {
                    "Subnet": {
                        "Type": "AWS::EC2::Subnet",
                        "Properties": {
                            "VpcId": "vpc-12345678",
                            "CidrBlock": "10.0.0.0/24",
                            "AvailabilityZone": "ap-southeast-2a",
                        },
                    }
                }
            }
        )
    )
    findings = lint_templates([template], regions=["ap-southeast-2"])
    assert [finding.rule_id for finding in findings] == ["W3010"]


def _subnet_with_literal_az(stack: cdk.Stack) -> None:
    """A resource cfn-lint warns about (W3010: hard-coded availability zone)."""
    cdk.CfnResource(
        stack,
        "Subnet",
        type="AWS::EC2::Subnet",
        properties={
            "VpcId": "vpc-12345678",
            "CidrBlock": "10.0.0.0/24",
            "AvailabilityZone": "ap-southeast-2a",
        },
    )


def test_checks_fail_synthesis_on_unacknowledged_findings(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    stack = cdk.Stack(app, "Bad", env=cdk.Environment(region="ap-southeast-2"))
    sns.Topic(stack, "PlainTopic")  # no SSL-only policy: cdk-nag SNS3
    _subnet_with_literal_az(stack)  # cfn-lint W3010
    enable_checks(app, regions=["ap-southeast-2"])
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {
        (plugin["pluginName"], violation["ruleName"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
    }
    assert {("AwsSolutions", "AwsSolutions-SNS3"), ("cfn-lint", "W3010")} <= rules


def test_cfn_lint_plugin_alone_fails_synthesis(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    _subnet_with_literal_az(cdk.Stack(app, "Lint", env=cdk.Environment(region="ap-southeast-2")))
    cdk.Validations.of(app).add_plugins(CfnLintPlugin(regions=["ap-southeast-2"]))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (lint,) = (p for p in report["pluginReports"] if p["pluginName"] == "cfn-lint")
    assert [v["ruleName"] for v in lint["violations"]] == ["W3010"]


def test_acknowledgements_live_in_one_module() -> None:
    pattern = re.compile(r"\.acknowledge\(|ignore_checks|add_metadata\(\"cfn-lint\"")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("stacks", "cdk_app")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "nag.py" and pattern.search(path.read_text())
    ]
    assert offenders == []


def _run_app(tmp_path: Path, context: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m cdk_app` as the CDK CLI runs it (context arrives as strings)."""
    return subprocess.run(
        [sys.executable, "-m", "cdk_app"],
        cwd=ROOT,
        env={**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": json.dumps(context)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_app_entry_point_rejects_an_unknown_env(tmp_path: Path) -> None:
    result = _run_app(tmp_path, {"env": "prod"})
    assert result.returncode == 2
    assert "unknown environment 'prod'; known: local, production, staging" in result.stderr


def test_app_entry_point_rejects_a_non_boolean_parked(tmp_path: Path) -> None:
    result = _run_app(tmp_path, {"env": "staging", "parked": "maybe"})
    assert result.returncode == 2
    assert "parked: expected true or false, got 'maybe'" in result.stderr


def test_apps_carry_the_feature_flags_of_cdk_json() -> None:
    flags = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert flags["@aws-cdk/core:defaultCrossStackReferences"] == "strong"
    app = create_app(validation=False)
    for key, value in flags.items():
        assert app.node.try_get_context(key) == value, key


@pytest.mark.parametrize("env", ["production"])  # scheduled with production's validation
def test_stack_names_follow_the_contract(validated: dict, env: str) -> None:
    summary, _outdir = validated[env]
    parts = names.stack_parts(scheduled=load(env).schedule is not None)
    assert sorted(summary.resources) == sorted(names.stack_name(env, part) for part in parts)
