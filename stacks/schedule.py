"""The scale schedule: EventBridge Scheduler schedules invoking a function that runs `ops scale`.

The function's code is the project's own `ops` and `stacks/contract` packages (plus click, which
`ops.errors` imports), copied by a local bundler: no Docker, no second implementation. It relies on
the boto3 of the Lambda Python runtime: `ops` uses only long-standing APIs of SSM, ECS,
Application Auto Scaling, RDS, CloudWatch, EventBridge, CloudFormation, S3, ELB and SNS.

It lives in a stack of its own, which parking never touches: with `schedule.park` the down parks
the four stacks (deploying their parked templates, stacks/park_templates.py) and the up brings
them back, and the schedule must outlive both.
"""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from aws_cdk import (
    ArnFormat,
    CfnResource,
    DefaultStackSynthesizer,
    Duration,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_app.config import EnvConfig, ScheduleConfig
from stacks.contract import names
from stacks.contract import parked as parked_mode
from stacks.contract.schedule import DIRECTIONS, TEMPLATES_VARIABLE
from stacks.local_bundle import IGNORE, copied_code
from stacks.log_groups import log_group
from stacks.park_templates import TemplateFiles

ROOT = Path(__file__).resolve().parent.parent
HANDLER = "ops.schedule.handler.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14
# Lambda stops a run at 15 minutes; the handler ends its own work a minute before (see handler).
TIMEOUT = Duration.minutes(15)
# What the function may call, by the resource it is scoped to (the tests compare the calls made).
ACTIONS: dict[str, tuple[str, ...]] = {
    "stacks": ("cloudformation:DescribeStacks", "cloudformation:GetTemplate"),
    "parameters": ("ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"),
    "services": ("ecs:DescribeServices", "ecs:UpdateService"),
    "scalable targets": (
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
    ),
    "database": ("rds:DescribeDBInstances", "rds:StopDBInstance", "rds:StartDBInstance"),
    "alarms": (
        "cloudwatch:DescribeAlarms",
        "cloudwatch:EnableAlarmActions",
        "cloudwatch:DisableAlarmActions",
    ),
    "collector rules": ("events:DescribeRule", "events:EnableRule", "events:DisableRule"),
    "alarm topic": ("sns:Publish",),
    # A restore starts a database rotation that waited for the database (ops.db_rotation).
    "database user secret": ("secretsmanager:DescribeSecret", "secretsmanager:RotateSecret"),
    "rotation function": ("lambda:InvokeFunction",),
}
# With `schedule.park`, also: deploy the stacks' own templates (and only those), read them from
# the bootstrap bucket, lift the load balancer's deletion protection, and go on in a new run.
PARK_ACTIONS: dict[str, tuple[str, ...]] = {
    "stack updates": ("cloudformation:UpdateStack",),
    "templates": ("s3:GetObject",),
    # CloudFormation resolves the templates' SSM-typed BootstrapVersion parameter as the caller.
    "bootstrap version": ("ssm:GetParameters",),
    "load balancer": ("elasticloadbalancing:ModifyLoadBalancerAttributes",),
    # Elastic Load Balancing's Describe* calls accept only Resource '*'.
    "load balancers": (
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
    ),
    "own function": ("lambda:InvokeFunction",),
}


def _arn(stack: Stack, service: str, resource: str, name: str, fmt: ArnFormat) -> str:
    return stack.format_arn(service=service, resource=resource, resource_name=name, arn_format=fmt)


def copy_sources(out: Path) -> None:
    """The bundle: `ops`, `stacks/__init__.py`, `stacks/contract` and click."""
    shutil.copytree(ROOT / "ops", out / "ops", ignore=IGNORE)
    (out / "stacks").mkdir()
    shutil.copy2(ROOT / "stacks" / "__init__.py", out / "stacks" / "__init__.py")
    shutil.copytree(ROOT / "stacks" / "contract", out / "stacks" / "contract", ignore=IGNORE)
    shutil.copytree(Path(click.__file__).parent, out / "click", ignore=IGNORE)


def function_code() -> lambda_.Code:
    """The bundled `ops` + `stacks.contract` + click, hashed by content."""
    return copied_code(ROOT / "ops", copy_sources)


class ScaleSchedule(Construct):
    """The function, its log group, its least-privilege role and the up and down schedules."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        schedule: ScheduleConfig,
        parked: bool,
        cluster_name: str,
        instance_identifier: str,
        alarm_names: list[str],
        collector_rule_names: list[str],
        topic: sns.ITopic,
        log_retention_days: int,
        templates: TemplateFiles | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.env_name = env_name
        self.parks = templates is not None
        # The stacks whose outputs `ops` reads (a stack without outputs is never described);
        # a parking schedule reads and deploys the templates of all four.
        self.stack_names = [
            names.stack_name(env_name, part)
            for part, keys in names.OUTPUTS_BY_STACK.items()
            if keys or templates is not None
        ]
        weekly = schedule.weekly()
        logs = log_group(
            self,
            "Logs",
            name=f"/aws/lambda/{names.scheduled_scale_function(env_name)}",
            retention_days=log_retention_days,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs `ops scale` on {env_name}'s schedule; this environment only",
        )
        logs.grant_write(self.role)
        scoped = self._resources(
            stack,
            env_name,
            stacks=self.stack_names,
            cluster=cluster_name,
            instance=instance_identifier,
            alarms=alarm_names,
            rules=collector_rule_names,
            topic=topic,
        )
        for what, resources in scoped.items():
            if not resources:  # e.g. no collector rules
                continue
            self.role.add_to_policy(
                iam.PolicyStatement(actions=list(ACTIONS[what]), resources=resources)
            )
        if topic.master_key is not None:  # publishing to an encrypted topic needs its key
            topic.master_key.grant(self.role, "kms:Decrypt", "kms:GenerateDataKey")
        environment = {
            "OHMYCOINS_ENV": env_name,
            "OHMYCOINS_ALARM_TOPIC_ARN": topic.topic_arn,
            "OHMYCOINS_PARKED": "true" if parked else "false",
            "OHMYCOINS_SCHEDULE_ENABLED": "true" if schedule.enabled else "false",
        }
        if templates is not None:
            environment[TEMPLATES_VARIABLE] = self._grant_parking(stack, env_name, templates)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=names.scheduled_scale_function(env_name),
            description=f"Scales {env_name} down and up on its schedule with the `ops` code",
            runtime=RUNTIME,
            handler=HANDLER,
            code=function_code(),
            timeout=TIMEOUT,
            memory_size=256,
            role=self.role,
            log_group=logs,
            retry_attempts=0,  # a failed run reports on the alarm topic; it is never re-run blind
            max_event_age=Duration.hours(1),  # throttled by the emergency stop: dropped, not late
            environment=environment,
        )
        invoker = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"Lets {env_name}'s scale schedules invoke their function",
        )
        invoker.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.function.function_arn]
            )
        )
        # CDK adds DependsOn the role that the Role GetAtt already implies (cfn-lint W3005).
        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        resource = self.function.node.default_child
        assert isinstance(policy, CfnResource) and isinstance(resource, lambda_.CfnFunction)
        resource.add_override("DependsOn", [stack.get_logical_id(policy)])
        state = "ENABLED" if schedule.enabled and not parked else "DISABLED"
        self.schedules: dict[str, scheduler.CfnSchedule] = {}
        for direction in DIRECTIONS:
            payload = {"action": direction, "scheduled_time": "<aws.scheduler.scheduled-time>"}
            self.schedules[direction] = scheduler.CfnSchedule(
                self,
                f"{direction.capitalize()}Schedule",
                name=names.scale_schedule_name(env_name, direction),
                description=f"Scale {env_name} {direction}: {getattr(schedule, direction)}",
                schedule_expression=weekly.recurrence(direction).cron(),
                schedule_expression_timezone=weekly.timezone,
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                state=state,
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=self.function.function_arn,
                    role_arn=invoker.role_arn,
                    input=json.dumps(payload),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_retry_attempts=2, maximum_event_age_in_seconds=3600
                    ),
                ),
            )

    def _grant_parking(self, stack: Stack, env: str, templates: TemplateFiles) -> str:
        """Stage the templates as assets, let the role deploy exactly those; their URLs as JSON."""
        urls: dict[str, dict[str, str]] = {}
        objects: list[str] = []
        for variant, files in templates.items():
            urls[variant] = {}
            for stack_name, path in files.items():
                asset = s3_assets.Asset(
                    self, f"{variant.capitalize()}Template{stack_name}", path=str(path)
                )
                urls[variant][stack_name] = asset.http_url
                objects.append(asset.bucket.arn_for_objects(asset.s3_object_key))
        every_url = [url for by_stack in urls.values() for url in by_stack.values()]

        arn = functools.partial(_arn, stack)
        slash, colon = ArnFormat.SLASH_RESOURCE_NAME, ArnFormat.COLON_RESOURCE_NAME
        qualifier = DefaultStackSynthesizer.DEFAULT_QUALIFIER
        scoped: dict[str, list[str]] = {
            "stack updates": [
                arn("cloudformation", "stack", f"{name}/*", slash) for name in self.stack_names
            ],
            "templates": objects,
            "bootstrap version": [
                arn("ssm", "parameter", f"cdk-bootstrap/{qualifier}/version", slash)
            ],
            "load balancer": [
                arn(
                    "elasticloadbalancing",
                    "loadbalancer",
                    f"app/{names.load_balancer_name(env)}/*",
                    slash,
                )
            ],
            "load balancers": ["*"],
            "own function": [arn("lambda", "function", names.scheduled_scale_function(env), colon)],
        }
        for what, resources in scoped.items():
            conditions: dict[str, Any] | None = None
            if what == "stack updates":  # only the templates staged here, nothing else
                conditions = {"StringEquals": {"cloudformation:TemplateUrl": every_url}}
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=list(PARK_ACTIONS[what]), resources=resources, conditions=conditions
                )
            )
        return stack.to_json_string(urls)

    @staticmethod
    def _resources(
        stack: Stack,
        env: str,
        *,
        stacks: list[str],
        cluster: str,
        instance: str,
        alarms: list[str],
        rules: list[str],
        topic: sns.ITopic,
    ) -> dict[str, list[str]]:
        arn = functools.partial(_arn, stack)
        slash, colon = ArnFormat.SLASH_RESOURCE_NAME, ArnFormat.COLON_RESOURCE_NAME
        parameters = (
            names.scale_state_parameter(env),
            names.scale_lock_parameter(env),
            names.rds_stop_parameter(env),  # a restore clears a stop mark
            names.schedule_parameter(env),
            names.schedule_last_run_parameter(env),
            names.db_rotation_deferred_parameter(env),  # a restore reads the rotation's marker
        )
        return {
            # A stack ARN ends in a generated id: the name is exact, the id a wildcard.
            "stacks": [arn("cloudformation", "stack", f"{name}/*", slash) for name in stacks],
            "parameters": [arn("ssm", "parameter", p.lstrip("/"), slash) for p in parameters],
            "services": [
                arn("ecs", "service", f"{cluster}/{names.resource_name(env, role)}", slash)
                for role in names.SERVICES
            ],
            # Application Auto Scaling has no resource-level permissions for these calls.
            "scalable targets": ["*"],
            "database": [arn("rds", "db", instance, colon)],
            "alarms": [arn("cloudwatch", "alarm", name, colon) for name in alarms],
            "collector rules": [arn("events", "rule", name, slash) for name in rules],
            "alarm topic": [topic.topic_arn],
            # A secret ARN ends in six random characters: the name is exact, the suffix not.
            "database user secret": [
                arn("secretsmanager", "secret", f"{names.app_database_secret(env)}-??????", colon)
            ],
            "rotation function": [
                arn("lambda", "function", names.db_rotation_function(env), colon)
            ],
        }


class ScheduleStack(Stack):
    """The scale schedule of one environment, in a stack of its own (see the module's note)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        schedule: ScheduleConfig,
        cluster_name: str,
        instance_identifier: str,
        topic: sns.ITopic,
        templates: TemplateFiles | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The same whether or not the env is parked right now: it must serve both.
        running = replace(config, parked=False)
        self.scale_schedule = ScaleSchedule(
            self,
            "ScaleSchedule",
            env_name=config.name,
            schedule=schedule,
            parked=config.parked,
            cluster_name=cluster_name,
            instance_identifier=instance_identifier,
            alarm_names=[names.alarm_name(config.name, a.id) for a in parked_mode.alarms(running)],
            collector_rule_names=[
                names.resource_name(config.name, "collect", collector)
                for collector in config.collectors
            ],
            topic=topic,
            log_retention_days=config.log_retention_days,
            templates=templates,
        )
