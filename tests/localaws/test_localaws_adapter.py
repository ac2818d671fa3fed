"""The adapter creates real moto resources through CloudFormation, and GetAtt values resolve."""

from __future__ import annotations

import json

import boto3
import pytest
from cfn_deploy import create_stack
from localaws_templates import full_template

from localaws import adapter


@pytest.fixture(scope="module")
def deployed(aws_module: boto3.Session) -> dict[str, str]:
    """The sample template, deployed once for the module's read-only checks."""
    cfn = aws_module.client("cloudformation")
    return create_stack(cfn, name="adapter-test", template=full_template())


@pytest.fixture()
def aws(aws_module: boto3.Session) -> boto3.Session:
    return aws_module


def test_handled_types_are_registered_in_moto() -> None:
    from moto.cloudformation.parsing import get_model_map

    adapter.apply()
    model_map = get_model_map()
    for cfn_type in adapter.handled_types():
        assert cfn_type in model_map, cfn_type


def test_generated_secret_has_awscurrent_value(
    aws: boto3.Session, deployed: dict[str, str]
) -> None:
    secrets = aws.client("secretsmanager")
    value = secrets.get_secret_value(SecretId=deployed["AppSecretArn"])
    assert "AWSCURRENT" in value["VersionStages"]
    document = json.loads(value["SecretString"])
    assert document["API_KEY"] == "CHANGE_ME"
    assert len(document["SECRET_KEY"]) == 32
    assert secrets.describe_secret(SecretId="test-app-secret")["ARN"] == deployed["AppSecretArn"]


def test_target_attachment_adds_database_connection(
    aws: boto3.Session, deployed: dict[str, str]
) -> None:
    value = aws.client("secretsmanager").get_secret_value(SecretId=deployed["DbSecretArn"])
    document = json.loads(value["SecretString"])
    database = aws.client("rds").describe_db_instances()["DBInstances"][0]
    assert document["username"] == "app"
    assert len(document["password"]) == 30
    assert not set(document["password"]) & set(" %+~`#$&*()|[]{}:;<>?!'/@\"\\")
    assert document["host"] == database["Endpoint"]["Address"]
    assert document["port"] == database["Endpoint"]["Port"]
    assert document["dbInstanceIdentifier"] == database["DBInstanceIdentifier"]


def test_replication_group_and_subnet_group_exist(
    aws: boto3.Session, deployed: dict[str, str]
) -> None:
    elasticache = aws.client("elasticache")
    group = elasticache.describe_replication_groups(ReplicationGroupId=deployed["CacheId"])
    group = group["ReplicationGroups"][0]
    assert group["AtRestEncryptionEnabled"] is True
    assert group["TransitEncryptionEnabled"] is True
    assert len(group["MemberClusters"]) == 2
    primary = group["NodeGroups"][0]["PrimaryEndpoint"]
    assert deployed["CacheAddress"] == primary["Address"]
    assert deployed["CachePort"] == str(primary["Port"])
    subnet_groups = elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"]
    assert len(subnet_groups) == 1
    assert len(subnet_groups[0]["Subnets"]) == 2


def test_alarms_exist_with_actions_and_metric_math(
    aws: boto3.Session, deployed: dict[str, str]
) -> None:
    described = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix="test-")
    alarms = {a["AlarmName"]: a for a in described["MetricAlarms"]}
    assert set(alarms) == {"test-alb-latency-high", "test-alb-5xx"}
    latency = alarms["test-alb-latency-high"]
    assert latency["AlarmActions"] == [deployed["AlarmTopicArn"]]
    assert latency["OKActions"] == [deployed["AlarmTopicArn"]]
    assert latency["ExtendedStatistic"] == "p95"
    assert latency["Dimensions"][0]["Value"] == deployed["AlbFullName"]
    math = alarms["test-alb-5xx"]["Metrics"]
    assert [m["Id"] for m in math] == ["elb", "target", "total"]
    target_dimension = math[1]["MetricStat"]["Metric"]["Dimensions"][0]
    assert target_dimension["Value"] == deployed["TargetGroupFullName"]


def test_full_name_attributes_match_arns(deployed: dict[str, str]) -> None:
    assert deployed["AlbArn"].endswith(":loadbalancer/" + deployed["AlbFullName"])
    assert deployed["AlbFullName"].startswith("app/")
    assert deployed["TargetGroupArn"].endswith(":" + deployed["TargetGroupFullName"])
    assert deployed["TargetGroupFullName"].split("/")[1] == deployed["TargetGroupName"]


def test_topic_policy_and_subscription(aws: boto3.Session, deployed: dict[str, str]) -> None:
    sns = aws.client("sns")
    attributes = sns.get_topic_attributes(TopicArn=deployed["AlarmTopicArn"])["Attributes"]
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=deployed["AlarmTopicArn"])
    assert [s["Endpoint"] for s in subscriptions["Subscriptions"]] == ["ops@example.com"]


def test_security_group_egress_rule(aws: boto3.Session, deployed: dict[str, str]) -> None:
    groups = aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "description", "Values": ["test"]}]
    )["SecurityGroups"]
    egress = [r for r in groups[0]["IpPermissionsEgress"] if r.get("FromPort") == 6379]
    assert egress and egress[0]["IpRanges"][0]["CidrIp"] == "10.0.0.0/16"


def test_bucket_policy_and_autoscaling(aws: boto3.Session, deployed: dict[str, str]) -> None:
    policy = json.loads(aws.client("s3").get_bucket_policy(Bucket="test-alb-logs")["Policy"])
    assert policy["Statement"][0]["Effect"] == "Deny"
    autoscaling = aws.client("application-autoscaling")
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
        ("service/test-cluster/test-backend", 1, 4)
    ]
    policies = autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == ["cpu"]


def test_stack_resources_carry_physical_ids(aws: boto3.Session, deployed: dict[str, str]) -> None:
    resources = aws.client("cloudformation").describe_stack_resources(StackName="adapter-test")
    by_type = {r["ResourceType"]: r for r in resources["StackResources"]}
    for cfn_type in adapter.handled_types():
        assert by_type[cfn_type]["PhysicalResourceId"], cfn_type


def test_ingress_rule_route_association_and_default_group(
    aws: boto3.Session, deployed: dict[str, str]
) -> None:
    ec2 = aws.client("ec2")
    [group] = ec2.describe_security_groups(Filters=[{"Name": "description", "Values": ["test"]}])[
        "SecurityGroups"
    ]
    ingress = [r for r in group["IpPermissions"] if r.get("FromPort") == 8000]
    assert ingress[0]["UserIdGroupPairs"][0]["GroupId"] == group["GroupId"]
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [deployed["SubnetA"]]}]
    )["RouteTables"]
    assert len(tables) == 1
    [default] = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [group["VpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    assert default["IpPermissions"] == [] and default["IpPermissionsEgress"] == []


def test_kms_key_keeps_tags_and_alias(aws: boto3.Session, deployed: dict[str, str]) -> None:
    kms = aws.client("kms")
    [alias] = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/test-alarms"]
    tags = kms.list_resource_tags(KeyId=alias["TargetKeyId"])["Tags"]
    assert tags == [{"TagKey": "project", "TagValue": "test"}]
    policy = json.loads(
        kms.get_key_policy(KeyId=alias["TargetKeyId"], PolicyName="default")["Policy"]
    )
    assert policy["Statement"][0]["Action"] == "kms:*"


def test_ecs_service_follows_the_template(aws: boto3.Session, deployed: dict[str, str]) -> None:
    [service] = aws.client("ecs").describe_services(
        cluster="test-cluster", services=["test-backend"]
    )["services"]
    assert service["desiredCount"] == 1  # CloudFormation's default for a new service
    assert service["launchType"] == "FARGATE"
    assert service["loadBalancers"][0]["targetGroupArn"] == deployed["TargetGroupArn"]
    assert service["loadBalancers"][0]["containerPort"] == 8000
    awsvpc = service["networkConfiguration"]["awsvpcConfiguration"]
    assert awsvpc["subnets"] == [deployed["SubnetA"]]
    assert service["taskDefinition"].endswith(":task-definition/test-backend:1")


def test_dynamic_references_resolve(aws: boto3.Session, deployed: dict[str, str]) -> None:
    from moto.rds.models import rds_backends

    copy = aws.client("ssm").get_parameter(Name="/test/app-api-key")["Parameter"]["Value"]
    assert copy == "CHANGE_ME"
    secret = json.loads(
        aws.client("secretsmanager").get_secret_value(SecretId=deployed["DbSecretArn"])[
            "SecretString"
        ]
    )
    [database] = rds_backends["123456789012"]["ap-southeast-2"].databases.values()
    assert database._master_user_password == secret["password"]


def test_apply_fails_loudly_when_a_type_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.cloudformation import parsing

    monkeypatch.setattr(parsing, "resource_class_from_type", lambda resource_type: None)
    with pytest.raises(
        adapter.MotoInternalsChanged, match="Secret does not resolve to the adapter"
    ):
        adapter.apply()
