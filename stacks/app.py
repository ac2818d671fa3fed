"""Builds one environment's stacks, and the CDK app itself (with cdk.json's context)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from cdk_app.config import EnvConfig
from stacks.contract import alarm_catalog, names
from stacks.data import DataStack
from stacks.metrics import MetricSources
from stacks.monitoring import MonitoringStack
from stacks.network import NetworkStack
from stacks.park_templates import TemplateFiles
from stacks.retention import retain_records
from stacks.schedule import ScheduleStack
from stacks.service import ServiceStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


@dataclass(frozen=True)
class EnvStacks:
    """The four stacks of one environment, and its Schedule stack when it has a schedule."""

    network: NetworkStack
    data: DataStack
    service: ServiceStack
    monitoring: MonitoringStack
    schedule: ScheduleStack | None = None

    def all(self) -> tuple[cdk.Stack, ...]:
        four = (self.network, self.data, self.service, self.monitoring)
        return four if self.schedule is None else (*four, self.schedule)


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's feature flags and context (the CLI passes them; plain Python must load them)."""
    return dict(json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {}))


def create_app(
    *, context: dict[str, Any] | None = None, outdir: str | None = None, validation: bool = True
) -> cdk.App:
    """An App carrying cdk.json's context; `validation=False` turns off the built-in validation."""
    return cdk.App(
        context={**cdk_json_context(), **(context or {})},
        outdir=outdir,
        builtin_cloud_formation_validation=validation,
    )


def build_env(
    app: cdk.App, config: EnvConfig, *, templates: TemplateFiles | None = None
) -> EnvStacks:
    """Network -> Data -> Service -> Monitoring (-> Schedule), with strong (export/import)
    references; `templates` are those a parking schedule deploys (stacks/park_templates.py)."""
    env = cdk.Environment(
        account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"), region=config.region
    )

    def props(part: str, description: str) -> dict[str, Any]:
        return {
            "stack_name": names.stack_name(config.name, part),
            "description": f"OhMyCoins {config.name}: {description}",
            "env": env,
        }

    network = NetworkStack(
        app,
        names.stack_name(config.name, names.NETWORK),
        config=config,
        **props(names.NETWORK, "VPC, subnets, NAT, flow logs"),
    )
    data = DataStack(
        app,
        names.stack_name(config.name, names.DATA),
        config=config,
        vpc=network.vpc,
        termination_protection=config.termination_protection,
        **props(names.DATA, "PostgreSQL, Redis, app secret"),
    )
    service = ServiceStack(
        app,
        names.stack_name(config.name, names.SERVICE),
        config=config,
        vpc=network.vpc,
        data=data,
        **props(names.SERVICE, "ECS services, ALB, collectors"),
    )
    lb = service.load_balancer  # None while parked, like the replication group
    sources = MetricSources(
        db_instance_id=data.database.instance_identifier,
        replication_group_id=data.cache.replication_group_id,
        redis_nodes=1 + config.redis.replicas,
        alb_full_name=None if lb is None else lb.full_name,
        target_group_full_names={}
        if lb is None
        else {
            source: lb.target_groups[role].target_group_full_name
            for role, source in alarm_catalog.TARGET_GROUP_SOURCES.items()
        },
        cluster_name=service.cluster.cluster_name,
        service_names={name: svc.service_name for name, svc in service.services.items()},
        env_name=config.name,
    )
    monitoring = MonitoringStack(
        app,
        names.stack_name(config.name, names.MONITORING),
        config=config,
        sources=sources,
        **props(names.MONITORING, "alarms, alarm topic, dashboard"),
    )
    schedule = None
    if config.schedule is not None:
        schedule = ScheduleStack(
            app,
            names.stack_name(config.name, names.SCHEDULE),
            config=config,
            schedule=config.schedule,
            cluster_name=sources.cluster_name,
            instance_identifier=sources.db_instance_id,
            topic=monitoring.topic,
            templates=templates,
            **props(names.SCHEDULE, "scale schedule (scales down and up, parks and unparks)"),
        )
    stacks = EnvStacks(
        network=network, data=data, service=service, monitoring=monitoring, schedule=schedule
    )
    for stack in stacks.all():
        cdk.Tags.of(stack).add("Project", names.PROJECT)
        cdk.Tags.of(stack).add("Environment", config.name)
        if config.retain_on_delete:
            retain_records(stack)
    return stacks
