"""The keep-RDS-stopped guard: rule, event pattern, state machine states and least-privilege IAM."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
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
STATE = names.scale_state_parameter("test")
MARK = names.rds_stop_parameter("test")


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
    # `available`: read whether the environment is meant to be down before stopping
    assert choices[0] == {
        "Variable": "$.db.status",
        "StringEquals": "available",
        "Next": "ReadScaleState",
    }
    assert states["ReadScaleState"]["Parameters"] == {"Names": [STATE]}
    assert states["ReadStopMark"]["Parameters"] == {"Names": [MARK]}
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
    ssm = [s for s in statements if any(str(a).startswith("ssm:") for a in _list(s["Action"]))]
    assert {a for s in ssm for a in _list(s["Action"])} == {"ssm:GetParameters"}
    prefix = "arn:aws:ssm:ap-southeast-2:111111111111:parameter"
    assert sorted(str(_resolve(r)) for s in ssm for r in _list(s["Resource"])) == sorted(
        [prefix + MARK, prefix + STATE]
    )
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


# The state machine run by moto's Step Functions interpreter against moto's RDS and SSM: what it
# decides once AWS has started the instance by itself.
REGION = "ap-southeast-2"


def _runnable(template: Template, topic_arn: str, wait_seconds: int) -> str:
    """The ASL with the topic's ARN filled in and every Wait shortened. moto's interpreter passes
    SDK names to boto3 as they are, so the SDK v2 spelling `Db...` becomes boto3's `DB...`."""
    asl = _definition(template)
    for state in asl["States"].values():
        if state["Type"] == "Wait":
            state["Seconds"] = wait_seconds
    (topic_id,) = template.find_resources("AWS::SNS::Topic")
    text = json.dumps(asl).replace(f"REF:{topic_id}", topic_arn)
    return text.replace("DbInstance", "DBInstance")


@pytest.fixture
def guard_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with Step Functions executing state machines, and one running instance."""
    import boto3
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # no instance here: EC2 without public AMIs
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = {s: boto3.client(s, region_name=REGION) for s in ("rds", "ssm", "sns")}
        clients["sfn"] = boto3.client("stepfunctions", region_name=REGION)
        clients["rds"].create_db_instance(
            DBInstanceIdentifier=INSTANCE,
            DBInstanceClass="db.t3.small",
            Engine="postgres",
            MasterUsername="ohmycoins",
            MasterUserPassword="not-a-real-password",
            AllocatedStorage=20,
        )
        clients["topic"] = clients["sns"].create_topic(Name="alarms")["TopicArn"]
        yield clients


def _set_db(status: str) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.rds.models import rds_backends

    rds_backends[DEFAULT_ACCOUNT_ID][REGION].databases[INSTANCE].status = status


def _db(aws: dict[str, Any]) -> str:
    found = aws["rds"].describe_db_instances(DBInstanceIdentifier=INSTANCE)
    return str(found["DBInstances"][0]["DBInstanceStatus"])


def _start(aws: dict[str, Any], template: Template, *, wait_seconds: int = 0) -> str:
    machine = aws["sfn"].create_state_machine(
        name="guard",
        definition=_runnable(template, aws["topic"], wait_seconds),
        roleArn="arn:aws:iam::123456789012:role/guard",
    )["stateMachineArn"]
    return str(aws["sfn"].start_execution(stateMachineArn=machine)["executionArn"])


def _outcome(aws: dict[str, Any], execution: str) -> tuple[str, str]:
    """(status, name of the last state entered) once the execution has ended; the failed tasks'
    errors in the message when it is not SUCCEEDED, to read the cause of a failed test."""
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = aws["sfn"].describe_execution(executionArn=execution)["status"]
        if status != "RUNNING":
            events = aws["sfn"].get_execution_history(executionArn=execution)["events"]
            entered = [
                e["stateEnteredEventDetails"]["name"]
                for e in events
                if "stateEnteredEventDetails" in e
            ]
            failures = [
                e["taskFailedEventDetails"] for e in events if "taskFailedEventDetails" in e
            ]
            if status != "SUCCEEDED" and failures:
                warnings.warn(f"guard execution {status}: {failures}", stacklevel=2)
            return status, entered[-1]
        time.sleep(0.1)
    raise AssertionError("the guard's execution did not end within 60 s")


def _saved(phase: str | None, restored_at: str | None = None) -> str:
    """A saved scale state as `ops` writes it (version 2), or as older `ops` did (no phase)."""
    document: dict[str, Any] = {"services": {}, "alarms": {}, "rds": {"id": INSTANCE}}
    if phase is None:
        document |= {"version": 1} | ({"restored_at": restored_at} if restored_at else {})
    else:
        document |= {"version": 2, "phase": phase, "restored_at": restored_at}
    return json.dumps(document)


@pytest.mark.parametrize(
    ("state", "mark", "expected"),
    [
        (_saved("down"), False, ("Stopped", "stopped")),
        (_saved("restoring"), False, ("NotMeantToBeDown", "available")),
        (_saved("restored", "2026-01-02T00:00:00+00:00"), False, ("NotMeantToBeDown", "available")),
        (_saved("restored", "2026-01-02T00:00:00+00:00"), True, ("Stopped", "stopped")),
        (None, True, ("Stopped", "stopped")),
        (None, False, ("NotMeantToBeDown", "available")),
        (_saved(None), False, ("Stopped", "stopped")),  # an older state, scaled down
        (_saved(None, "2026-01-02T00:00:00+00:00"), False, ("NotMeantToBeDown", "available")),
    ],
    ids=["down", "restoring", "restored", "restored+rds-stop", "rds-stop", "nothing", "v1-down",
         "v1-restored"],
)  # fmt: skip
def test_guard_stops_only_what_is_meant_to_be_down(
    template: Template,
    guard_aws: dict[str, Any],
    state: str | None,
    mark: bool,
    expected: tuple[str, str],
) -> None:
    if state is not None:
        guard_aws["ssm"].put_parameter(Name=STATE, Value=state, Type="String")
    if mark:
        guard_aws["ssm"].put_parameter(Name=MARK, Value='{"by": "alice"}', Type="String")
    status, last = _outcome(guard_aws, _start(guard_aws, template))
    assert (status, last) == ("SUCCEEDED", expected[0])
    assert _db(guard_aws) == expected[1]


def test_a_restore_while_the_guard_waits_keeps_the_database(
    template: Template, guard_aws: dict[str, Any]
) -> None:
    """AWS starts the instance of a scaled-down environment; while the guard waits for it, a
    restore begins (state `restoring`) and the start completes: the guard leaves it running."""
    guard_aws["ssm"].put_parameter(Name=STATE, Value=_saved("down"), Type="String")
    _set_db("starting")
    execution = _start(guard_aws, template, wait_seconds=1)
    guard_aws["ssm"].put_parameter(
        Name=STATE, Value=_saved("restoring"), Type="String", Overwrite=True
    )
    _set_db("available")
    assert _outcome(guard_aws, execution) == ("SUCCEEDED", "NotMeantToBeDown")
    assert _db(guard_aws) == "available"


def test_an_unreadable_state_is_left_running_and_reported(
    template: Template, guard_aws: dict[str, Any]
) -> None:
    guard_aws["ssm"].put_parameter(Name=STATE, Value="{not json", Type="String")
    status, last = _outcome(guard_aws, _start(guard_aws, template))
    assert (status, last) == ("FAILED", "ParseScaleState")
    assert _db(guard_aws) == "available"
