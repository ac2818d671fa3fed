"""One EventBridge-scheduled ECS task per collector, run from the backend's task definition."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.contract import names
from stacks.network import APP as APP_SUBNETS


def collector_command(collector: str) -> list[str]:
    """The container command of one collector run."""
    return ["python", "-m", "app.collect", collector]


def add_collectors(
    scope: Construct,
    *,
    config: EnvConfig,
    cluster: ecs.ICluster,
    task_definition: ecs.FargateTaskDefinition,
    security_group: ec2.ISecurityGroup,
) -> dict[str, events.Rule]:
    """Rules named `ohmycoins-<env>-collect-<name>`; the tasks get the backend's env and secrets."""
    rules: dict[str, events.Rule] = {}
    for collector, schedule in config.collectors.items():
        rule = events.Rule(
            scope,
            f"Collect{collector.capitalize()}",
            rule_name=names.resource_name(config.name, "collect", collector),
            description=f"Runs the {collector} collector",
            schedule=events.Schedule.expression(schedule),
        )
        rule.add_target(
            targets.EcsTask(
                cluster=cluster,
                task_definition=task_definition,
                launch_type=ecs.LaunchType.FARGATE,
                subnet_selection=ec2.SubnetSelection(subnet_group_name=APP_SUBNETS),
                security_groups=[security_group],
                container_overrides=[
                    targets.ContainerOverride(
                        container_name=names.BACKEND, command=collector_command(collector)
                    )
                ],
            )
        )
        rules[collector] = rule
    return rules
