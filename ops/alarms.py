"""The catalog's alarms in one environment: list, mute, unmute, test."""

from __future__ import annotations

from typing import TypedDict

from ops.aws.session import Aws
from ops.errors import OpsError
from stacks.contract import alarm_catalog, names


class AlarmRow(TypedDict):
    """One catalog alarm as deployed in an environment (`ops alarms list --json`)."""

    id: str
    name: str
    exists: bool
    state: str  # OK | ALARM | INSUFFICIENT_DATA | MISSING (not deployed)
    actions_enabled: bool
    severity: str
    runbook: str


class Subscription(TypedDict):
    protocol: str
    endpoint: str


class AlarmTest(TypedDict):
    """What `ops alarms test` did and who would have been notified."""

    alarm: str
    actions_enabled: bool
    topic: str
    confirmed_subscriptions: list[Subscription]
    states_set: list[str]
    warnings: list[str]


def alarm_names(env: str, ids: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """`{alarm id: alarm name}` for the given catalog ids (all when empty); unknown id = error."""
    chosen = tuple(ids) or alarm_catalog.ALARM_IDS
    for alarm_id in chosen:
        try:
            alarm_catalog.by_id(alarm_id)
        except KeyError as exc:
            raise OpsError(str(exc.args[0])) from exc
    return {alarm_id: names.alarm_name(env, alarm_id) for alarm_id in chosen}


def describe(aws: Aws, env: str, ids: list[str] | tuple[str, ...] = ()) -> list[AlarmRow]:
    """One row per catalog alarm: id, name, state, actions enabled, severity, deployed or not."""
    wanted = alarm_names(env, ids)
    response = aws.client("cloudwatch").describe_alarms(
        AlarmNames=list(wanted.values()), AlarmTypes=["MetricAlarm"], MaxRecords=100
    )
    found = {a["AlarmName"]: a for a in response["MetricAlarms"]}
    rows: list[AlarmRow] = []
    for alarm_id, name in wanted.items():
        alarm = found.get(name)
        rows.append(
            {
                "id": alarm_id,
                "name": name,
                "exists": alarm is not None,
                "state": alarm.get("StateValue", "MISSING") if alarm else "MISSING",
                "actions_enabled": bool(alarm and alarm.get("ActionsEnabled", False)),
                "severity": alarm_catalog.by_id(alarm_id).severity.label,
                "runbook": alarm_catalog.by_id(alarm_id).runbook,
            }
        )
    return rows


def require_deployed(rows: list[AlarmRow]) -> None:
    missing = [row["name"] for row in rows if not row["exists"]]
    if missing:
        raise OpsError(f"alarm(s) not deployed: {', '.join(missing)}")


def set_actions(
    aws: Aws, env: str, ids: list[str] | tuple[str, ...] = (), *, enabled: bool, dry_run: bool
) -> list[str]:
    """Enable or disable the alarms' actions; returns the names that changed (or would).

    Named alarms must be deployed; "all" (no id) means every deployed one, since an environment
    deploys only part of the catalog (its collectors' alarms; fewer while parked).
    """
    rows = describe(aws, env, ids)
    if ids or not any(row["exists"] for row in rows):
        require_deployed(rows)
    rows = [row for row in rows if row["exists"]]
    changing = [row["name"] for row in rows if row["actions_enabled"] != enabled]
    if changing and not dry_run:
        apply_actions(aws, changing, enabled=enabled)
    return changing


def apply_actions(aws: Aws, alarm_names_: list[str], *, enabled: bool) -> None:
    """EnableAlarmActions / DisableAlarmActions for these alarm names."""
    cloudwatch = aws.client("cloudwatch")
    call = cloudwatch.enable_alarm_actions if enabled else cloudwatch.disable_alarm_actions
    for start in range(0, len(alarm_names_), 100):
        call(AlarmNames=alarm_names_[start : start + 100])


def confirmed_subscriptions(aws: Aws, topic_arn: str) -> list[Subscription]:
    """The topic's confirmed subscriptions (protocol and endpoint)."""
    paginator = aws.client("sns").get_paginator("list_subscriptions_by_topic")
    confirmed: list[Subscription] = []
    for page in paginator.paginate(TopicArn=topic_arn):
        for sub in page["Subscriptions"]:
            if sub["SubscriptionArn"].startswith("arn:"):
                confirmed.append({"protocol": sub["Protocol"], "endpoint": sub["Endpoint"]})
    return confirmed


def test(aws: Aws, env: str, alarm_id: str, *, topic_arn: str, dry_run: bool) -> AlarmTest:
    """Set the alarm to ALARM then back to OK, and report who would have been notified."""
    row = describe(aws, env, [alarm_id])[0]
    require_deployed([row])
    subscribers = confirmed_subscriptions(aws, topic_arn)
    result: AlarmTest = {
        "alarm": row["name"],
        "actions_enabled": row["actions_enabled"],
        "topic": topic_arn,
        "confirmed_subscriptions": subscribers,
        "states_set": [],
        "warnings": [],
    }
    if not row["actions_enabled"]:
        result["warnings"].append("alarm actions are disabled (muted): no notification is sent")
    if not subscribers:
        result["warnings"].append("the topic has no confirmed subscription: nobody is notified")
    if dry_run:
        return result
    cloudwatch = aws.client("cloudwatch")
    for state in ("ALARM", "OK"):
        cloudwatch.set_alarm_state(
            AlarmName=row["name"], StateValue=state, StateReason=f"ops alarms test: {state}"
        )
        result["states_set"].append(state)
    return result
