"""The adapter's scale-schedule types: Scheduler schedules and a function's invoke config."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
from cfn_deploy import create_stack

FUNCTION = "sched-test-fn"


def _function(aws: boto3.Session) -> str:
    iam = aws.client("iam")
    role = iam.create_role(
        RoleName="sched-test", AssumeRolePolicyDocument=json.dumps({"Statement": []})
    )["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return aws.client("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.13",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]


def _template(function_arn: str, *, timezone: str = "Australia/Sydney") -> dict[str, Any]:
    return {
        "Resources": {
            "Up": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Name": "sched-test-up",
                    "ScheduleExpression": "cron(0 8 ? * MON,TUE,WED,THU,FRI *)",
                    "ScheduleExpressionTimezone": timezone,
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "State": "DISABLED",
                    "Target": {
                        "Arn": function_arn,
                        "RoleArn": "arn:aws:iam::123456789012:role/invoker",
                        "Input": '{"action": "up"}',
                    },
                },
            },
            "InvokeConfig": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": FUNCTION,
                    "Qualifier": "$LATEST",
                    "MaximumRetryAttempts": 0,
                },
            },
        },
        "Outputs": {
            "UpName": {"Value": {"Ref": "Up"}},
            "UpArn": {"Value": {"Fn::GetAtt": ["Up", "Arn"]}},
        },
    }


def test_schedule_and_invoke_config_are_created(aws: boto3.Session) -> None:
    arn = _function(aws)
    outputs = create_stack(aws.client("cloudformation"), name="sched", template=_template(arn))
    schedule = aws.client("scheduler").get_schedule(Name="sched-test-up")
    assert outputs["UpName"] == "sched-test-up"
    assert outputs["UpArn"] == schedule["Arn"]
    assert schedule["ScheduleExpressionTimezone"] == "Australia/Sydney"
    assert schedule["State"] == "DISABLED"
    assert schedule["Target"]["Arn"] == arn
    assert json.loads(schedule["Target"]["Input"]) == {"action": "up"}
    config = aws.client("lambda").get_function_event_invoke_config(FunctionName=FUNCTION)
    assert config["MaximumRetryAttempts"] == 0


def test_deleting_the_stack_deletes_the_schedule(aws: boto3.Session) -> None:
    cfn = aws.client("cloudformation")
    create_stack(cfn, name="sched", template=_template(_function(aws)))
    cfn.delete_stack(StackName="sched")
    names = [s["Name"] for s in aws.client("scheduler").list_schedules()["Schedules"]]
    assert "sched-test-up" not in names
