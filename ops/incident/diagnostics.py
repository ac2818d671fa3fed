"""Read-only diagnostics that `ops incident` runs for a firing alarm's runbook.

Every function calls only Describe*/Get*/List* APIs and returns `Evidence`: lines for people, events
for the incident timeline and, on failure, the error instead of raising (one broken diagnostic must
not hide the others). Runbooks name the diagnostics they want in their front matter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from ops.aws.session import Aws
from ops.incident.evidence import Event, Evidence, guard, stamp
from stacks.contract import names

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import (
        MetricAlarmTypeDef,
        MetricDataQueryOutputTypeDef,
        MetricDataQueryTypeDef,
        MetricTypeDef,
    )
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_elasticache import ElastiCacheClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_rds import RDSClient

ALARM_METRIC = "alarm-metric"
RDS_STATE = "rds-state"
RDS_EVENTS = "rds-events"
TARGET_HEALTH = "target-health"
REDIS_STATE = "redis-state"
COLLECTOR_RUNS = "collector-runs"
COLLECTOR_LOGS = "collector-logs"
# Run per collector: `scoped` names them `<diagnostic>:<collector>` after the firing alarm.
COLLECTOR_SCOPED: tuple[str, ...] = (COLLECTOR_RUNS, COLLECTOR_LOGS)
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


Lookup = Callable[
    [str], str
]  # a stack-output key -> its value (ops.aws.stack_outputs.StackOutputs.value)


def _query(member: MetricDataQueryOutputTypeDef) -> MetricDataQueryTypeDef:
    """A DescribeAlarms metric member as a GetMetricData query that returns its data."""
    query: MetricDataQueryTypeDef = {"Id": member["Id"], "ReturnData": True}
    if "MetricStat" in member:
        query["MetricStat"] = member["MetricStat"]
    if "Expression" in member:
        query["Expression"] = member["Expression"]
    if "Label" in member:
        query["Label"] = member["Label"]
    if "Period" in member:
        query["Period"] = member["Period"]
    if "AccountId" in member:
        query["AccountId"] = member["AccountId"]
    return query


def metric_queries(alarm: MetricAlarmTypeDef) -> list[MetricDataQueryTypeDef]:
    """GetMetricData queries for an alarm as DescribeAlarms returned it (single metric or math)."""
    if alarm.get("Metrics"):
        return [_query(q) for q in alarm["Metrics"]]
    metric: MetricTypeDef = {
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


def ecs_diagnostic(service: str) -> str:
    """The diagnostic of one ECS service, by role: `ecs-backend`, `ecs-frontend`."""
    return f"ecs-{service}"


def alarm_metric(
    cloudwatch: CloudWatchClient, alarm: MetricAlarmTypeDef, *, now: dt.datetime
) -> Evidence:
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


def ecs_service(ecs: ECSClient, lookup: Lookup, service: str) -> Evidence:
    """Counts, deployments and recent events of one ECS service, and why its tasks stopped."""
    key = names.SERVICE_NAME_OUTPUTS[service]

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
            reasons = [c["reason"] for c in task.get("containers", []) if c.get("reason")]
            text = "; ".join([task.get("stoppedReason", "no reason given"), *reasons])
            when = task.get("stoppedAt") or task.get("createdAt")
            ev.lines.append(f"stopped task {task['taskArn'].rsplit('/', 1)[-1]}: {text}")
            if when:
                ev.events.append(Event(when, f"ecs {service}", f"task stopped: {text}"))

    return guard(ecs_diagnostic(service), f"ECS {service} service", run)


def rds_state(rds: RDSClient, lookup: Lookup) -> Evidence:
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

    return guard(RDS_STATE, "RDS instance", run)


def rds_events(rds: RDSClient, lookup: Lookup, *, now: dt.datetime) -> Evidence:
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

    return guard(RDS_EVENTS, "RDS events (last 24 h)", run)


def target_health(elbv2: ElasticLoadBalancingv2Client, lookup: Lookup) -> Evidence:
    """Health of every target of the backend and frontend target groups."""
    groups = names.TARGET_GROUP_ARN_OUTPUTS

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

    return guard(TARGET_HEALTH, "Target health (backend and frontend target groups)", run)


def redis_state(elasticache: ElastiCacheClient, lookup: Lookup) -> Evidence:
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

    return guard(REDIS_STATE, "Redis replication group", run)


Runner = Callable[[Aws, Lookup, dt.datetime], Evidence]


def _ecs_runner(service: str) -> Runner:
    return lambda aws, lookup, _now: ecs_service(aws.client("ecs"), lookup, service)


# The resource diagnostics by name: the one list runbooks may cite (with ALARM_METRIC and the
# collector-scoped ones).
RESOURCE_DIAGNOSTICS: dict[str, Runner] = {
    RDS_STATE: lambda aws, lookup, _now: rds_state(aws.client("rds"), lookup),
    RDS_EVENTS: lambda aws, lookup, now: rds_events(aws.client("rds"), lookup, now=now),
    **{ecs_diagnostic(service): _ecs_runner(service) for service in names.SERVICES},
    TARGET_HEALTH: lambda aws, lookup, _now: target_health(aws.client("elbv2"), lookup),
    REDIS_STATE: lambda aws, lookup, _now: redis_state(aws.client("elasticache"), lookup),
}
DIAGNOSTICS: tuple[str, ...] = (ALARM_METRIC, *RESOURCE_DIAGNOSTICS, *COLLECTOR_SCOPED)


def scoped(name: str, collector: str | None) -> str:
    """The diagnostic to run for an alarm: a collector-scoped one names the alarm's collector."""
    return f"{name}:{collector}" if name in COLLECTOR_SCOPED and collector else name


def run_resource_diagnostic(name: str, aws: Aws, lookup: Lookup, *, now: dt.datetime) -> Evidence:
    """Run one resource diagnostic (every name of DIAGNOSTICS but the alarm metric; the
    collector-scoped ones as `<name>:<collector>`)."""
    base, _, collector = name.partition(":")
    if base in COLLECTOR_SCOPED:
        from ops.incident import collector_evidence

        if not collector:
            raise KeyError(f"diagnostic {base!r} needs a collector: {base}:<collector>")
        gather = collector_evidence.runs if base == COLLECTOR_RUNS else collector_evidence.logs
        return gather(aws, lookup, collector, now=now)
    if name not in RESOURCE_DIAGNOSTICS:
        raise KeyError(f"unknown diagnostic {name!r}; known: {', '.join(RESOURCE_DIAGNOSTICS)}")
    return RESOURCE_DIAGNOSTICS[name](aws, lookup, now)
