"""The alarm catalog: the one table of alarms.

The Monitoring stack turns each entry into a CloudWatch alarm and a dashboard widget, the runbooks
are named after the ids, and `ops` reads it for muting, testing and incidents. Nothing else lists
alarms. The collectors' alarms are rows generated per known collector (`names.COLLECTORS`); an
environment deploys those of its configured collectors only (`for_environment`).
This module is plain data (no CDK import) so `ops` can load it quickly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal, assert_never

from stacks.contract import names
from stacks.contract.collector_schedule import DAY_SECONDS


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

    @property
    def sign(self) -> str:
        """`>=` or `<=`, as the runbooks and `ops incident` print the threshold."""
        return ">=" if self is Comparison.GREATER_OR_EQUAL else "<="

    def breached(self, value: float, threshold: float) -> bool:
        """True when `value` is on the alarming side of `threshold`."""
        match self:
            case Comparison.GREATER_OR_EQUAL:
                return value >= threshold
            case Comparison.LESS_OR_EQUAL:
                return value <= threshold
            case _:
                assert_never(self)


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
    APP_BACKEND = "app_backend"  # the backend's own metrics: Environment, Service=backend
    COLLECTOR = "collector"  # one collector's runs (MetricSpec.collector): Environment, Collector


RDS = Source.RDS
REDIS_NODE = Source.REDIS_NODE
ALB = Source.ALB
BACKEND_TARGET_GROUP = Source.BACKEND_TARGET_GROUP
FRONTEND_TARGET_GROUP = Source.FRONTEND_TARGET_GROUP
APP_BACKEND = Source.APP_BACKEND
SOURCES: tuple[Source, ...] = tuple(Source)
# Each ECS service is a source (a ValueError here names a service without one).
SERVICE_SOURCES: dict[str, Source] = {service: Source(service) for service in names.SERVICES}
# The target group of each service's role, as a source.
TARGET_GROUP_SOURCES: dict[str, Source] = {
    names.BACKEND: Source.BACKEND_TARGET_GROUP,
    names.FRONTEND: Source.FRONTEND_TARGET_GROUP,
}


# The application's own metrics: EMF lines the backend and the collectors write to stdout
# (app_src/backend/app/metrics.py keeps its own copy of these names; tests/app checks they agree).
APP_NAMESPACE = "OhMyCoins"
ENVIRONMENT_DIMENSION = "Environment"
SERVICE_DIMENSION = "Service"
COLLECTOR_DIMENSION = "Collector"
RATE_LIMIT_REJECTED = "RateLimitRejected"
RATE_LIMIT_FAIL_OPEN = "RateLimitFailOpen"
SERVER_ERRORS = "ServerErrors"
SUCCESSFUL_RUNS = "SuccessfulRuns"
FAILED_RUNS_IN_A_ROW = "FailedRunsInARow"
ITEMS_FETCHED = "ItemsFetched"
ITEMS_STORED = "ItemsStored"
RUN_DURATION = "RunDuration"
# Every metric the app writes: per backend environment, and per collector (what `ops cost` bills).
BACKEND_METRICS = (RATE_LIMIT_REJECTED, RATE_LIMIT_FAIL_OPEN, SERVER_ERRORS)
COLLECTOR_METRICS = (
    SUCCESSFUL_RUNS,
    FAILED_RUNS_IN_A_ROW,
    ITEMS_FETCHED,
    ITEMS_STORED,
    RUN_DURATION,
)
# What the dashboard graphs beside the alarms' own metrics.
BACKEND_GRAPHED = BACKEND_METRICS
COLLECTOR_GRAPHED = (ITEMS_FETCHED, ITEMS_STORED)


@dataclass(frozen=True, kw_only=True)
class MetricSpec:
    """One CloudWatch metric of an alarm."""

    namespace: str
    name: str
    source: Source
    statistic: str = "Average"
    collector: str | None = None  # whose runs, for Source.COLLECTOR


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
    period_intervals: int | None = None  # period = this many of the collector's schedule intervals

    @property
    def collector(self) -> str | None:
        """The collector whose runs the alarm watches; it is deployed where that one runs."""
        return next((m.collector for m in self.metrics if m.collector is not None), None)

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


# A collector is stale after this many schedule intervals without a successful run.
STALE_INTERVALS = 3


def _collector_alarms(collector: str) -> tuple[AlarmSpec, ...]:
    """Failed runs in a row, and no successful run for STALE_INTERVALS schedule intervals."""
    return (
        AlarmSpec(
            id=f"collector-{collector}-failing",
            summary=f"The {collector} collector's latest runs failed in a row: a rejected API "
            "key, a provider outage or a broken release.",
            metrics=(
                MetricSpec(
                    namespace=APP_NAMESPACE,
                    name=FAILED_RUNS_IN_A_ROW,
                    source=Source.COLLECTOR,
                    statistic="Maximum",
                    collector=collector,
                ),
            ),
            threshold=2,
            unit="runs",
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data="ignore",  # between runs the last run's streak stands
            severity=Severity.MEDIUM,
        ),
        AlarmSpec(
            id=f"collector-{collector}-stale",
            summary=f"No {collector} run succeeded for {STALE_INTERVALS} schedule intervals: "
            "its data is stale.",
            metrics=(
                MetricSpec(
                    namespace=APP_NAMESPACE,
                    name=SUCCESSFUL_RUNS,
                    source=Source.COLLECTOR,
                    statistic="Sum",
                    collector=collector,
                ),
            ),
            threshold=0,
            comparison=LESS_OR_EQUAL,
            unit="successful runs",
            period_seconds=STALE_INTERVALS * 3600,  # sized per environment by for_environment
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data="breaching",  # no run at all is the stalest data
            severity=Severity.HIGH,
            period_intervals=STALE_INTERVALS,
        ),
    )


_RATE_LIMIT_ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec(
        id="ratelimit-fail-open",
        summary="The rate limiter let requests through without Redis: no limit applies.",
        metrics=(
            MetricSpec(
                namespace=APP_NAMESPACE,
                name=RATE_LIMIT_FAIL_OPEN,
                source=APP_BACKEND,
                statistic="Sum",
            ),
        ),
        threshold=1,
        unit="requests",
        evaluation_periods=2,
        datapoints_to_alarm=2,
        severity=Severity.HIGH,
    ),
    AlarmSpec(
        id="ratelimit-rejections-high",
        summary="The rate limiter rejects many requests (429): an abusive client or a bad release.",
        metrics=(
            MetricSpec(
                namespace=APP_NAMESPACE,
                name=RATE_LIMIT_REJECTED,
                source=APP_BACKEND,
                statistic="Sum",
            ),
        ),
        threshold=300,
        unit="requests",
        severity=Severity.MEDIUM,
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
        summary="PostgreSQL connections near the class's max_connections (budget: the runbook).",
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
    *_RATE_LIMIT_ALARMS,
    *(alarm for collector in names.COLLECTORS for alarm in _collector_alarms(collector)),
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


def for_environment(
    thresholds: Mapping[str, float], collector_intervals: Mapping[str, int | None]
) -> tuple[AlarmSpec, ...]:
    """The alarms one environment deploys: overrides applied, collector alarms only for its
    collectors (name -> schedule interval in seconds, None for a cron schedule), each period
    measured in schedule intervals sized from the interval and capped at one day."""
    chosen = []
    for alarm in with_overrides(thresholds):
        collector = alarm.collector
        if collector is not None and collector not in collector_intervals:
            continue
        if collector is not None and alarm.period_intervals is not None:
            interval = collector_intervals[collector] or DAY_SECONDS
            period = min(DAY_SECONDS, alarm.period_intervals * interval)
            alarm = dataclasses.replace(alarm, period_seconds=period)
        chosen.append(alarm)
    return tuple(chosen)
