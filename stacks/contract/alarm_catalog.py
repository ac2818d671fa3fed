"""The alarm catalog: the one table of alarms.

The Monitoring stack turns each entry into a CloudWatch alarm and a dashboard widget, the runbooks
are named after the ids, and `ops` reads it for muting, testing and incidents. Nothing else lists
alarms.
This module is plain data (no CDK import) so `ops` can load it quickly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal

from stacks.contract import names


class Severity(IntEnum):
    """Lower value = more severe; `ops incident` sorts by it."""

    CRITICAL = 1
    HIGH = 2
    MEDIUM = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Comparison(StrEnum):
    """The CloudFormation ComparisonOperator values the catalog uses."""

    GREATER_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS_OR_EQUAL = "LessThanOrEqualToThreshold"


GREATER_OR_EQUAL = Comparison.GREATER_OR_EQUAL
LESS_OR_EQUAL = Comparison.LESS_OR_EQUAL

# CloudFormation's TreatMissingData values.
TreatMissingData = Literal["breaching", "notBreaching", "ignore", "missing"]


class Source(StrEnum):
    """Which resource supplies a metric's dimensions.

    The Monitoring stack maps each to real dimensions (stacks/metrics.py, exhaustively); a source
    that stands for several resources (REDIS_NODE: every node of the replication group) yields one
    metric per resource, combined with MAX. The ECS services' sources are their role names.
    """

    RDS = "rds"
    REDIS_NODE = "redis_node"
    ALB = "alb"
    BACKEND_TARGET_GROUP = "backend_target_group"
    FRONTEND_TARGET_GROUP = "frontend_target_group"
    BACKEND = names.BACKEND
    FRONTEND = names.FRONTEND


RDS = Source.RDS
REDIS_NODE = Source.REDIS_NODE
ALB = Source.ALB
BACKEND_TARGET_GROUP = Source.BACKEND_TARGET_GROUP
FRONTEND_TARGET_GROUP = Source.FRONTEND_TARGET_GROUP
SOURCES: tuple[Source, ...] = tuple(Source)
# Each ECS service is a source (a ValueError here names a service without one).
SERVICE_SOURCES: dict[str, Source] = {service: Source(service) for service in names.SERVICES}


@dataclass(frozen=True, kw_only=True)
class MetricSpec:
    """One CloudWatch metric of an alarm."""

    namespace: str
    name: str
    source: Source
    statistic: str = "Average"


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """One alarm: what it watches, when it fires, how bad it is and where its runbook is."""

    id: str
    summary: str
    metrics: tuple[MetricSpec, ...]
    expression: str | None = None  # metric math over m0, m1, ...; None for a single metric
    threshold: float
    comparison: Comparison = Comparison.GREATER_OR_EQUAL
    unit: str = ""
    period_seconds: int = 300
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 3
    treat_missing_data: TreatMissingData = "notBreaching"
    severity: Severity

    @property
    def runbook(self) -> str:
        """Path of the alarm's runbook, relative to the project root."""
        return f"runbooks/{self.id}.md"


def _ecs_alarms(service: str) -> tuple[AlarmSpec, ...]:
    """CPU and memory alarms for one Fargate service."""
    source = SERVICE_SOURCES[service]
    return (
        AlarmSpec(
            id=f"ecs-{service}-cpu-high",
            summary=f"The {service} service's average CPU is high: tasks are saturated.",
            metrics=(MetricSpec(namespace="AWS/ECS", name="CPUUtilization", source=source),),
            threshold=85,
            unit="%",
            severity=Severity.MEDIUM,
        ),
        AlarmSpec(
            id=f"ecs-{service}-memory-high",
            summary=f"The {service} service's average memory is high: tasks risk OOM kills.",
            metrics=(MetricSpec(namespace="AWS/ECS", name="MemoryUtilization", source=source),),
            threshold=85,
            unit="%",
            severity=Severity.HIGH,
        ),
    )


ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec(
        id="rds-cpu-high",
        summary="PostgreSQL CPU is high: queries slow down and connections pile up.",
        metrics=(MetricSpec(namespace="AWS/RDS", name="CPUUtilization", source=RDS),),
        threshold=80,
        unit="%",
        severity=Severity.HIGH,
    ),
    AlarmSpec(
        id="rds-connections-high",
        summary="PostgreSQL connections near max_connections (about 200 on db.t3.small).",
        metrics=(
            MetricSpec(
                namespace="AWS/RDS", name="DatabaseConnections", source=RDS, statistic="Maximum"
            ),
        ),
        threshold=160,
        unit="connections",
        evaluation_periods=2,
        datapoints_to_alarm=2,
        severity=Severity.HIGH,
    ),
    AlarmSpec(
        id="rds-free-storage-low",
        summary="PostgreSQL free storage is low: writes fail when it reaches zero.",
        metrics=(
            MetricSpec(
                namespace="AWS/RDS", name="FreeStorageSpace", source=RDS, statistic="Minimum"
            ),
        ),
        threshold=2 * 1024**3,
        comparison=LESS_OR_EQUAL,
        unit="bytes",
        evaluation_periods=2,
        datapoints_to_alarm=2,
        severity=Severity.CRITICAL,
    ),
    AlarmSpec(
        id="redis-cpu-high",
        summary="Redis engine CPU is high: the single Redis thread is saturated.",
        metrics=(
            MetricSpec(namespace="AWS/ElastiCache", name="EngineCPUUtilization", source=REDIS_NODE),
        ),
        threshold=80,
        unit="%",
        severity=Severity.HIGH,
    ),
    AlarmSpec(
        id="redis-memory-high",
        summary="Redis memory use is high: evictions follow at maxmemory.",
        metrics=(
            MetricSpec(
                namespace="AWS/ElastiCache",
                name="DatabaseMemoryUsagePercentage",
                source=REDIS_NODE,
            ),
        ),
        threshold=80,
        unit="%",
        severity=Severity.HIGH,
    ),
    AlarmSpec(
        id="redis-evictions",
        summary="Redis is evicting keys: cached data and rate-limit counters are being lost.",
        metrics=(
            MetricSpec(
                namespace="AWS/ElastiCache", name="Evictions", source=REDIS_NODE, statistic="Sum"
            ),
        ),
        threshold=100,
        unit="keys",
        evaluation_periods=1,
        datapoints_to_alarm=1,
        severity=Severity.MEDIUM,
    ),
    AlarmSpec(
        id="alb-5xx",
        summary="The load balancer and its targets are returning 5XX errors to users.",
        metrics=(
            MetricSpec(
                namespace="AWS/ApplicationELB",
                name="HTTPCode_ELB_5XX_Count",
                source=ALB,
                statistic="Sum",
            ),
            MetricSpec(
                namespace="AWS/ApplicationELB",
                name="HTTPCode_Target_5XX_Count",
                source=ALB,
                statistic="Sum",
            ),
        ),
        expression="FILL(m0, 0) + FILL(m1, 0)",
        threshold=10,
        unit="errors",
        evaluation_periods=3,
        datapoints_to_alarm=2,
        severity=Severity.CRITICAL,
    ),
    AlarmSpec(
        id="alb-latency-high",
        summary="p95 target response time is high: users wait on slow pages and API calls.",
        metrics=(
            MetricSpec(
                namespace="AWS/ApplicationELB",
                name="TargetResponseTime",
                source=ALB,
                statistic="p95",
            ),
        ),
        threshold=1.5,
        unit="seconds",
        severity=Severity.HIGH,
    ),
    AlarmSpec(
        id="alb-unhealthy-hosts",
        summary="Targets of the backend or frontend target group fail their health checks.",
        metrics=(
            MetricSpec(
                namespace="AWS/ApplicationELB",
                name="UnHealthyHostCount",
                source=BACKEND_TARGET_GROUP,
                statistic="Maximum",
            ),
            MetricSpec(
                namespace="AWS/ApplicationELB",
                name="UnHealthyHostCount",
                source=FRONTEND_TARGET_GROUP,
                statistic="Maximum",
            ),
        ),
        expression="FILL(m0, 0) + FILL(m1, 0)",
        threshold=1,
        unit="hosts",
        period_seconds=60,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        severity=Severity.CRITICAL,
    ),
    *(alarm for service in names.SERVICES for alarm in _ecs_alarms(service)),
)

ALARM_IDS: tuple[str, ...] = tuple(alarm.id for alarm in ALARMS)


def by_id(alarm_id: str) -> AlarmSpec:
    """The catalog entry for `alarm_id`; a clear error lists the known ids."""
    for alarm in ALARMS:
        if alarm.id == alarm_id:
            return alarm
    raise KeyError(f"unknown alarm {alarm_id!r}; known: {', '.join(ALARM_IDS)}")


def with_overrides(thresholds: Mapping[str, float]) -> tuple[AlarmSpec, ...]:
    """The catalog with per-environment threshold overrides applied (unknown ids are an error)."""
    unknown = sorted(set(thresholds) - set(ALARM_IDS))
    if unknown:
        raise KeyError(f"unknown alarm id(s) {', '.join(unknown)}; known: {', '.join(ALARM_IDS)}")
    return tuple(
        dataclasses.replace(alarm, threshold=thresholds[alarm.id])
        if alarm.id in thresholds
        else alarm
        for alarm in ALARMS
    )
