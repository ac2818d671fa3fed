"""`ops incident`: the alarms in ALARM, most severe first, each with its runbook and evidence.

Only catalog alarms are considered (names from `stacks.contract.names.alarm_name`). For each
firing alarm the diagnostics its runbook lists run once per incident (shared between alarms) and
read only.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.incident import diagnostics
from ops.incident.diagnostics import ALARM_METRIC
from ops.incident.evidence import Event, Evidence
from ops.runbooks.library import RUNBOOK_DIR, Runbook, RunbookError, get
from stacks.contract import names
from stacks.contract.alarm_catalog import ALARMS, AlarmSpec

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricAlarmTypeDef

    from ops.aws.session import Aws
    from ops.aws.stack_outputs import StackOutputs

ALARM_STATE = "ALARM"
_URL = re.compile(r"https?://\S+?\.md\b")


@dataclass
class FiringAlarm:
    """One alarm in ALARM with its catalog entry, runbook and evidence."""

    spec: AlarmSpec
    name: str
    since: dt.datetime
    reason: str
    runbook: Runbook | None
    runbook_url: str | None
    console_url: str
    metric: Evidence
    diagnostics: tuple[str, ...] = ()
    runbook_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.spec.id,
            "name": self.name,
            "severity": self.spec.severity.label,
            "summary": self.spec.summary,
            "since": self.since.isoformat(),
            "reason": self.reason,
            "runbook": self.spec.runbook,
            "runbook_url": self.runbook_url,
            "runbook_error": self.runbook_error,
            "console_url": self.console_url,
            "metric": self.metric.to_dict(),
            "diagnostics": list(self.diagnostics),
        }


@dataclass
class Incident:
    """Everything `ops incident` found for one environment."""

    env: str
    region: str
    generated_at: dt.datetime
    firing: list[FiringAlarm] = field(default_factory=list)
    states: dict[str, list[str]] = field(default_factory=dict)  # other state -> alarm ids
    missing: list[str] = field(default_factory=list)  # catalog ids with no deployed alarm
    evidence: dict[str, Evidence] = field(default_factory=dict)  # shared, by diagnostic name
    dashboard_url: str | None = None

    def timeline(self) -> list[Event]:
        """Alarm state changes and every timestamped diagnostic event, oldest first."""
        events = [
            Event(a.since, "alarm", f"{a.name} entered ALARM: {a.reason}") for a in self.firing
        ]
        for evidence in self.evidence.values():
            events.extend(evidence.events)
        return sorted(events, key=lambda e: e.time)

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "region": self.region,
            "generated_at": self.generated_at.isoformat(),
            "firing": [alarm.to_dict() for alarm in self.firing],
            "states": self.states,
            "missing": self.missing,
            "evidence": {name: ev.to_dict() for name, ev in self.evidence.items()},
            "dashboard_url": self.dashboard_url,
        }


def console_alarm_url(region: str, alarm_name: str) -> str:
    """The CloudWatch console page of one alarm."""
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{alarm_name}"
    )


def runbook_url_from(description: str, alarm_id: str) -> str | None:
    """The runbook URL the alarm description carries (when config sets `runbook_base_url`)."""
    urls: list[str] = _URL.findall(description or "")
    for url in urls:
        if url.endswith(f"/{alarm_id}.md"):
            return url
    return None


def describe_catalog_alarms(
    cloudwatch: CloudWatchClient, env: str
) -> dict[str, MetricAlarmTypeDef]:
    """DescribeAlarms for the catalog's alarm names: alarm id -> the alarm as AWS returns it."""
    by_name = {names.alarm_name(env, spec.id): spec.id for spec in ALARMS}
    found: dict[str, MetricAlarmTypeDef] = {}
    paginator = cloudwatch.get_paginator("describe_alarms")
    for page in paginator.paginate(AlarmNames=list(by_name), AlarmTypes=["MetricAlarm"]):
        for alarm in page.get("MetricAlarms", []):
            if alarm["AlarmName"] in by_name:
                found[by_name[alarm["AlarmName"]]] = alarm
    return found


def _runbook_for(spec: AlarmSpec, runbook_dir: Path) -> tuple[Runbook | None, str | None]:
    try:
        return get(spec.id, runbook_dir), None
    except RunbookError as error:
        return None, str(error)


def investigate(
    aws: Aws,
    outputs: StackOutputs,
    env: str,
    *,
    now: dt.datetime | None = None,
    runbook_dir: Path = RUNBOOK_DIR,
) -> Incident:
    """Find the firing catalog alarms and gather their evidence (diagnostics run concurrently).

    Calls read-only APIs only.
    """
    now = now or dt.datetime.now(dt.UTC)
    cloudwatch = aws.client("cloudwatch")
    alarms = describe_catalog_alarms(cloudwatch, env)
    if not alarms:
        from ops.errors import OpsError

        raise OpsError(
            f"no alarm of the catalog exists for {env!r} in {aws.region}: is the "
            f"{names.stack_name(env, names.MONITORING)} stack deployed "
            "(or the region/profile wrong)?"
        )
    incident = Incident(env=env, region=aws.region, generated_at=now)
    incident.missing = [spec.id for spec in ALARMS if spec.id not in alarms]
    wanted: list[str] = []
    for spec in ALARMS:
        alarm = alarms.get(spec.id)
        if alarm is None:
            continue
        if alarm["StateValue"] != ALARM_STATE:
            incident.states.setdefault(alarm["StateValue"], []).append(spec.id)
            continue
        runbook, error = _runbook_for(spec, runbook_dir)
        listed = tuple(
            diagnostics.scoped(name, spec.collector)
            for name in (runbook.diagnostics if runbook else ())
        )
        wanted.extend(name for name in listed if name != ALARM_METRIC and name not in wanted)
        incident.firing.append(
            FiringAlarm(
                spec=spec,
                name=alarm["AlarmName"],
                since=alarm["StateUpdatedTimestamp"],
                reason=alarm.get("StateReason", ""),
                runbook=runbook,
                runbook_url=runbook_url_from(alarm.get("AlarmDescription", ""), spec.id),
                console_url=console_alarm_url(aws.region, alarm["AlarmName"]),
                metric=diagnostics.alarm_metric(cloudwatch, alarm, now=now),
                diagnostics=tuple(name for name in listed if name != ALARM_METRIC),
                runbook_error=error,
            )
        )
    incident.firing.sort(key=lambda a: (a.spec.severity, a.since, a.spec.id))
    if wanted:
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            found = pool.map(
                lambda name: diagnostics.run_resource_diagnostic(name, aws, outputs.value, now=now),
                wanted,
            )
            incident.evidence = dict(zip(wanted, found, strict=True))
    incident.dashboard_url = _dashboard_url(outputs, aws.region)
    return incident


def _dashboard_url(outputs: StackOutputs, region: str) -> str | None:
    try:
        name = outputs.value(names.Outputs.DASHBOARD_NAME)
    except Exception:  # noqa: BLE001 - a missing dashboard only drops one link
        return None
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"
