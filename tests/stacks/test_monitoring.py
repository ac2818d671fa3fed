"""Monitoring: the env's catalog alarms with ALARM+OK actions, the encrypted topic, a dashboard."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest
from stack_templates import ENVS, SynthesizedEnv, ref_target

from cdk_app.config import load
from stacks.contract import alarm_catalog, names
from stacks.contract.collector_schedule import interval_seconds
from stacks.monitoring import alarm_description

ALARM = "AWS::CloudWatch::Alarm"
TOPIC = "AWS::SNS::Topic"
EMAILS = ("oncall@example.com", "team@example.com")
WIKI = "https://wiki.example.com/ohmycoins/runbooks/"


@pytest.fixture(scope="module")
def notified(synth_env: Callable) -> SynthesizedEnv:
    config = dataclasses.replace(load("staging"), alarm_emails=EMAILS, runbook_base_url=WIKI)
    return synth_env(config)


def _alarms(synth: SynthesizedEnv) -> dict[str, dict]:
    return {
        alarm["Properties"]["AlarmName"]: alarm["Properties"]
        for alarm in synth.resources(names.MONITORING, ALARM).values()
    }


@pytest.mark.parametrize("env", ENVS)
def test_exactly_the_catalog_alarms_with_alarm_and_ok_actions(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    synth = envs[env]
    alarms = _alarms(synth)
    assert len(set(alarm_catalog.ALARM_IDS)) == len(alarm_catalog.ALARM_IDS)  # one alarm per id
    assert sorted(alarms) == sorted(names.alarm_name(env, i) for i in alarm_catalog.ALARM_IDS)
    (topic_id,) = synth.resources(names.MONITORING, TOPIC)
    for spec in synth.config.alarms():
        props = alarms[names.alarm_name(env, spec.id)]
        assert props["AlarmActions"] == [{"Ref": topic_id}]
        assert props["OKActions"] == [{"Ref": topic_id}]
        assert f"runbooks/{spec.id}.md" in props["AlarmDescription"]
        assert props["TreatMissingData"] == spec.treat_missing_data
        assert "ActionsEnabled" not in props  # armed; only a parked env mutes some


def test_alarm_parameters_come_from_the_catalog_with_overrides(staging: SynthesizedEnv) -> None:
    alarms = _alarms(staging)
    for spec in staging.config.alarms():
        props = alarms[names.alarm_name("staging", spec.id)]
        assert props["Threshold"] == spec.threshold
        assert props["ComparisonOperator"] == spec.comparison
        assert props["EvaluationPeriods"] == spec.evaluation_periods
        assert props["DatapointsToAlarm"] == spec.datapoints_to_alarm
    latency = alarms[names.alarm_name("staging", "alb-latency-high")]
    assert latency["Threshold"] == staging.config.alarm_thresholds["alb-latency-high"]
    assert latency["Threshold"] != alarm_catalog.by_id("alb-latency-high").threshold


def test_redis_alarms_take_the_max_over_every_node(production: SynthesizedEnv) -> None:
    props = _alarms(production)[names.alarm_name("production", "redis-memory-high")]
    (expression,) = [m for m in props["Metrics"] if "Expression" in m]
    assert expression["Expression"] == "MAX([m0x0, m0x1])"
    suffixes = sorted(
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Fn::Join"][1][1]
        for m in props["Metrics"]
        if "MetricStat" in m
    )
    assert suffixes == ["-001", "-002"]


def test_alb_metrics_use_full_names(staging: SynthesizedEnv) -> None:
    alarms = _alarms(staging)
    five_xx = alarms[names.alarm_name("staging", "alb-5xx")]
    dims = [
        m["MetricStat"]["Metric"]["Dimensions"] for m in five_xx["Metrics"] if "MetricStat" in m
    ]
    assert len(dims) == 2
    for (dim,) in dims:
        assert dim["Name"] == "LoadBalancer"
        assert "LoadBalancerFullName" in dim["Value"]["Fn::ImportValue"]
    unhealthy = alarms[names.alarm_name("staging", "alb-unhealthy-hosts")]
    for metric in (m for m in unhealthy["Metrics"] if "MetricStat" in m):
        dimension_names = {d["Name"] for d in metric["MetricStat"]["Metric"]["Dimensions"]}
        assert dimension_names == {"TargetGroup", "LoadBalancer"}


def test_ecs_alarms_watch_their_service(staging: SynthesizedEnv) -> None:
    props = _alarms(staging)[names.alarm_name("staging", "ecs-backend-cpu-high")]
    dimensions = {d["Name"] for d in props["Dimensions"]}
    assert dimensions == {"ClusterName", "ServiceName"}
    assert props["MetricName"] == "CPUUtilization" and props["Namespace"] == "AWS/ECS"


def test_collector_alarms_watch_their_runs_sized_from_the_schedule(
    production: SynthesizedEnv,
) -> None:
    alarms = _alarms(production)
    for collector, schedule in production.config.collectors.items():
        interval = interval_seconds(schedule)
        assert interval is not None
        failing = alarms[names.alarm_name("production", f"collector-{collector}-failing")]
        stale = alarms[names.alarm_name("production", f"collector-{collector}-stale")]
        for props in (failing, stale):
            assert props["Namespace"] == alarm_catalog.APP_NAMESPACE
            assert {d["Name"]: d["Value"] for d in props["Dimensions"]} == {
                "Environment": "production",
                "Collector": collector,
            }
        assert (failing["MetricName"], failing["Statistic"]) == ("FailedRunsInARow", "Maximum")
        assert (failing["Threshold"], failing["TreatMissingData"]) == (2, "ignore")
        assert (stale["MetricName"], stale["Statistic"]) == ("SuccessfulRuns", "Sum")
        assert stale["ComparisonOperator"] == "LessThanOrEqualToThreshold"
        assert stale["TreatMissingData"] == "breaching"
        assert stale["Period"] == min(86400, alarm_catalog.STALE_INTERVALS * interval)
    assert alarms[names.alarm_name("production", "collector-cryptopanic-stale")]["Period"] == 2700


def test_limiter_alarms_watch_the_backends_metrics(staging: SynthesizedEnv) -> None:
    alarms = _alarms(staging)
    for alarm_id, metric in (
        ("ratelimit-fail-open", "RateLimitFailOpen"),
        ("ratelimit-rejections-high", "RateLimitRejected"),
    ):
        props = alarms[names.alarm_name("staging", alarm_id)]
        assert (props["Namespace"], props["MetricName"]) == (alarm_catalog.APP_NAMESPACE, metric)
        assert {d["Name"]: d["Value"] for d in props["Dimensions"]} == {
            "Environment": "staging",
            "Service": "backend",
        }


def test_only_configured_collectors_get_alarms(synth_env: Callable) -> None:
    config = dataclasses.replace(
        load("staging"), collectors={"nansen": "cron(0 6 * * ? *)"}, alarm_thresholds={}
    )
    alarms = _alarms(synth_env(config))
    collector_alarms = sorted(a for a in alarms if "-collector-" in a)
    assert collector_alarms == [
        names.alarm_name("staging", "collector-nansen-failing"),
        names.alarm_name("staging", "collector-nansen-stale"),
    ]
    # A cron schedule has no fixed interval: the stale window is the one-day cap.
    assert alarms[names.alarm_name("staging", "collector-nansen-stale")]["Period"] == 86400


def test_topic_encrypted_with_rotating_key_and_ssl_only(staging: SynthesizedEnv) -> None:
    topic = staging.one(names.MONITORING, TOPIC)["Properties"]
    key_id = ref_target(topic["KmsMasterKeyId"])
    key = staging.templates[names.MONITORING]["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    policy = json.dumps(staging.one(names.MONITORING, "AWS::SNS::TopicPolicy"))
    assert "aws:SecureTransport" in policy
    assert "cloudwatch.amazonaws.com" in json.dumps(key["Properties"]["KeyPolicy"])


def test_email_subscriptions_from_config(notified: SynthesizedEnv, staging: SynthesizedEnv) -> None:
    subscriptions = notified.resources(names.MONITORING, "AWS::SNS::Subscription").values()
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == sorted(EMAILS)
    assert all(s["Properties"]["Protocol"] == "email" for s in subscriptions)
    shipped = staging.resources(names.MONITORING, "AWS::SNS::Subscription").values()
    assert [s["Properties"]["Endpoint"] for s in shipped] == list(staging.config.alarm_emails)


def test_runbook_url_in_descriptions_when_configured(notified: SynthesizedEnv) -> None:
    for props in _alarms(notified).values():
        alarm_id = props["AlarmName"].removeprefix("ohmycoins-staging-")
        assert f"{WIKI}{alarm_id}.md" in props["AlarmDescription"]
        assert f"runbooks/{alarm_id}.md" in props["AlarmDescription"]


def test_alarm_description_text() -> None:
    spec = alarm_catalog.by_id("rds-cpu-high")
    assert alarm_description(spec, None) == (
        f"[high] {spec.summary} Runbook: runbooks/rds-cpu-high.md"
    )
    assert alarm_description(spec, "https://x.test/rb").endswith(
        "(https://x.test/rb/rds-cpu-high.md)"
    )


def test_dashboard_graphs_every_alarm_with_its_threshold(production: SynthesizedEnv) -> None:
    dashboard = production.one(names.MONITORING, "AWS::CloudWatch::Dashboard")["Properties"]
    assert dashboard["DashboardName"] == "ohmycoins-production-dashboard"
    body = json.loads(_join(dashboard["DashboardBody"]))
    graphs = {w["properties"].get("title"): w["properties"] for w in body["widgets"]}
    for spec in production.config.alarms():
        (title,) = [t for t in graphs if t and t.startswith(f"{spec.id} (")]
        (line,) = graphs[title]["annotations"]["horizontal"]
        assert line["value"] == spec.threshold
    key_graphs = " ".join(t for t in graphs if t)
    for word in ("ECS backend", "ECS frontend", "RDS", "Redis", "ALB", "Backend: limiter"):
        assert word in key_graphs
    for collector in production.config.collectors:
        assert f"collector-{collector}-stale (high)" in graphs
        assert f"Collector {collector}: items fetched and stored" in graphs


def _join(value) -> str:
    """Flatten the dashboard body's Fn::Join, with a stand-in for every reference."""
    if isinstance(value, str):
        return value
    return "".join(part if isinstance(part, str) else "REF" for part in value["Fn::Join"][1])
