"""A deployed-looking environment in moto: the resources and the stacks whose outputs name them.

Used by the ops tests (in-process moto) and by bench/ops_cli.py (a moto server).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from cdk_app.config import load as load_config
from ops.aws.session import Aws, is_mutating
from ops.aws.stack_outputs import StackOutputs
from ops.context import OpsContext
from ops.envs import region_of
from stacks.contract import alarm_catalog, names

ENV = "staging"
_CLIENTS: dict[str, Any] = {}  # moto intercepts every client, so tests can share them
REGION = region_of(ENV)
MUTED_BEFORE = "redis-evictions"  # an alarm whose actions were already off before scaling
PAUSED_BEFORE = "nansen"  # a collector whose schedule rule was already disabled before scaling


@dataclass
class Deployed:
    """What the fixture built, plus every API call made through `ops` (botocore before-call)."""

    env: str
    region: str
    ids: dict[str, str]
    calls: list[str] = field(default_factory=list)

    def record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def mutating_calls(self) -> list[str]:
        return [call for call in self.calls if is_mutating(call)]

    def aws(self) -> Aws:
        aws = Aws(region=self.region)
        aws.on("before-call", self.record)
        return aws

    def outputs(self, aws: Aws | None = None) -> StackOutputs:
        return StackOutputs(aws or self.aws(), self.env)

    def context(self) -> OpsContext:
        return OpsContext(hooks=[("before-call", self.record)])

    def client(self, service: str) -> Any:
        return _client(service)


def finish_tasks(d: Deployed, *, exit_code: int, lines: list[str]) -> Any:
    """A hook that makes every started task stop (moto never stops one) and log `lines`."""

    import time

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends

    def finish(params: dict[str, Any], **_: Any) -> None:
        backend = ecs_backends[DEFAULT_ACCOUNT_ID][d.region]
        for arn in params["tasks"]:
            task = backend.tasks[d.ids["cluster"]][arn]
            if task.last_status == "STOPPED":
                continue
            task.last_status = "STOPPED"
            task.stopped_reason = "Essential container in task exited"
            task.containers[0].exitCode = exit_code
            logs, stream = d.client("logs"), f"backend/backend/{arn.rsplit('/', 1)[-1]}"
            logs.create_log_stream(logGroupName=d.ids["log_group"], logStreamName=stream)
            logs.put_log_events(
                logGroupName=d.ids["log_group"], logStreamName=stream,
                logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": m}
                           for i, m in enumerate(lines)],
            )  # fmt: skip

    return finish


def steady_services(d: Deployed) -> Any:
    """A hook that makes every service run its desired count (moto's running count stays 0)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends

    def steady(**_: Any) -> None:
        backend = ecs_backends[DEFAULT_ACCOUNT_ID][d.region]
        for service in backend.services.values():
            service.running_count = service.desired_count

    return steady


def _client(service: str) -> Any:
    if service not in _CLIENTS:
        _CLIENTS[service] = boto3.client(service, region_name=REGION)
    return _CLIENTS[service]


def _stack(cfn: Any, env: str, part: str, outputs: dict[str, str]) -> None:
    marker = {"Type": "AWS::SSM::Parameter"}
    marker["Properties"] = {"Name": f"/test/{env}/{part}", "Type": "String", "Value": part}
    template = {
        "Resources": {"Marker": marker},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cfn.create_stack(StackName=names.stack_name(env, part), TemplateBody=json.dumps(template))


def build(env: str = ENV) -> Deployed:
    """Create the environment's resources and its four stacks (with the contract's outputs)."""
    client = _client
    ec2, ecs, rds = client("ec2"), client("ecs"), client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as CDK's VPC; moto's
    # RunTask needs it to name the task's network interface
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    db_id = names.resource_name(env, "db")
    rds.create_db_instance(
        DBInstanceIdentifier=db_id,
        DBInstanceClass="db.t3.small",
        Engine="postgres",
        MasterUsername="ohmycoins",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
    )
    cache_id = names.resource_name(env, "redis")
    client("elasticache").create_replication_group(
        ReplicationGroupId=cache_id,
        ReplicationGroupDescription="cache",
        CacheNodeType="cache.t3.small",
        Engine="redis",
    )
    sm = client("secretsmanager")
    app_value = {key: f"value-of-{key.lower()}" for key in names.APP_SECRET_KEYS}
    app_value |= {names.JWT_PREVIOUS_KEY: "", names.JWT_ROTATED_AT: ""}  # as stacks/data.py
    app_arn = sm.create_secret(
        Name=names.resource_name(env, "app"), SecretString=json.dumps(app_value)
    )["ARN"]
    db_arn = sm.create_secret(
        Name=names.resource_name(env, "db-credentials"),
        SecretString=json.dumps({"username": "ohmycoins", "password": "p"}),
    )["ARN"]
    redis_arn = sm.create_secret(
        Name=names.resource_name(env, "redis-auth"), SecretString="initial-redis-auth-token"
    )["ARN"]
    cluster = names.resource_name(env, "cluster")
    ecs.create_cluster(clusterName=cluster)
    logs_group = f"/ecs/{names.resource_name(env, 'backend')}"
    client("logs").create_log_group(logGroupName=logs_group)
    network = {
        "awsvpcConfiguration": {
            "subnets": subnets,
            "securityGroups": [sg],
            "assignPublicIp": "DISABLED",
        }
    }
    ids = {
        "cluster": cluster,
        "db": db_id,
        "cache": cache_id,
        "app_secret": app_arn,
        "db_secret": db_arn,
        "redis_secret": redis_arn,
        "log_group": logs_group,
        "subnet": subnets[0],
    }
    for role, port in ((names.BACKEND, names.BACKEND_PORT), (names.FRONTEND, names.FRONTEND_PORT)):
        container: dict[str, Any] = {
            "name": role,
            "image": f"example/{role}:1",
            "memory": 512,  # moto's RunTask needs a container-level memory
            "portMappings": [{"containerPort": port}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": logs_group,
                    "awslogs-stream-prefix": role,
                    "awslogs-region": REGION,
                },
            },
        }
        if role == names.BACKEND:
            container["secrets"] = [
                {"name": key, "valueFrom": f"{app_arn}:{key}::"}
                for key in names.APP_SECRET_INJECTED_KEYS
            ] + [
                {"name": "POSTGRES_PASSWORD", "valueFrom": f"{db_arn}:password::"},
                {"name": "REDIS_PASSWORD", "valueFrom": redis_arn},
            ]
        task_def = ecs.register_task_definition(
            family=names.resource_name(env, role),
            containerDefinitions=[container],
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
        )["taskDefinition"]["taskDefinitionArn"]
        service = names.resource_name(env, role)
        ecs.create_service(
            cluster=cluster,
            serviceName=service,
            taskDefinition=task_def,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration=network,
        )
        client("application-autoscaling").register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{cluster}/{service}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=3,
        )
        ids[role] = service
    elb = client("elbv2")
    alb = elb.create_load_balancer(Name=names.resource_name(env, "alb"), Subnets=subnets)
    alb_dns = alb["LoadBalancers"][0]["DNSName"]
    for role, port in ((names.BACKEND, names.BACKEND_PORT), (names.FRONTEND, names.FRONTEND_PORT)):
        ids[f"{role}_tg"] = elb.create_target_group(
            Name=names.resource_name(env, role)[:32],
            Protocol="HTTP",
            Port=port,
            VpcId=vpc,
            TargetType="ip",
        )["TargetGroups"][0]["TargetGroupArn"]
    distribution = client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": names.resource_name(env, "edge"),
            "Comment": f"OhMyCoins {env}",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "alb",
                        "DomainName": alb_dns,
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "http-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "https-only"},
        }
    )["Distribution"]
    ids["distribution"] = distribution["Id"]
    ids["public_url"] = f"https://{distribution['DomainName']}"
    sns = client("sns")
    topic = sns.create_topic(Name=names.resource_name(env, "alarms"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    ids["topic"] = topic
    cloudwatch = client("cloudwatch")
    for alarm in alarm_catalog.ALARMS:
        cloudwatch.put_metric_alarm(
            AlarmName=names.alarm_name(env, alarm.id),
            MetricName=alarm.metrics[0].name,
            Namespace=alarm.metrics[0].namespace,
            Statistic="Average",
            Period=alarm.period_seconds,
            EvaluationPeriods=alarm.evaluation_periods,
            Threshold=alarm.threshold,
            ComparisonOperator=alarm.comparison,
            ActionsEnabled=alarm.id != MUTED_BEFORE,
            AlarmActions=[topic],
            OKActions=[topic],
        )
    rules = []
    for collector, schedule in load_config(env).collectors.items():
        rules.append(names.resource_name(env, "collect", collector))
        client("events").put_rule(
            Name=rules[-1],
            ScheduleExpression=schedule,
            State="DISABLED" if collector == PAUSED_BEFORE else "ENABLED",
        )
    ids["collector_rules"] = ",".join(rules)
    cfn = client("cloudformation")
    out = names.Outputs
    _stack(cfn, env, names.NETWORK, {"VpcId": vpc})
    _stack(
        cfn,
        env,
        names.DATA,
        {
            out.DATABASE_INSTANCE_ID: db_id,
            out.DATABASE_SECRET_ARN: db_arn,
            out.CACHE_REPLICATION_GROUP_ID: cache_id,
            out.APP_SECRET_ARN: app_arn,
        },
    )
    _stack(
        cfn,
        env,
        names.SERVICE,
        {
            out.CLUSTER_NAME: cluster,
            out.BACKEND_SERVICE_NAME: ids[names.BACKEND],
            out.FRONTEND_SERVICE_NAME: ids[names.FRONTEND],
            out.PUBLIC_URL: ids["public_url"],
            out.DISTRIBUTION_ID: ids["distribution"],
            out.LOAD_BALANCER_DNS_NAME: alb_dns,
            out.BACKEND_TARGET_GROUP_ARN: ids["backend_tg"],
            out.FRONTEND_TARGET_GROUP_ARN: ids["frontend_tg"],
            out.COLLECTOR_RULE_NAMES: ids["collector_rules"],
        },
    )
    _stack(cfn, env, names.MONITORING, {out.ALARM_TOPIC_ARN: topic, out.DASHBOARD_NAME: "dash"})
    return Deployed(env=env, region=REGION, ids=ids)
