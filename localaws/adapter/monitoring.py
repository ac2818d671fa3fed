"""AWS::CloudWatch::Alarm, AWS::SNS::TopicPolicy and AWS::SNS::Subscription as real moto ones."""

from __future__ import annotations

import json
from typing import Any, Self

from localaws.adapter.base import AdapterResource, CloudFormationModel, as_bool, tags_list
from localaws.adapter.compat import require

_cw = require(
    "moto.cloudwatch.models",
    "cloudwatch_backends",
    "Dimension",
    "Metric",
    "MetricStat",
    "MetricDataQuery",
)
_sns = require("moto.sns.models", "sns_backends")


def _dimensions(raw: list[dict[str, str]]) -> list[Any]:
    return [_cw.Dimension(name=d["Name"], value=d["Value"]) for d in raw]


def metric_data_queries(metrics: list[dict[str, Any]]) -> list[Any]:
    """CloudFormation's `Metrics` (metric math) as moto's MetricDataQuery objects."""
    queries = []
    for query in metrics:
        stat = query.get("MetricStat")
        metric_stat = None
        if stat:
            metric = stat["Metric"]
            metric_stat = _cw.MetricStat(
                metric=_cw.Metric(
                    metric_name=metric["MetricName"],
                    namespace=metric["Namespace"],
                    dimensions=_dimensions(metric.get("Dimensions", [])),
                ),
                period=str(stat["Period"]),
                stat=stat["Stat"],
                unit=stat.get("Unit"),
            )
        queries.append(
            _cw.MetricDataQuery(
                query_id=query["Id"],
                label=query.get("Label"),
                period=query.get("Period"),
                return_data=str(as_bool(query.get("ReturnData"), True)).lower(),
                expression=query.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


class AlarmResource(AdapterResource, CloudFormationModel):
    """A metric alarm (single metric or metric math); Ref is its name."""

    cfn_type = "AWS::CloudWatch::Alarm"
    name_property = "AlarmName"
    attributes = ("Arn",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        metrics = p.get("Metrics")
        alarm = _cw.cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=_optional_int(p.get("Period")),
            threshold=float(p["Threshold"]) if "Threshold" in p else None,
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            metric_data_queries=metric_data_queries(metrics) if metrics else None,
            datapoints_to_alarm=_optional_int(p.get("DatapointsToAlarm")),
            extended_statistic=p.get("ExtendedStatistic"),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            unit=p.get("Unit"),
            actions_enabled=as_bool(p.get("ActionsEnabled"), True),
            treat_missing_data=p.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=p.get("ThresholdMetricId"),
            tags=tags_list(p),
        )
        return cls(name, Arn=alarm.alarm_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        _cw.cloudwatch_backends[account_id][region_name].delete_alarms([self.physical_resource_id])


class TopicPolicyResource(AdapterResource, CloudFormationModel):
    """Sets the `Policy` attribute of each topic; Ref is a generated id."""

    cfn_type = "AWS::SNS::TopicPolicy"
    attributes = ("Id",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        backend = _sns.sns_backends[account_id][region_name]
        document = json.dumps(p["PolicyDocument"])
        for topic_arn in p["Topics"]:
            backend.set_topic_attribute(topic_arn, "policy", document)
        return cls(name, Id=name)


class SubscriptionResource(AdapterResource, CloudFormationModel):
    """A topic subscription; Ref is the subscription ARN."""

    cfn_type = "AWS::SNS::Subscription"
    attributes = ("Arn",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        backend = _sns.sns_backends[account_id][region_name]
        subscription = backend.subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"])
        return cls(subscription.arn, Arn=subscription.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        _sns.sns_backends[account_id][region_name].unsubscribe(self.physical_resource_id)
