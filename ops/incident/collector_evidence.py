"""Read-only evidence for a collector's alarms: its latest runs and the log lines of the last one.

A collector run is a task of the backend's task definition started by the collector's schedule
rule; it writes one EMF line per run (`app_src/backend/app/metrics.py`) into the backend's log
group, with `Collector`, `Status`, the counts and the first errors. Those lines are the run
history; the log stream of the latest one holds that run's log lines. Stopped tasks of the backend's
family whose command names the collector add the runs that never started (a secret ECS could not
resolve, an image that did not pull).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ops.aws.session import Aws
from ops.incident.evidence import Event, Evidence, guard, stamp
from stacks.contract import names

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.type_defs import TaskTypeDef
    from mypy_boto3_logs import CloudWatchLogsClient

RUN_WINDOW = dt.timedelta(hours=24)
MAX_RUNS = 10
MAX_LOG_LINES = 40
MAX_PAGES = 5
MAX_STOPPED_TASKS = 20

Lookup = Callable[[str], str]


def backend_log_group(ecs: ECSClient, lookup: Lookup) -> tuple[str, str]:
    """(log group, task family) of the backend's container, from its service's task definition."""
    cluster = lookup(names.Outputs.CLUSTER_NAME)
    service = lookup(names.Outputs.BACKEND_SERVICE_NAME)
    found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
    if not found:
        raise LookupError(f"service {service} not found in cluster {cluster}")
    described = ecs.describe_task_definition(taskDefinition=found[0]["taskDefinition"])
    definition = described["taskDefinition"]
    for container in definition.get("containerDefinitions", []):
        if container.get("name") == names.BACKEND:
            log_config = container.get("logConfiguration")
            options = log_config.get("options", {}) if log_config else {}
            if options.get("awslogs-group"):
                return options["awslogs-group"], definition["family"]
    raise LookupError(f"the {names.BACKEND} container of {definition['family']} has no awslogs")


def run_records(
    logs: CloudWatchLogsClient, group: str, collector: str, *, now: dt.datetime
) -> list[dict[str, Any]]:
    """The collector's EMF run lines of the last 24 hours, newest first (with their stream)."""
    query: dict[str, Any] = {
        "logGroupName": group,
        "filterPattern": f'{{ $.Collector = "{collector}" }}',
        "startTime": int((now - RUN_WINDOW).timestamp() * 1000),
        "endTime": int(now.timestamp() * 1000) + 60_000,
    }
    records: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = logs.filter_log_events(**query)
        for event in page.get("events", []):
            try:
                record = json.loads(event["message"])
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("Collector") == collector:
                records.append({**record, "_stream": event.get("logStreamName", "")})
        if not page.get("nextToken"):
            break
        query["nextToken"] = page["nextToken"]
    records.sort(key=lambda r: r.get("_aws", {}).get("Timestamp", 0), reverse=True)
    return records[:MAX_RUNS]


def _when(record: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromtimestamp(record.get("_aws", {}).get("Timestamp", 0) / 1000, dt.UTC)


def _run_line(record: dict[str, Any]) -> str:
    errors = record.get("Errors") or []
    detail = f"; {errors[0]}" if errors else ""
    return (
        f"{stamp(_when(record))} {record.get('Status', '?')}: fetched "
        f"{record.get('ItemsFetched', '?')}, stored {record.get('ItemsStored', '?')}, "
        f"{record.get('RunDuration', '?')} s, failed in a row "
        f"{record.get('FailedRunsInARow', '?')}{detail}"
    )


def _stopped_tasks(
    ecs: ECSClient, lookup: Lookup, family: str, collector: str
) -> list[TaskTypeDef]:
    """Recently stopped tasks of the backend's family whose command runs this collector."""
    cluster = lookup(names.Outputs.CLUSTER_NAME)
    arns = ecs.list_tasks(
        cluster=cluster, family=family, desiredStatus="STOPPED", maxResults=MAX_STOPPED_TASKS
    ).get("taskArns", [])
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns).get("tasks", []) if arns else []
    mine = []
    for task in tasks:
        overrides = (task.get("overrides") or {}).get("containerOverrides", [])
        if any(collector in (o.get("command") or []) for o in overrides):
            mine.append(task)
    return mine


def _is_metrics(message: str) -> bool:
    """True for an EMF line (its numbers are in the runs evidence already)."""
    try:
        parsed = json.loads(message)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "_aws" in parsed


def runs(aws: Aws, lookup: Lookup, collector: str, *, now: dt.datetime) -> Evidence:
    """The collector's latest runs (newest first) and its tasks that stopped without running."""

    def run(ev: Evidence) -> None:
        group, family = backend_log_group(aws.client("ecs"), lookup)
        records = run_records(aws.client("logs"), group, collector, now=now)
        if not records:
            ev.lines.append(f"no {collector} run wrote its metrics in the last 24 h (in {group})")
        for record in records:
            ev.lines.append(_run_line(record))
            ev.events.append(
                Event(_when(record), f"collector {collector}", f"run {record.get('Status', '?')}")
            )
        for task in _stopped_tasks(aws.client("ecs"), lookup, family, collector):
            reasons = [c["reason"] for c in task.get("containers", []) if c.get("reason")]
            codes = [str(c["exitCode"]) for c in task.get("containers", []) if "exitCode" in c]
            text = "; ".join([task.get("stoppedReason", "no reason given"), *reasons])
            exit_codes = f" (exit {', '.join(codes)})" if codes else ""
            ev.lines.append(
                f"stopped task {task['taskArn'].rsplit('/', 1)[-1]}: {text}{exit_codes}"
            )
            when = task.get("stoppedAt") or task.get("createdAt")
            if when:
                ev.events.append(Event(when, f"collector {collector}", f"task stopped: {text}"))

    return guard(f"collector-runs:{collector}", f"Collector {collector}: latest runs", run)


def logs(aws: Aws, lookup: Lookup, collector: str, *, now: dt.datetime) -> Evidence:
    """The log lines of the collector's latest run (its task's stream), without metrics lines."""

    def run(ev: Evidence) -> None:
        group, _ = backend_log_group(aws.client("ecs"), lookup)
        records = run_records(aws.client("logs"), group, collector, now=now)
        if not records or not records[0]["_stream"]:
            ev.lines.append(f"no {collector} run in the last 24 h to show the log of")
            return
        stream = records[0]["_stream"]
        events = aws.client("logs").get_log_events(
            logGroupName=group, logStreamName=stream, limit=MAX_LOG_LINES, startFromHead=False
        )["events"]
        ev.lines.append(f"{group} {stream} ({stamp(_when(records[0]))} run):")
        ev.lines += [e["message"].rstrip() for e in events if not _is_metrics(e["message"])]

    return guard(f"collector-logs:{collector}", f"Collector {collector}: latest run's log", run)
