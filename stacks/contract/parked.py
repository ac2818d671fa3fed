"""Parked mode: an environment at its cheapest, data kept (`parked: true` or `-c parked=true`).

What a parked environment drops, and why each is safe to drop:
- NAT gateways (and their Elastic IPs): the app subnets become isolated; nothing runs in them while
  parked (services at 0 tasks, collectors not scheduled), so nothing needs the internet.
- The Redis replication group: it holds nothing of record, only cache entries and the API
  rate-limit counters, all rebuilt on use. Its AUTH secret, subnet group and security group stay,
  so unparking recreates it under the same name and secret.
- The load balancer, its listeners and target groups, and CloudFront's VPC origin to it (and the
  alarms and dashboard graphs that watch them or Redis). The CloudFront distribution stays, so
  the public URL (stack output `PublicUrl`, and any CNAME to it) never changes; while parked a
  CloudFront Function answers every request with a "paused" 503 (no hourly cost). The ALB's
  access-log bucket stays too: it belongs to the Service stack, not to the load balancer.
- The collectors' schedule rules (and the output `CollectorRuleNames` naming them): without NAT
  their tasks could not reach the data providers; unparking recreates them under the same names.
What it keeps: the VPC and subnets, RDS (stopped by `ops park`) with its storage and backups, the
secrets, the ECS cluster and services (0 tasks), the CloudFront distribution, the access-log
bucket, the alarm topic, the remaining alarms (the collectors' ones with their actions off), the
dashboard and the logs.

This module holds the parked rules that are plain data; the stacks ask it, never re-list them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stacks.contract import alarm_catalog as catalog
from stacks.contract import names

if TYPE_CHECKING:
    from cdk_app.config import EnvConfig

# Alarm sources whose resources do not exist while parked.
ABSENT_SOURCES = frozenset(
    {catalog.REDIS_NODE, catalog.ALB, *catalog.TARGET_GROUP_SOURCES.values()}
)
# Stack outputs that name resources which do not exist while parked.
ABSENT_OUTPUTS = frozenset(
    {
        names.Outputs.CACHE_REPLICATION_GROUP_ID,
        names.Outputs.LOAD_BALANCER_DNS_NAME,
        *names.TARGET_GROUP_ARN_OUTPUTS.values(),
        names.Outputs.COLLECTOR_RULE_NAMES,
    }
)


def nat_gateways(config: EnvConfig) -> int:
    """The NAT gateway count to deploy: none while parked."""
    return 0 if config.parked else config.nat_gateways


def alarms(config: EnvConfig) -> tuple[catalog.AlarmSpec, ...]:
    """The catalog alarms to deploy: while parked, those whose every metric still has a resource."""
    specs = config.alarms()
    if not config.parked:
        return specs
    return tuple(a for a in specs if not any(m.source in ABSENT_SOURCES for m in a.metrics))


def muted(config: EnvConfig, alarm: catalog.AlarmSpec) -> bool:
    """True for an alarm deployed with its actions off: while parked, the collectors' alarms.

    Their schedules are removed, so `stale` would fire by design. `ops park` has muted every alarm
    already (`ops scale --to 0`); this keeps a parked deploy from arming them, and `ops scale --to
    restore` after unparking sets them back as saved.
    """
    return config.parked and alarm.collector is not None


def outputs(config: EnvConfig, part: str) -> tuple[str, ...]:
    """The contract outputs of one stack that this environment has.

    An output is left out rather than given an empty value: with no collector configured,
    `CollectorRuleNames` is absent as it is while parked, and `ops` reads that as "no rules".
    """
    keys = names.OUTPUTS_BY_STACK[part]
    absent = ABSENT_OUTPUTS if config.parked else frozenset()
    if not config.edge.cloudfront:  # plain HTTP: the URL is the load balancer's, gone when parked
        absent |= {names.Outputs.DISTRIBUTION_ID}
        if config.parked:
            absent |= {names.Outputs.PUBLIC_URL}
    if not config.collectors:
        absent |= {names.Outputs.COLLECTOR_RULE_NAMES}
    return tuple(k for k in keys if k not in absent)
