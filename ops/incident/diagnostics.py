"""Read-only diagnostics that `ops incident` runs for a firing alarm's runbook.

Every function calls only Describe*/Get*/List* APIs and returns `Evidence`: lines for people, events
for the incident timeline and, on failure, the error instead of raising (one broken diagnostic must
not hide the others). Runbooks name the diagnostics they want in their front matter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ops.incident.evidence import Event, Evidence, guard, stamp
from stacks.contract import names

ALARM_METRIC = "alarm-metric"
DIAGNOSTICS: tuple[str, ...] = (
    ALARM_METRIC,
    "rds-state",
    "rds-events",
    "ecs-backend",
    "ecs-frontend",
    "target-health",
    "redis-state",
)
METRIC_WINDOW = dt.timedelta(hours=1)
CURRENT_MINUTE = dt.timedelta(minutes=1)  # so the end bound includes the datapoints of this minute
RDS_EVENT_WINDOW = dt.timedelta(hours=24)
MAX_SERVICE_EVENTS = 10
MAX_STOPPED_TASKS = 10
_SIGNS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanOrEqualToThreshold": "<=",
    "LessThanThreshold": "<",
}
# DescribeAlarms returns MetricDataQuery members that GetMetricData accepts as they are.
_QUERY_KEYS = ("Id", "MetricStat", "Expression", "Label", "Period", "AccountId")


Lookup = Callable[
    [str], str
]  # a stack-output key -> its value (ops.aws.stack_outputs.StackOutputs.value)


def metric_queries(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """GetMetricData queries for an alarm as DescribeAlarms returned it (single metric or math)."""
    if alarm.get("Metrics"):
        return [
            {**{k: q[k] for k in _QUERY_KEYS if k in q}, "ReturnData": True}
            for q in alarm["Metrics"]
        ]
    metric = {
        "Namespace": alarm["Namespace"],
        "MetricName": alarm["MetricName"],
        "Dimensions": alarm.get("Dimensions", []),
    }
    stat = alarm.get("ExtendedStatistic") or alarm.get("Statistic") or "Average"
    return [
        {
            "Id": "m0",
            "MetricStat": {"Metric": metric, "Period": alarm.get("Period", 300), "Stat": stat},
            "Label": f"{alarm['MetricName']} ({stat})",
            "ReturnData": True,
        }
    ]


def alarm_metric(cloudwatch: Any, alarm: dict[str, Any], *, now: dt.datetime) -> Evidence:
    """The alarm's metric (or each metric of its math) over the last hour, against its threshold."""

    def run(ev: Evidence) -> None:
        response = cloudwatch.get_metric_data(
            MetricDataQueries=metric_queries(alarm),
            StartTime=now - METRIC_WINDOW,
            EndTime=now + CURRENT_MINUTE,
            ScanBy="TimestampAscending",
        )
        operator = alarm.get("ComparisonOperator", "")
        sign = _SIGNS.get(operator, operator)
        ev.lines.append(f"threshold: {sign} {alarm.get('Threshold', 0):g}")
        for result in response.get("MetricDataResults", []):
            points = sorted(
                zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
            )
            label = result.get("Label") or result["Id"]
            if not points:
                ev.lines.append(f"{label}: no datapoints in the last hour")
                continue
            series = ", ".join(f"{t.astimezone(dt.UTC):%H:%M} {v:g}" for t, v in points)
            values = [v for _, v in points]
            ev.lines.append(f"{label}: latest {values[-1]:g}, max {max(values):g} [{series}]")

    return guard(ALARM_METRIC, f"Metric of {alarm.get('AlarmName', '?')} (last hour)", run)


def ecs_service(ecs: Any, lookup: Lookup, service: str) -> Evidence:
    """Counts, deployments and recent events of one ECS service, and why its tasks stopped."""
    key = {
        names.BACKEND: names.Outputs.BACKEND_SERVICE_NAME,
        names.FRONTEND: names.Outputs.FRONTEND_SERVICE_NAME,
    }[service]

    def run(ev: Evidence) -> None:
        cluster, name = lookup(names.Outputs.CLUSTER_NAME), lookup(key)
        group = f"service:{name}"  # the group ECS gives a service's tasks
        found = ecs.describe_services(cluster=cluster, services=[name]).get("services", [])
        if not found:
            raise LookupError(f"service {name} not found in cluster {cluster}")
        svc = found[0]
        ev.lines.append(
            f"{name}: {svc.get('status')} desired {svc.get('desiredCount')} running "
            f"{svc.get('runningCount')} pending {svc.get('pendingCount')}"
        )
        for dep in svc.get("deployments", []):
            ev.lines.append(
                f"deployment {dep.get('status')} {dep.get('rolloutState', '')}: "
                f"{dep.get('taskDefinition', '').rsplit('/', 1)[-1]}"
            )
        for event in svc.get("events", [])[:MAX_SERVICE_EVENTS]:
            ev.lines.append(f"{stamp(event['createdAt'])} {event['message']}")
            ev.events.append(Event(event["createdAt"], f"ecs {service}", event["message"]))
        arns = ecs.list_tasks(
            cluster=cluster, serviceName=name, desiredStatus="STOPPED", maxResults=MAX_STOPPED_TASKS
        ).get("taskArns", [])
        tasks = ecs.describe_tasks(cluster=cluster, tasks=arns).get("tasks", []) if arns else []
        tasks = [task for task in tasks if task.get("group", group) == group]
        if not tasks:
            ev.lines.append("no recently stopped tasks")
        for task in tasks:
            reasons = [c.get("reason") for c in task.get("containers", []) if c.get("reason")]
            text = "; ".join([task.get("stoppedReason", "no reason given"), *reasons])
            when = task.get("stoppedAt") or task.get("createdAt")
            ev.lines.append(f"stopped task {task['taskArn'].rsplit('/', 1)[-1]}: {text}")
            if when:
                ev.events.append(Event(when, f"ecs {service}", f"task stopped: {text}"))

    return guard(f"ecs-{service}", f"ECS {service} service", run)


def rds_state(rds: Any, lookup: Lookup) -> Evidence:
    """The database instance's status, class, storage and pending changes."""

    def run(ev: Evidence) -> None:
        instance_id = lookup(names.Outputs.DATABASE_INSTANCE_ID)
        db = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
        ev.lines.append(
            f"{instance_id}: {db.get('DBInstanceStatus')} {db.get('DBInstanceClass')} "
            f"multi-AZ {db.get('MultiAZ')} storage {db.get('AllocatedStorage')} GiB "
            f"(max {db.get('MaxAllocatedStorage', '-')} GiB)"
        )
        if db.get("PendingModifiedValues"):
            ev.lines.append(f"pending changes: {db['PendingModifiedValues']}")

    return guard("rds-state", "RDS instance", run)


def rds_events(rds: Any, lookup: Lookup, *, now: dt.datetime) -> Evidence:
    """RDS events of the instance over the last 24 hours."""

    def run(ev: Evidence) -> None:
        instance_id = lookup(names.Outputs.DATABASE_INSTANCE_ID)
        events = rds.describe_events(
            SourceIdentifier=instance_id,
            SourceType="db-instance",
            StartTime=now - RDS_EVENT_WINDOW,
            EndTime=now,
        ).get("Events", [])
        if not events:
            ev.lines.append(f"no RDS events for {instance_id} in the last 24 h")
        for event in events:
            ev.lines.append(f"{stamp(event['Date'])} {event.get('Message', '')}")
            ev.events.append(Event(event["Date"], "rds", event.get("Message", "")))

    return guard("rds-events", "RDS events (last 24 h)", run)


def target_health(elbv2: Any, lookup: Lookup) -> Evidence:
    """Health of every target of the backend and frontend target groups."""
    groups = {
        names.BACKEND: names.Outputs.BACKEND_TARGET_GROUP_ARN,
        names.FRONTEND: names.Outputs.FRONTEND_TARGET_GROUP_ARN,
    }

    def run(ev: Evidence) -> None:
        for service, key in groups.items():
            arn = lookup(key)
            found = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            if not found:
                ev.lines.append(f"{service} target group: no registered targets")
            for desc in found:
                target, health = desc["Target"], desc.get("TargetHealth", {})
                detail = " ".join(filter(None, (health.get("Reason"), health.get("Description"))))
                ev.lines.append(
                    f"{service} {target['Id']}:{target.get('Port', '')} "
                    f"{health.get('State', 'unknown')} {detail}".rstrip()
                )

    return guard("target-health", "Target health (backend and frontend target groups)", run)


def redis_state(elasticache: Any, lookup: Lookup) -> Evidence:
    """The Redis replication group's status, failover mode and each node's role and status."""

    def run(ev: Evidence) -> None:
        group_id = lookup(names.Outputs.CACHE_REPLICATION_GROUP_ID)
        groups = elasticache.describe_replication_groups(ReplicationGroupId=group_id)
        group = groups["ReplicationGroups"][0]
        ev.lines.append(
            f"{group_id}: {group.get('Status')} failover {group.get('AutomaticFailover', '-')} "
            f"members {', '.join(group.get('MemberClusters', [])) or '-'}"
        )
        for node_group in group.get("NodeGroups", []):
            for member in node_group.get("NodeGroupMembers", []):
                ev.lines.append(
                    f"node {member.get('CacheClusterId')}: {member.get('CurrentRole', '-')}"
                )

    return guard("redis-state", "Redis replication group", run)


def run_resource_diagnostic(name: str, aws: Any, lookup: Lookup, *, now: dt.datetime) -> Evidence:
    """Run one resource diagnostic (every name of DIAGNOSTICS but the alarm metric)."""
    runners: dict[str, Callable[[], Evidence]] = {
        "rds-state": lambda: rds_state(aws.client("rds"), lookup),
        "rds-events": lambda: rds_events(aws.client("rds"), lookup, now=now),
        "ecs-backend": lambda: ecs_service(aws.client("ecs"), lookup, names.BACKEND),
        "ecs-frontend": lambda: ecs_service(aws.client("ecs"), lookup, names.FRONTEND),
        "target-health": lambda: target_health(aws.client("elbv2"), lookup),
        "redis-state": lambda: redis_state(aws.client("elasticache"), lookup),
    }
    if name not in runners:
        raise KeyError(f"unknown diagnostic {name!r}; known: {', '.join(runners)}")
    return runners[name]()
