"""What an environment pays for, read from its CloudFormation templates (synthesized or live)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stacks.contract.names import SERVICES


class TemplateError(ValueError):
    """A billed property is not a literal value (a parameter or intrinsic function)."""


@dataclass(frozen=True, kw_only=True)
class Database:
    """One RDS instance: what its hours, storage and backups are billed by."""

    logical_id: str
    instance_class: str
    multi_az: bool
    storage_gb: int
    storage_type: str
    backup_retention_days: int
    log_exports: int
    monitoring_interval: int = 0  # enhanced monitoring, seconds (0 = off)


@dataclass(frozen=True, kw_only=True)
class CacheNodes:
    """The nodes of one ElastiCache replication group or cluster."""

    logical_id: str
    node_type: str
    nodes: int


@dataclass(frozen=True, kw_only=True)
class TaskSize:
    """The Fargate size of one ECS service's task and whether each task gets a public IPv4."""

    service: str
    vcpu: float
    memory_gb: float
    public_ip: bool


@dataclass(frozen=True, kw_only=True)
class ScheduledTask:
    """A Fargate task started by an EventBridge schedule (`rate(...)`), e.g. a collector."""

    rule: str
    runs_per_hour: float
    vcpu: float
    memory_gb: float


@dataclass(kw_only=True)
class Inventory:
    """The billed resources of one environment, counted over all of its templates."""

    nat_gateways: int = 0
    elastic_ips: int = 0
    load_balancers: int = 0
    load_balancer_public_ips: int = 0  # internet-facing only: an internal ALB has none
    distributions: int = 0
    edge_functions: int = 0  # CloudFront Functions (the parked "paused" page)
    databases: list[Database] = field(default_factory=list)
    caches: list[CacheNodes] = field(default_factory=list)
    tasks: dict[str, TaskSize] = field(default_factory=dict)
    scheduled: list[ScheduledTask] = field(default_factory=list)
    secrets: int = 0
    kms_keys: int = 0
    alarm_metrics: int = 0
    alarms: int = 0
    dashboards: int = 0
    log_groups: int = 0
    web_acls: int = 0
    web_acl_rules: int = 0
    gateway_endpoints: int = 0  # S3/DynamoDB gateway endpoints (free; they spare NAT data)


def _literal(value: Any, what: str) -> Any:
    if isinstance(value, dict | list):
        raise TemplateError(f"{what} is not a literal value: {value!r}")
    return value


def _resources(template: Mapping[str, Any], type_: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") == type_:
            yield logical_id, resource.get("Properties") or {}


def _flag(value: Any, what: str) -> bool:
    value = _literal(value, what)
    return value is True or str(value).lower() == "true"


def _database(logical_id: str, props: Mapping[str, Any]) -> Database:
    where = f"AWS::RDS::DBInstance {logical_id}"
    return Database(
        logical_id=logical_id,
        instance_class=str(_literal(props.get("DBInstanceClass"), f"{where}.DBInstanceClass")),
        multi_az=_flag(props.get("MultiAZ", False), f"{where}.MultiAZ"),
        storage_gb=int(_literal(props.get("AllocatedStorage", 0), f"{where}.AllocatedStorage")),
        storage_type=str(_literal(props.get("StorageType", "gp2"), f"{where}.StorageType")),
        backup_retention_days=int(
            _literal(props.get("BackupRetentionPeriod", 1), f"{where}.BackupRetentionPeriod")
        ),
        log_exports=len(props.get("EnableCloudwatchLogsExports") or []),
        monitoring_interval=int(
            _literal(props.get("MonitoringInterval", 0), f"{where}.MonitoringInterval")
        ),
    )


def _cache(logical_id: str, props: Mapping[str, Any], *, group: bool) -> CacheNodes:
    where = f"ElastiCache {logical_id}"
    if group:
        if "NumCacheClusters" in props:
            nodes = int(_literal(props["NumCacheClusters"], f"{where}.NumCacheClusters"))
        else:
            shards = int(_literal(props.get("NumNodeGroups", 1), f"{where}.NumNodeGroups"))
            replicas = int(
                _literal(props.get("ReplicasPerNodeGroup", 0), f"{where}.ReplicasPerNodeGroup")
            )
            nodes = shards * (1 + replicas)
    else:
        nodes = int(_literal(props.get("NumCacheNodes", 1), f"{where}.NumCacheNodes"))
    node_type = str(_literal(props.get("CacheNodeType"), f"{where}.CacheNodeType"))
    return CacheNodes(logical_id=logical_id, node_type=node_type, nodes=nodes)


def _service_of(logical_id: str, props: Mapping[str, Any]) -> str | None:
    """The project service (backend/frontend) an ECS service runs, by its name or logical id."""
    name = props.get("ServiceName")
    candidates = [name] if isinstance(name, str) else []
    candidates.append(logical_id)
    for candidate in candidates:
        for service in SERVICES:
            if service in candidate.lower():
                return service
    return None


def _tasks(template: Mapping[str, Any]) -> dict[str, TaskSize]:
    resources = template.get("Resources") or {}
    sizes: dict[str, TaskSize] = {}
    for logical_id, props in _resources(template, "AWS::ECS::Service"):
        service = _service_of(logical_id, props)
        task_ref = props.get("TaskDefinition")
        if service is None or not isinstance(task_ref, dict) or "Ref" not in task_ref:
            raise TemplateError(f"AWS::ECS::Service {logical_id}: cannot tell its service or task")
        task = (resources.get(task_ref["Ref"]) or {}).get("Properties") or {}
        where = f"AWS::ECS::TaskDefinition {task_ref['Ref']}"
        vpc = (props.get("NetworkConfiguration") or {}).get("AwsvpcConfiguration") or {}
        sizes[service] = TaskSize(
            service=service,
            vcpu=int(_literal(task.get("Cpu"), f"{where}.Cpu")) / 1024,
            memory_gb=int(_literal(task.get("Memory"), f"{where}.Memory")) / 1024,
            public_ip=str(vpc.get("AssignPublicIp", "DISABLED")) == "ENABLED",
        )
    return sizes


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_PER_HOUR = {"minute": 60.0, "hour": 1.0, "day": 1 / 24}


def _scheduled(template: Mapping[str, Any]) -> list[ScheduledTask]:
    """Fargate tasks of `rate(...)` schedules (cron schedules are not counted)."""
    resources = template.get("Resources") or {}
    found = []
    for logical_id, props in _resources(template, "AWS::Events::Rule"):
        match = _RATE.match(str(props.get("ScheduleExpression", "")))
        if match is None or props.get("State", "ENABLED") != "ENABLED":
            continue
        per_hour = _PER_HOUR[match.group(2).rstrip("s")] / int(match.group(1))
        for target in props.get("Targets") or []:
            ecs = target.get("EcsParameters")
            ref = (ecs or {}).get("TaskDefinitionArn")
            if not isinstance(ref, dict) or "Ref" not in ref:
                continue
            task = (resources.get(ref["Ref"]) or {}).get("Properties") or {}
            where = f"AWS::ECS::TaskDefinition {ref['Ref']}"
            runs = per_hour * int(ecs.get("TaskCount", 1))
            found.append(
                ScheduledTask(
                    rule=logical_id,
                    runs_per_hour=runs,
                    vcpu=int(_literal(task.get("Cpu"), f"{where}.Cpu")) / 1024,
                    memory_gb=int(_literal(task.get("Memory"), f"{where}.Memory")) / 1024,
                )
            )
    return found


def _alarm_metrics(props: Mapping[str, Any]) -> int:
    """Billed metrics of one alarm: one, or each MetricStat of a metric-math alarm."""
    metrics = props.get("Metrics")
    if not metrics:
        return 1
    return sum(1 for metric in metrics if "MetricStat" in metric)


def inventory(templates: Iterable[Mapping[str, Any]]) -> Inventory:
    """Count the billed resources of every template of one environment."""
    inv = Inventory()
    for template in templates:
        inv.nat_gateways += sum(1 for _ in _resources(template, "AWS::EC2::NatGateway"))
        inv.elastic_ips += sum(1 for _ in _resources(template, "AWS::EC2::EIP"))
        for _, props in _resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"):
            if props.get("Type", "application") != "application":
                continue
            inv.load_balancers += 1
            if props.get("Scheme", "internet-facing") == "internet-facing":
                subnets = props.get("Subnets") or props.get("SubnetMappings") or []
                inv.load_balancer_public_ips += len(subnets) if isinstance(subnets, list) else 0
        inv.distributions += sum(1 for _ in _resources(template, "AWS::CloudFront::Distribution"))
        inv.edge_functions += sum(1 for _ in _resources(template, "AWS::CloudFront::Function"))
        inv.databases += [_database(i, p) for i, p in _resources(template, "AWS::RDS::DBInstance")]
        inv.caches += [
            _cache(i, p, group=True)
            for i, p in _resources(template, "AWS::ElastiCache::ReplicationGroup")
        ]
        inv.caches += [
            _cache(i, p, group=False)
            for i, p in _resources(template, "AWS::ElastiCache::CacheCluster")
        ]
        inv.tasks.update(_tasks(template))
        inv.scheduled += _scheduled(template)
        inv.secrets += sum(1 for _ in _resources(template, "AWS::SecretsManager::Secret"))
        inv.kms_keys += sum(1 for _ in _resources(template, "AWS::KMS::Key"))
        for _, props in _resources(template, "AWS::CloudWatch::Alarm"):
            inv.alarms += 1
            inv.alarm_metrics += _alarm_metrics(props)
        inv.dashboards += sum(1 for _ in _resources(template, "AWS::CloudWatch::Dashboard"))
        inv.log_groups += sum(1 for _ in _resources(template, "AWS::Logs::LogGroup"))
        inv.gateway_endpoints += sum(
            1
            for _, props in _resources(template, "AWS::EC2::VPCEndpoint")
            if props.get("VpcEndpointType", "Gateway") == "Gateway"
        )
        for _, props in _resources(template, "AWS::WAFv2::WebACL"):
            inv.web_acls += 1
            inv.web_acl_rules += len(props.get("Rules") or [])
    inv.log_groups += sum(db.log_exports for db in inv.databases)
    return inv
