"""Catalog metric specs -> CloudWatch metrics, with each source mapped to its real dimensions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import assert_never

from aws_cdk import Duration, Fn
from aws_cdk import aws_cloudwatch as cloudwatch

from stacks.contract import alarm_catalog as catalog
from stacks.contract import names
from stacks.contract.alarm_catalog import Source

_METRIC_ID = re.compile(r"\bm(\d+)\b")


@dataclass(frozen=True, kw_only=True)
class MetricSources:
    """What the Monitoring stack knows of the watched resources (tokens from other stacks).

    Redis and the ALB are None while parked (`stacks.contract.parked`): asking is a KeyError.
    """

    db_instance_id: str
    replication_group_id: str | None
    redis_nodes: int
    alb_full_name: str | None
    target_group_full_names: Mapping[Source, str]  # catalog source -> target group full name
    cluster_name: str
    service_names: Mapping[str, str]  # service role (its catalog source) -> ECS service name
    env_name: str  # the app's own metrics carry it as their Environment dimension

    def dimensions(self, source: Source, *, collector: str | None = None) -> list[dict[str, str]]:
        """One dimension map per resource behind `source` (several for `redis_node`);
        `collector` names the collector of a Source.COLLECTOR metric."""
        if not self.has(source):
            raise KeyError(f"metric source {source!r} has no resource in this environment")
        match source:
            case Source.RDS:
                return [{"DBInstanceIdentifier": self.db_instance_id}]
            case Source.REDIS_NODE:
                group = self._present(source, self.replication_group_id)
                # Member clusters of a replication group are named <group id>-001, -002, ...
                return [
                    {"CacheClusterId": Fn.join("", [group, f"-{index:03d}"])}
                    for index in range(1, self.redis_nodes + 1)
                ]
            case Source.ALB:
                return [{"LoadBalancer": self._present(source, self.alb_full_name)}]
            case Source.BACKEND_TARGET_GROUP | Source.FRONTEND_TARGET_GROUP:
                return [
                    {
                        "TargetGroup": self.target_group_full_names[source],
                        "LoadBalancer": self._present(source, self.alb_full_name),
                    }
                ]
            case Source.BACKEND | Source.FRONTEND:
                return [
                    {"ClusterName": self.cluster_name, "ServiceName": self.service_names[source]}
                ]
            case Source.APP_BACKEND:
                return [
                    {
                        catalog.ENVIRONMENT_DIMENSION: self.env_name,
                        catalog.SERVICE_DIMENSION: names.BACKEND,
                    }
                ]
            case Source.COLLECTOR:
                if collector not in names.COLLECTORS:
                    raise KeyError(f"a collector metric needs a known collector, got {collector!r}")
                return [
                    {
                        catalog.ENVIRONMENT_DIMENSION: self.env_name,
                        catalog.COLLECTOR_DIMENSION: collector,
                    }
                ]
            case _:
                assert_never(source)

    @staticmethod
    def _present(source: str, value: str | None) -> str:
        """`value`, checked by `has` before (narrows the type)."""
        assert value is not None, source
        return value

    def has(self, source: Source) -> bool:
        """False for a source whose resource is absent (Redis and the ALB while parked)."""
        if source == Source.REDIS_NODE:
            return self.replication_group_id is not None
        if source == Source.ALB or source in catalog.TARGET_GROUP_SOURCES.values():
            return self.alb_full_name is not None
        return True


def metric(
    spec: catalog.MetricSpec, dimensions: Mapping[str, str], period: int
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=spec.namespace,
        metric_name=spec.name,
        dimensions_map=dict(dimensions),
        statistic=spec.statistic,
        period=Duration.seconds(period),
    )


def alarm_metric(alarm: catalog.AlarmSpec, sources: MetricSources) -> cloudwatch.IMetric:
    """The alarm's metric or metric math; a multi-resource source becomes MAX([...]) of parts."""
    using: dict[str, cloudwatch.IMetric] = {}
    parts: list[str] = []
    for index, spec in enumerate(alarm.metrics):
        per_resource = sources.dimensions(spec.source, collector=spec.collector)
        if len(per_resource) == 1:
            using[f"m{index}"] = metric(spec, per_resource[0], alarm.period_seconds)
            parts.append(f"m{index}")
            continue
        ids = [f"m{index}x{n}" for n in range(len(per_resource))]
        for metric_id, dims in zip(ids, per_resource, strict=True):
            using[metric_id] = metric(spec, dims, alarm.period_seconds)
        parts.append(f"MAX([{', '.join(ids)}])")
    if alarm.expression is None and len(using) == 1:
        return next(iter(using.values()))
    expression = alarm.expression or parts[0]
    expression = _METRIC_ID.sub(lambda match: parts[int(match.group(1))], expression)
    return cloudwatch.MathExpression(
        expression=expression,
        using_metrics=using,
        label=alarm.id,
        period=Duration.seconds(alarm.period_seconds),
    )


def graph_metrics(
    namespace: str,
    names_: Sequence[str],
    dimensions: Mapping[str, str],
    *,
    statistic: str = "Average",
    period: int = 300,
) -> list[cloudwatch.IMetric]:
    """Plain metrics for a dashboard graph."""
    return [
        cloudwatch.Metric(
            namespace=namespace,
            metric_name=name,
            dimensions_map=dict(dimensions),
            statistic=statistic,
            period=Duration.seconds(period),
        )
        for name in names_
    ]
