"""The CloudWatch dashboard: a graph per catalog alarm with its threshold line, then key graphs
(the resources', then the app's own metrics)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from stacks.contract import alarm_catalog as catalog
from stacks.contract import names
from stacks.metrics import MetricSources, alarm_metric, graph_metrics

WIDTH = 8
HEIGHT = 6


def _alarm_widget(alarm: catalog.AlarmSpec, sources: MetricSources) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=f"{alarm.id} ({alarm.severity.label})",
        left=[alarm_metric(alarm, sources)],
        left_annotations=[
            cloudwatch.HorizontalAnnotation(
                value=alarm.threshold, label=f"threshold {alarm.threshold:g} {alarm.unit}".strip()
            )
        ],
        width=WIDTH,
        height=HEIGHT,
    )


def _key_graphs(sources: MetricSources) -> list[cloudwatch.IWidget]:
    """ECS task counts, RDS latency and memory, Redis connections and hit rate, ALB traffic."""
    ecs = [
        cloudwatch.GraphWidget(
            title=f"ECS {service}: running tasks",
            left=graph_metrics(
                "ECS/ContainerInsights",
                ["RunningTaskCount", "DesiredTaskCount"],
                sources.dimensions(catalog.SERVICE_SOURCES[service])[0],
            ),
            width=WIDTH,
            height=HEIGHT,
        )
        for service in names.SERVICES
    ]
    rds_dims = sources.dimensions(catalog.RDS)[0]
    graphs: list[cloudwatch.IWidget] = [
        *ecs,
        cloudwatch.GraphWidget(
            title="RDS: read/write latency",
            left=graph_metrics("AWS/RDS", ["ReadLatency", "WriteLatency"], rds_dims),
            right=graph_metrics("AWS/RDS", ["FreeableMemory"], rds_dims),
            width=WIDTH,
            height=HEIGHT,
        ),
    ]
    if sources.has(catalog.REDIS_NODE):  # absent while parked
        redis_dims = sources.dimensions(catalog.REDIS_NODE)[0]
        graphs.append(
            cloudwatch.GraphWidget(
                title="Redis (primary): connections and hit rate",
                left=graph_metrics("AWS/ElastiCache", ["CurrConnections"], redis_dims),
                right=graph_metrics("AWS/ElastiCache", ["CacheHitRate"], redis_dims),
                width=WIDTH,
                height=HEIGHT,
            )
        )
    if sources.has(catalog.ALB):  # absent while parked
        graphs.append(
            cloudwatch.GraphWidget(
                title="ALB: requests and target 4XX",
                left=graph_metrics(
                    "AWS/ApplicationELB",
                    ["RequestCount", "HTTPCode_Target_4XX_Count"],
                    sources.dimensions(catalog.ALB)[0],
                    statistic="Sum",
                ),
                width=WIDTH,
                height=HEIGHT,
            )
        )
    return graphs


def _app_graphs(
    alarms: Sequence[catalog.AlarmSpec], sources: MetricSources
) -> list[cloudwatch.IWidget]:
    """The app's own metrics: the backend's limiter and 5xx counts, each collector's items."""
    graphs: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title="Backend: limiter 429s, fail-open passes, 5xx",
            left=graph_metrics(
                catalog.APP_NAMESPACE,
                catalog.BACKEND_GRAPHED,
                sources.dimensions(catalog.APP_BACKEND)[0],
                statistic="Sum",
            ),
            width=WIDTH,
            height=HEIGHT,
        )
    ]
    for collector in sorted({a.collector for a in alarms if a.collector is not None}):
        graphs.append(
            cloudwatch.GraphWidget(
                title=f"Collector {collector}: items fetched and stored",
                left=graph_metrics(
                    catalog.APP_NAMESPACE,
                    catalog.COLLECTOR_GRAPHED,
                    sources.dimensions(catalog.Source.COLLECTOR, collector=collector)[0],
                    statistic="Sum",
                ),
                width=WIDTH,
                height=HEIGHT,
            )
        )
    return graphs


def build_dashboard(
    scope: Construct,
    *,
    name: str,
    alarms: Sequence[catalog.AlarmSpec],
    sources: MetricSources,
) -> cloudwatch.Dashboard:
    """Alarm graphs first (catalog order), then the key graphs."""
    dashboard = cloudwatch.Dashboard(scope, "Dashboard", dashboard_name=name)
    dashboard.add_widgets(
        cloudwatch.TextWidget(
            markdown=f"# {name}\nAlarm graphs show their threshold; runbooks live in `runbooks/`.",
            width=24,
            height=2,
        )
    )
    widgets: list[cloudwatch.IWidget] = [_alarm_widget(alarm, sources) for alarm in alarms]
    widgets += _key_graphs(sources)
    widgets += _app_graphs(alarms, sources)
    for start in range(0, len(widgets), 3):
        dashboard.add_widgets(*widgets[start : start + 3])
    return dashboard
