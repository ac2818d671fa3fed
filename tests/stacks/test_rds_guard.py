"""The keep-RDS-stopped guard: rule, event pattern, state machine states and least-privilege IAM."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Validations  # noqa: E402
from aws_cdk import aws_kms as kms  # noqa: E402
from aws_cdk import aws_sns as sns  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from stacks.contract import names  # noqa: E402
from stacks.rds_guard import AUTO_START_EVENT, MAX_ATTEMPTS, RdsStoppedGuard  # noqa: E402
from stacks.validation.nag import acknowledge_rds_guard  # noqa: E402

INSTANCE = "ohmycoins-test-db"
INSTANCE_ARN = f"arn:aws:rds:ap-southeast-2:111111111111:db:{INSTANCE}"
RETENTION_DAYS = 90


@pytest.fixture(scope="module")
def template() -> Template:
    app = App()
    stack = Stack(app, "Guard", env=Environment(account="111111111111", region="ap-southeast-2"))
    topic = sns.Topic(stack, "Topic")
    RdsStoppedGuard(
        stack,
        "Guard",
        env_name="test",
        instance_identifier=INSTANCE,
        topic=topic,
        log_retention_days=RETENTION_DAYS,
    )
    return Template.from_stack(stack)


def _one(template: Template, type_: str) -> dict[str, Any]:
    (resource,) = template.find_resources(type_).values()
    return resource["Properties"]


def _resolve(value: Any) -> Any:
    """Resolve the Fn::Join / Ref AWS::Partition of ARNs; other references become `REF:<id>`."""
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(str(_resolve(part)) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "aws" if value["Ref"] == "AWS::Partition" else f"REF:{value['Ref']}"
    if isinstance(value, dict):
        return {key: _resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    return value


def _definition(template: Template) -> dict[str, Any]:
    """The state machine's ASL, with the CloudFormation Fn::Join of the template resolved."""
    body = _one(template, "AWS::StepFunctions::StateMachine")["DefinitionString"]
    return json.loads(_resolve(body))


def test_rule_matches_only_the_auto_start_event_of_this_instance(template: Template) -> None:
    rule = _resolve(_one(template, "AWS::Events::Rule"))
    assert rule["EventPattern"] == {
        "source": ["aws.rds"],
        "detail-type": ["RDS DB Instance Event"],
        "resources": [INSTANCE_ARN],
        "detail": {"EventID": [AUTO_START_EVENT], "SourceIdentifier": [INSTANCE]},
    }
    assert AUTO_START_EVENT == "RDS-EVENT-0154"
    (target,) = rule["Targets"]
    assert "StateMachine" in json.dumps(target["Arn"])


def test_states_wait_describe_stop_retry_and_give_up(template: Template) -> None:
    asl = _definition(template)
    states = asl["States"]
    assert states["WaitForInstance"]["Type"] == "Wait"
    assert states["WaitForInstance"]["Next"] == "DescribeInstance"
    describe = states["DescribeInstance"]
    assert describe["Resource"].endswith(":states:::aws-sdk:rds:describeDBInstances")
    assert describe["Parameters"] == {"DbInstanceIdentifier": INSTANCE}
    stop = states["StopInstance"]
    assert stop["Resource"].endswith(":states:::aws-sdk:rds:stopDBInstance")
    choices = states["InstanceStatus"]["Choices"]
    assert choices[0] == {
        "Variable": "$.db.status",
        "StringEquals": "available",
        "Next": "StopInstance",
    }
    give_up = next(c for c in choices if "NumericGreaterThanEquals" in c)
    assert give_up["NumericGreaterThanEquals"] * states["WaitForInstance"]["Seconds"] == 24 * 3600
    assert give_up["NumericGreaterThanEquals"] == MAX_ATTEMPTS
    # Anything else (e.g. `starting`) counts one attempt and waits again.
    assert states["InstanceStatus"]["Default"] == "CountAttempt"
    assert states["CountAttempt"]["Next"] == "WaitForInstance"
    not_ready = stop["Catch"][0]
    assert not_ready["ErrorEquals"] == ["Rds.InvalidDbInstanceStateException"]
    assert not_ready["Next"] == "CountAttempt"
    notify = states[give_up["Next"]]
    assert notify["Resource"].endswith(":states:::sns:publish")
    assert states[notify["Next"]]["Type"] == "Fail"


def test_only_sdk_integrations_and_no_lambda(template: Template) -> None:
    assert template.find_resources("AWS::Lambda::Function") == {}
    tasks = [s for s in _definition(template)["States"].values() if s["Type"] == "Task"]
    assert tasks
    for task in tasks:
        assert ":states:::aws-sdk:" in task["Resource"] or task["Resource"].endswith(
            ":states:::sns:publish"
        )


def test_rds_permissions_name_only_this_instance(template: Template) -> None:
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    rds = [s for s in statements if any(str(a).startswith("rds:") for a in _list(s["Action"]))]
    assert {a for s in rds for a in _list(s["Action"])} == {
        "rds:DescribeDBInstances",
        "rds:StopDBInstance",
    }
    for statement in rds:
        assert _resolve(statement["Resource"]) == INSTANCE_ARN
    publish = [s for s in statements if "sns:Publish" in _list(s["Action"])]
    assert publish and all(s["Resource"] != "*" for s in publish)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_execution_logs_keep_the_configured_retention(template: Template) -> None:
    logs = _one(template, "AWS::Logs::LogGroup")
    assert logs["RetentionInDays"] == RETENTION_DAYS
    assert (
        logs["LogGroupName"] == f"/aws/vendedlogs/states/{names.resource_name('test', 'rds-guard')}"
    )


def test_guard_passes_cdk_nag_and_cfn_lint(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Guard", env=Environment(account="111111111111", region="ap-southeast-2"))
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    topic = sns.Topic(stack, "Topic", master_key=key, enforce_ssl=True)
    guard = RdsStoppedGuard(
        stack,
        "Guard",
        env_name="test",
        instance_identifier=INSTANCE,
        topic=topic,
        log_retention_days=RETENTION_DAYS,
    )
    acknowledge_rds_guard(guard)  # acknowledgements live in stacks/validation/nag.py
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # a cdk-nag finding fails the synth
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(tmp_path / "Guard.template.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_monitoring_wires_the_guard_only_when_keep_rds_stopped(
    envs: dict[str, Any], production: Any
) -> None:
    from cdk_app.config import load

    wired = {
        env: bool(synth.resources(names.MONITORING, "AWS::StepFunctions::StateMachine"))
        for env, synth in envs.items()
    }
    assert wired == {env: load(env).keep_rds_stopped for env in envs}
    assert False in wired.values() and True in wired.values()  # both cases are exercised
    guarded = production
    machines = guarded.resources(names.MONITORING, "AWS::StepFunctions::StateMachine")
    assert len(machines) == 1
    (rule,) = guarded.resources(names.MONITORING, "AWS::Events::Rule").values()
    (instance_id,) = rule["Properties"]["EventPattern"]["detail"]["SourceIdentifier"]
    data_outputs = guarded.templates[names.DATA]["Outputs"]
    (db_logical_id,) = guarded.resources(names.DATA, "AWS::RDS::DBInstance")
    exported = next(
        o["Export"]["Name"]
        for o in data_outputs.values()
        if o.get("Value") == {"Ref": db_logical_id} and "Export" in o
    )
    assert instance_id == {"Fn::ImportValue": exported}
    statements = [
        s
        for policy in guarded.resources(names.MONITORING, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    (key_id,) = guarded.resources(names.MONITORING, "AWS::KMS::Key")
    kms = [s for s in statements if "kms:GenerateDataKey" in _list(s["Action"])]
    assert kms and kms[0]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
