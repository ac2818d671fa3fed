"""Verification finds every deployed resource, and fails when something was not really created."""

from __future__ import annotations

import json

import boto3
import pytest
from cfn_deploy import create_stack
from localaws_templates import full_template

from localaws.verify import StackReport, VerificationFailed, verify


def test_every_resource_of_the_sample_stack_verifies(aws: boto3.Session) -> None:
    template = full_template()
    create_stack(aws.client("cloudformation"), name="verify-ok", template=template)
    [report] = verify(aws, ["verify-ok"])
    assert set(report.checked) == set(template["Resources"])


def test_a_skipped_type_fails_verification(aws: boto3.Session) -> None:
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "kept"}},
            "Skipped": {"Type": "AWS::Pipes::Pipe", "Properties": {"Name": "x"}},
        }
    }
    create_stack(aws.client("cloudformation"), name="verify-skip", template=template)
    with pytest.raises(VerificationFailed, match=r"Skipped \(AWS::Pipes::Pipe\) was not created"):
        verify(aws, ["verify-skip"])


def test_a_resource_deleted_behind_cloudformation_fails(aws: boto3.Session) -> None:
    create_stack(aws.client("cloudformation"), name="verify-gone", template=full_template())
    aws.client("cloudwatch").delete_alarms(AlarmNames=["test-alb-5xx"])
    with pytest.raises(VerificationFailed, match="Alb5xxAlarm"):
        verify(aws, ["verify-gone"])


def test_no_stacks_is_a_failure(aws: boto3.Session) -> None:
    with pytest.raises(VerificationFailed):
        verify(aws, [])


def test_an_alarm_that_lost_its_actions_fails(aws: boto3.Session) -> None:
    create_stack(aws.client("cloudformation"), name="verify-actions", template=full_template())
    aws.client("cloudwatch").put_metric_alarm(
        AlarmName="test-alb-latency-high",
        Namespace="AWS/ApplicationELB",
        MetricName="TargetResponseTime",
        ExtendedStatistic="p95",
        Period=60,
        EvaluationPeriods=5,
        Threshold=1.5,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    with pytest.raises(VerificationFailed, match="AlbLatencyAlarm .*AlarmActions: 0 of 1"):
        verify(aws, ["verify-actions"])


def test_a_stack_update_replaces_adapter_resources(aws: boto3.Session) -> None:
    cfn = aws.client("cloudformation")
    template = full_template()
    create_stack(cfn, name="verify-update", template=template)
    resources = template["Resources"]
    resources["Alb5xxAlarm"]["Properties"]["Threshold"] = 20
    resources["Cache"]["Properties"]["ReplicationGroupDescription"] = "changed"
    resources["AppSecret"]["Properties"]["Description"] = "changed"
    cfn.update_stack(StackName="verify-update", TemplateBody=json.dumps(template))
    [alarm] = aws.client("cloudwatch").describe_alarms(AlarmNames=["test-alb-5xx"])["MetricAlarms"]
    assert alarm["Threshold"] == 20
    groups = aws.client("elasticache").describe_replication_groups()["ReplicationGroups"]
    assert [g["Description"] for g in groups] == ["changed"]
    secret = aws.client("secretsmanager").describe_secret(SecretId="test-app-secret")
    assert secret["Description"] == "changed"
    [report] = verify(aws, ["verify-update"])
    assert set(report.checked) == set(resources)


def test_deploy_and_demo_count_the_same_resources() -> None:
    from localaws.deploy import TOOLKIT_STACK, DeployResult, env_stacks

    stacks = tuple(env_stacks("local"))
    reports = [StackReport(stack=TOOLKIT_STACK, checked={"Bucket": "AWS::S3::Bucket"})]
    reports += [
        StackReport(stack=stack, checked={f"R{i}": "AWS::SNS::Topic" for i in range(n)})
        for n, stack in enumerate(stacks, start=1)
    ]
    result = DeployResult(
        stacks=stacks,
        reports=tuple(reports),
        synth_seconds=0.0,
        bootstrap_seconds=0.0,
        deploy_seconds=0.0,
    )
    app = sum(range(1, len(stacks) + 1))
    assert f": {app} resources verified" in result.verified()
    assert result.verified().endswith(f"plus 1 of the bootstrap stack {TOOLKIT_STACK}")
