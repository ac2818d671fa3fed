"""`ops incident`: firing alarms most severe first, runbooks, read-only diagnostics, report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from moto_env import Deployed

from ops.cli import cli
from ops.incident import diagnostics
from ops.incident import gather as incident
from ops.incident.diagnostics import DIAGNOSTICS
from stacks.contract import alarm_catalog, names

READ_ONLY = ("Describe", "Get", "List", "FilterLogEvents")
# Forced in an order that is neither by severity nor by id: medium, critical, high.
FORCED = ("redis-evictions", "alb-5xx", "rds-cpu-high")
EXPECTED_ORDER = ["alb-5xx", "rds-cpu-high", "redis-evictions"]


def _force(d: Deployed, *alarm_ids: str) -> None:
    cloudwatch = d.client("cloudwatch")
    for alarm_id in alarm_ids:
        cloudwatch.set_alarm_state(
            AlarmName=names.alarm_name(d.env, alarm_id),
            StateValue="ALARM",
            StateReason=f"Threshold Crossed: test of {alarm_id}",
        )


def _run(d: Deployed, *args: str):
    return CliRunner().invoke(cli, ["incident", "--env", d.env, *args], obj=d.context())


def _assert_read_only(calls: list[str]) -> None:
    assert calls, "no AWS call was recorded"
    assert [c for c in calls if not c.startswith(READ_ONLY)] == []


def test_reports_firing_alarms_most_severe_first_with_runbooks(deployed: Deployed) -> None:
    _force(deployed, *FORCED)
    deployed.client("cloudwatch").put_metric_data(
        Namespace="AWS/RDS", MetricData=[{"MetricName": "CPUUtilization", "Value": 93.0}]
    )
    result = _run(deployed, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert [a["id"] for a in found["firing"]] == EXPECTED_ORDER
    severities = [a["severity"] for a in found["firing"]]
    assert severities == [alarm_catalog.by_id(i).severity.label for i in EXPECTED_ORDER]
    for alarm in found["firing"]:
        assert alarm["runbook"] == f"runbooks/{alarm['id']}.md"
        assert alarm["runbook_error"] is None
        assert alarm["name"] == names.alarm_name(deployed.env, alarm["id"])
        assert alarm["reason"] == f"Threshold Crossed: test of {alarm['id']}"
    rds_cpu = found["firing"][1]["metric"]
    assert rds_cpu["error"] is None
    assert any("latest 93" in line for line in rds_cpu["lines"]), rds_cpu
    # The union of the firing runbooks' diagnostics ran once each, without error.
    assert set(found["evidence"]) == {"target-health", "ecs-backend", "ecs-frontend",
                                      "rds-state", "rds-events", "redis-state"}  # fmt: skip
    for name, evidence in found["evidence"].items():
        assert evidence["error"] is None, (name, evidence["error"])
    assert deployed.ids["db"] in found["evidence"]["rds-state"]["lines"][0]
    assert deployed.ids["cache"] in found["evidence"]["redis-state"]["lines"][0]
    assert "OK" in found["states"] and "alb-5xx" not in found["states"]["OK"]
    text = _run(deployed)
    assert text.exit_code == 0, text.output
    positions = [text.output.index(names.alarm_name(deployed.env, i)) for i in EXPECTED_ORDER]
    assert positions == sorted(positions)
    assert "[CRITICAL] ohmycoins-staging-alb-5xx" in text.output
    assert "runbook: runbooks/rds-cpu-high.md  (ops runbook show rds-cpu-high)" in text.output
    assert "Diagnostics (read-only):" in text.output
    _assert_read_only(deployed.calls)


def test_no_alarm_firing_says_so_and_exits_0(deployed: Deployed) -> None:
    missing = names.alarm_name("staging", "alb-latency-high")
    deployed.client("cloudwatch").delete_alarms(AlarmNames=[missing])
    result = _run(deployed)
    assert result.exit_code == 0, result.output
    assert "No alarm is firing in staging." in result.output
    assert "Not deployed (no such alarm): alb-latency-high" in result.output
    as_json = _run(deployed, "--json")
    assert as_json.exit_code == 0
    found = json.loads(as_json.output)
    assert found["firing"] == [] and found["missing"] == ["alb-latency-high"]
    assert len(found["states"]["OK"]) == len(alarm_catalog.ALARMS) - 1
    _assert_read_only(deployed.calls)


def _stop_a_backend_task(d: Deployed, reason: str) -> None:
    ecs = d.client("ecs")
    service = ecs.describe_services(cluster=d.ids["cluster"], services=[d.ids["backend"]])
    task = ecs.run_task(
        cluster=d.ids["cluster"],
        taskDefinition=service["services"][0]["taskDefinition"],
        launchType="FARGATE",
        networkConfiguration=service["services"][0]["networkConfiguration"],
        group=f"service:{d.ids['backend']}",
    )["tasks"][0]
    ecs.stop_task(cluster=d.ids["cluster"], task=task["taskArn"], reason=reason)


def test_report_file_has_timeline_evidence_and_links(deployed: Deployed, tmp_path: Path) -> None:
    _force(deployed, "alb-unhealthy-hosts", "ecs-backend-memory-high")
    _stop_a_backend_task(deployed, "OutOfMemoryError: Container killed due to memory usage")
    report = tmp_path / "incident.md"
    result = _run(deployed, "--report", str(report))
    assert result.exit_code == 0, result.output
    text = report.read_text(encoding="utf-8")
    for heading in ("# Incident report: staging", "## Firing alarms", "## Timeline (UTC)",
                    "## Evidence", "## Links", "## Actions taken"):  # fmt: skip
        assert heading in text
    assert text.index("ohmycoins-staging-alb-unhealthy-hosts") < text.index(
        "ohmycoins-staging-ecs-backend-memory-high"
    )
    assert "[alarm] ohmycoins-staging-alb-unhealthy-hosts entered ALARM" in text
    assert "runbooks/ecs-backend-memory-high.md" in text
    assert "#alarmsV2:alarm/ohmycoins-staging-alb-unhealthy-hosts" in text
    assert "#dashboards/dashboard/dash" in text
    assert "### Target health (backend and frontend target groups)" in text
    backend = text.split("### ECS backend service", 1)[1].split("###", 1)[0]
    assert "OutOfMemoryError: Container killed due to memory usage" in backend
    frontend = text.split("### ECS frontend service", 1)[1].split("##", 1)[0]
    assert "OutOfMemoryError" not in frontend and "no recently stopped tasks" in frontend
    _assert_read_only(deployed.calls)


def test_runbook_url_comes_from_the_alarm_description(deployed: Deployed) -> None:
    url = "https://wiki.example.com/ohmycoins/runbooks/redis-evictions.md"
    cloudwatch = deployed.client("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=[names.alarm_name("staging", "redis-evictions")])
    spec = alarm["MetricAlarms"][0]
    cloudwatch.put_metric_alarm(
        AlarmName=spec["AlarmName"], AlarmDescription=f"Runbook: runbooks/redis-evictions.md {url}",
        MetricName=spec["MetricName"], Namespace=spec["Namespace"], Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=100, ComparisonOperator=spec["ComparisonOperator"],
    )  # fmt: skip
    _force(deployed, "redis-evictions")
    found = json.loads(_run(deployed, "--json").output)
    assert found["firing"][0]["runbook_url"] == url


def test_a_failing_diagnostic_is_reported_and_the_rest_still_run(deployed: Deployed) -> None:
    deployed.client("rds").delete_db_instance(
        DBInstanceIdentifier=deployed.ids["db"], SkipFinalSnapshot=True
    )
    _force(deployed, "rds-cpu-high")
    result = _run(deployed, "--json")
    assert result.exit_code == 0, result.output
    evidence = json.loads(result.output)["evidence"]
    assert "DBInstanceNotFound" in evidence["rds-state"]["error"]
    assert evidence["rds-state"]["lines"] == []
    assert evidence["ecs-backend"]["error"] is None and evidence["ecs-backend"]["lines"]


def test_every_diagnostic_calls_read_only_apis_only(deployed: Deployed) -> None:
    aws = deployed.aws()
    outputs = deployed.outputs(aws)
    now = incident.dt.datetime.now(incident.dt.UTC)
    for name in DIAGNOSTICS:
        if name == diagnostics.ALARM_METRIC:
            alarm = aws.client("cloudwatch").describe_alarms(
                AlarmNames=[names.alarm_name("staging", "alb-5xx")]
            )["MetricAlarms"][0]
            evidence = diagnostics.alarm_metric(aws.client("cloudwatch"), alarm, now=now)
        else:
            scoped = diagnostics.scoped(name, "cryptopanic")
            evidence = diagnostics.run_resource_diagnostic(scoped, aws, outputs.value, now=now)
        assert evidence.error is None, (name, evidence.error)
    called = set(deployed.calls)
    expected = {"GetMetricData", "DescribeServices", "ListTasks", "DescribeDBInstances",
                "DescribeEvents", "DescribeTargetHealth", "DescribeReplicationGroups",
                "DescribeTaskDefinition", "FilterLogEvents"}  # fmt: skip
    assert expected <= called
    _assert_read_only(deployed.calls)


def test_read_only_check_would_catch_a_mutating_call() -> None:
    _assert_read_only(["DescribeAlarms", "GetMetricData", "ListTasks"])
    for mutating in ("SetAlarmState", "UpdateService", "StopDBInstance"):
        try:
            _assert_read_only(["DescribeAlarms", mutating])
        except AssertionError:
            continue
        raise AssertionError(f"{mutating} went unnoticed")


def test_no_catalog_alarm_at_all_is_a_failed_operation(deployed: Deployed) -> None:
    every = [names.alarm_name(deployed.env, spec.id) for spec in alarm_catalog.ALARMS]
    deployed.client("cloudwatch").delete_alarms(AlarmNames=every)
    result = _run(deployed)
    assert result.exit_code == 1
    assert "OhMyCoins-staging-Monitoring stack deployed" in result.output
    assert "No alarm is firing" not in result.output


class _FakeEcs:
    """Service and task shapes as real ECS returns them (moto's tasks carry no timestamps)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def describe_services(self, **_: object) -> dict:
        event = {"createdAt": self.now, "message": "(service web) is unhealthy in target-group"}
        service = {"status": "ACTIVE", "desiredCount": 2, "runningCount": 1, "pendingCount": 0}
        return {"services": [{**service, "deployments": [], "events": [event]}]}

    def list_tasks(self, **_: object) -> dict:
        return {"taskArns": ["arn:task/c/1", "arn:task/c/2"]}

    def describe_tasks(self, **_: object) -> dict:
        mine = {"taskArn": "arn:task/c/1", "group": "service:web", "stoppedAt": self.now,
                "stoppedReason": "Essential container in task exited",
                "containers": [{"reason": "OutOfMemoryError: Container killed"}]}  # fmt: skip
        other = {**mine, "taskArn": "arn:task/c/2", "group": "family:migrate"}
        return {"tasks": [mine, other]}


def test_service_events_and_stopped_tasks_reach_the_timeline() -> None:
    now = dt.datetime(2026, 11, 25, 9, 41, tzinfo=dt.UTC)
    outputs = {names.Outputs.CLUSTER_NAME: "c", names.Outputs.BACKEND_SERVICE_NAME: "web"}
    evidence = diagnostics.ecs_service(_FakeEcs(now), outputs.__getitem__, names.BACKEND)
    assert evidence.error is None
    assert [(e.time, e.message) for e in evidence.events] == [
        (now, "(service web) is unhealthy in target-group"),
        (
            now,
            "task stopped: Essential container in task exited; OutOfMemoryError: Container killed",
        ),  # fmt: skip
    ]
    assert sum("stopped task" in line for line in evidence.lines) == 1  # not the migration task


def _run_line(
    collector: str, status: str, when: dt.datetime, errors: tuple[str, ...] = (), **counts: float
) -> str:
    """A collector run's EMF line as app_src/backend/app/metrics.py writes it."""
    values = {
        "SuccessfulRuns": int(status in ("success", "partial")),
        "FailedRunsInARow": 0,
        "ItemsFetched": 0,
        "ItemsStored": 0,
        "RunDuration": 1.5,
        **counts,
    }
    directive = {
        "Namespace": alarm_catalog.APP_NAMESPACE,
        "Dimensions": [["Environment", "Collector"]],
        "Metrics": [{"Name": name, "Unit": "Count"} for name in values],
    }
    meta = {"Timestamp": int(when.timestamp() * 1000), "CloudWatchMetrics": [directive]}
    fields = {"Status": status, "Errors": list(errors)}
    return json.dumps(
        {"_aws": meta, **fields, "Environment": "staging", "Collector": collector, **values}
    )


def _log_run(d: Deployed, task: str, when: dt.datetime, lines: list[str]) -> None:
    logs = d.client("logs")
    stream = f"backend/backend/{task}"
    logs.create_log_stream(logGroupName=d.ids["log_group"], logStreamName=stream)
    stamp_ms = int(when.timestamp() * 1000)
    logs.put_log_events(
        logGroupName=d.ids["log_group"], logStreamName=stream,
        logEvents=[{"timestamp": stamp_ms + i, "message": line} for i, line in enumerate(lines)],
    )  # fmt: skip


def _stop_a_collector_task(d: Deployed, collector: str, reason: str) -> None:
    ecs = d.client("ecs")
    service = ecs.describe_services(cluster=d.ids["cluster"], services=[d.ids["backend"]])
    command = ["python", "-m", "app.collect", collector]
    task = ecs.run_task(
        cluster=d.ids["cluster"], taskDefinition=service["services"][0]["taskDefinition"],
        launchType="FARGATE", networkConfiguration=service["services"][0]["networkConfiguration"],
        overrides={"containerOverrides": [{"name": names.BACKEND, "command": command}]},
    )["tasks"][0]  # fmt: skip
    ecs.stop_task(cluster=d.ids["cluster"], task=task["taskArn"], reason=reason)


def test_a_stale_collector_brings_its_last_runs_and_log_lines(deployed: Deployed) -> None:
    now = dt.datetime.now(dt.UTC)
    rejected = ("cryptopanic rejected the API key (HTTP 401); check the key and the plan, "
                "then run again (CRYPTOPANIC_API_KEY)")  # fmt: skip
    _log_run(deployed, "good", now - dt.timedelta(hours=5), [
        "INFO app.collect.cryptopanic: cryptopanic: page 1, 3 items",
        _run_line("cryptopanic", "success", now - dt.timedelta(hours=5), ItemsFetched=3,
                  ItemsStored=3),
    ])  # fmt: skip
    _log_run(deployed, "bad", now - dt.timedelta(hours=1), [
        f"ERROR app.collect.runner: {rejected}",
        _run_line("cryptopanic", "failed", now - dt.timedelta(hours=1), (rejected,),
                  FailedRunsInARow=4),
    ])  # fmt: skip
    _log_run(deployed, "other", now - dt.timedelta(minutes=30), [
        _run_line("nansen", "success", now - dt.timedelta(minutes=30), ItemsStored=9),
    ])  # fmt: skip
    _stop_a_collector_task(deployed, "cryptopanic", "ResourceInitializationError: unable to pull "
                           "secrets or registry auth")  # fmt: skip
    _force(deployed, "collector-cryptopanic-stale")

    result = _run(deployed, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    (alarm,) = found["firing"]
    assert (alarm["id"], alarm["severity"]) == ("collector-cryptopanic-stale", "high")
    assert alarm["runbook"] == "runbooks/collector-cryptopanic-stale.md"
    assert alarm["runbook_error"] is None
    assert "collector-runs:cryptopanic" in alarm["diagnostics"]
    assert "collector-logs:cryptopanic" in alarm["diagnostics"]
    runs = found["evidence"]["collector-runs:cryptopanic"]
    assert runs["error"] is None, runs
    assert "failed" in runs["lines"][0] and "HTTP 401" in runs["lines"][0]
    assert "failed in a row 4" in runs["lines"][0]
    assert "success" in runs["lines"][1] and "stored 3" in runs["lines"][1]
    assert not any("nansen" in line for line in runs["lines"])
    assert any("ResourceInitializationError" in line for line in runs["lines"])
    log = found["evidence"]["collector-logs:cryptopanic"]
    assert log["error"] is None, log
    assert "backend/backend/bad" in log["lines"][0]
    assert any(rejected in line for line in log["lines"])
    assert not any('"_aws"' in line for line in log["lines"])
    text = _run(deployed)
    assert "Collector cryptopanic: latest runs:" in text.output
    assert "ops runbook show collector-cryptopanic-stale" in text.output
    _assert_read_only(deployed.calls)


def test_collector_evidence_without_any_run_says_so(deployed: Deployed) -> None:
    _force(deployed, "collector-newscatcher-failing")
    found = json.loads(_run(deployed, "--json").output)
    runs = found["evidence"]["collector-runs:newscatcher"]
    assert runs["error"] is None
    assert runs["lines"] == [
        f"no newscatcher run wrote its metrics in the last 24 h (in {deployed.ids['log_group']})"
    ]
    assert found["evidence"]["collector-logs:newscatcher"]["lines"] == [
        "no newscatcher run in the last 24 h to show the log of"
    ]


def test_a_collector_diagnostic_needs_its_collector(deployed: Deployed) -> None:
    aws = deployed.aws()
    with pytest.raises(KeyError, match="needs a collector"):
        diagnostics.run_resource_diagnostic(
            diagnostics.COLLECTOR_RUNS,
            aws,
            deployed.outputs(aws).value,
            now=dt.datetime.now(dt.UTC),
        )
