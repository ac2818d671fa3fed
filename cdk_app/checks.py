"""Value checks of an environment's config beyond types: ranges, formats, cross-key rules."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cdk_app.schema import ConfigError
from stacks.contract import collector_schedule, connections, names
from stacks.contract.schedule import ScheduleError

if TYPE_CHECKING:
    from cdk_app.config import EnvConfig

AZ_COUNT = 3
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
FARGATE_CPU = (256, 512, 1024, 2048, 4096)
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
# AWS WAF's bounds of a rate-based rule's limit (requests per client per evaluation window).
WAF_RATE_LIMITS = (100, 2_000_000_000)
# Secrets Manager's bounds of a rotation schedule in days.
ROTATION_DAYS = (1, 1000)


def _check(config: EnvConfig, ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ConfigError(config.source, key, problem)


def validate(c: EnvConfig) -> None:
    """Value checks beyond types (ranges, formats, cross-key rules)."""
    _check(
        c,
        c.account is None or re.fullmatch(r"\d{12}", c.account) is not None,
        "account",
        "expected a 12-digit AWS account id or null",
    )
    _check(
        c,
        re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", c.region) is not None,
        "region",
        f"not a region name: {c.region!r}",
    )
    azs = c.availability_zones
    _check(
        c,
        len(azs) == AZ_COUNT and len(set(azs)) == AZ_COUNT,
        "availability_zones",
        f"expected {AZ_COUNT} distinct zones, got {list(azs)}",
    )
    for index, zone in enumerate(azs):
        _check(
            c,
            re.fullmatch(re.escape(c.region) + r"[a-z]", zone) is not None,
            f"availability_zones[{index}]",
            f"{zone!r} is not a zone of {c.region}",
        )
    _check(
        c,
        1 <= c.nat_gateways <= len(azs),
        "nat_gateways",
        f"expected 1 to {len(azs)}, got {c.nat_gateways}",
    )
    _check(
        c,
        c.log_retention_days in LOG_RETENTION_DAYS,
        "log_retention_days",
        f"expected one of {LOG_RETENTION_DAYS}, got {c.log_retention_days}",
    )
    _validate_rds(c)
    _validate_redis(c)
    _validate_services(c)
    _validate_waf(c)
    _validate_schedule(c)
    for name, schedule in c.collectors.items():
        _check(
            c,
            name in names.COLLECTORS,
            f"collectors.{name}",
            f"unknown collector (known: {', '.join(names.COLLECTORS)})",
        )
        _check(
            c,
            _SCHEDULE.match(schedule) is not None,
            f"collectors.{name}",
            f"expected a schedule expression like 'rate(15 minutes)', got {schedule!r}",
        )
        interval = collector_schedule.interval_seconds(schedule)
        _check(
            c,
            interval is None or 0 < interval <= collector_schedule.DAY_SECONDS,
            f"collectors.{name}",
            "expected at least one run a day (the stale-data alarm watches one day at most)",
        )
    try:
        c.alarms()
    except KeyError as error:
        raise ConfigError(c.source, "alarm_thresholds", str(error.args[0])) from None
    for index, email in enumerate(c.alarm_emails):
        _check(
            c,
            _EMAIL.match(email) is not None,
            f"alarm_emails[{index}]",
            f"not an e-mail address: {email!r}",
        )
    _check(
        c,
        c.certificate_arn is None or c.certificate_arn.startswith("arn:aws:acm:"),
        "certificate_arn",
        "expected an ACM certificate ARN (arn:aws:acm:...)",
    )
    _check(
        c,
        c.runbook_base_url is None or c.runbook_base_url.startswith("https://"),
        "runbook_base_url",
        "expected an https:// URL",
    )
    _validate_connection_budget(c)


def _validate_rds(c: EnvConfig) -> None:
    rds = c.rds
    _check(
        c,
        rds.instance_class.startswith("db."),
        "rds.instance_class",
        f"expected an RDS class like db.t3.small, got {rds.instance_class!r}",
    )
    _check(
        c,
        rds.instance_class in connections.INSTANCE_MEMORY_GIB,
        "rds.instance_class",
        f"unknown memory size of {rds.instance_class!r}, needed for the connection budget "
        f"(known: {', '.join(connections.INSTANCE_MEMORY_GIB)}; add it to "
        "stacks/contract/connections.py)",
    )
    _check(
        c,
        rds.enhanced_monitoring_seconds in MONITORING_INTERVALS,
        "rds.enhanced_monitoring_seconds",
        f"expected one of {MONITORING_INTERVALS}, got {rds.enhanced_monitoring_seconds}",
    )
    _check(
        c,
        re.fullmatch(r"\d+\.\d+", rds.engine_version) is not None,
        "rds.engine_version",
        f"expected a pinned major.minor version like 17.6, got {rds.engine_version!r}",
    )
    _check(
        c,
        20 <= rds.allocated_storage_gib <= rds.max_allocated_storage_gib,
        "rds.max_allocated_storage_gib",
        "expected 20 <= allocated_storage_gib <= max_allocated_storage_gib",
    )
    _check(
        c,
        1 <= rds.backup_retention_days <= 35,
        "rds.backup_retention_days",
        f"expected 1 to 35, got {rds.backup_retention_days}",
    )
    days = rds.credential_rotation_days
    _check(
        c,
        days is None or ROTATION_DAYS[0] <= days <= ROTATION_DAYS[1],
        "rds.credential_rotation_days",
        f"expected {ROTATION_DAYS[0]} to {ROTATION_DAYS[1]} or null, got {days}",
    )


def _validate_redis(c: EnvConfig) -> None:
    _check(
        c,
        c.redis.node_type.startswith("cache."),
        "redis.node_type",
        f"expected a node type like cache.t3.small, got {c.redis.node_type!r}",
    )
    _check(
        c, 0 <= c.redis.replicas <= 5, "redis.replicas", f"expected 0 to 5, got {c.redis.replicas}"
    )


def _validate_services(c: EnvConfig) -> None:
    _check(
        c,
        set(c.services) == set(names.SERVICES),
        "services",
        f"expected exactly the services {', '.join(names.SERVICES)}, got {', '.join(c.services)}",
    )
    for name, svc in c.services.items():
        key = f"services.{name}"
        _check(
            c, svc.cpu in FARGATE_CPU, f"{key}.cpu", f"expected one of {FARGATE_CPU}, got {svc.cpu}"
        )
        _check(
            c,
            svc.cpu * 2 <= svc.memory_mib <= svc.cpu * 8,
            f"{key}.memory_mib",
            f"expected 2x to 8x cpu ({svc.cpu * 2}-{svc.cpu * 8}), got {svc.memory_mib}",
        )
        _check(
            c,
            0 <= svc.min_tasks <= svc.max_tasks and svc.max_tasks >= 1,
            f"{key}.max_tasks",
            "expected 0 <= min_tasks <= max_tasks and max_tasks >= 1",
        )
        _check(
            c,
            10 <= svc.cpu_target_percent <= 90,
            f"{key}.cpu_target_percent",
            f"expected 10 to 90, got {svc.cpu_target_percent}",
        )


def _validate_waf(c: EnvConfig) -> None:
    low, high = WAF_RATE_LIMITS
    limit = c.waf.rate_limit_per_5_minutes
    _check(
        c,
        low <= limit <= high,
        "waf.rate_limit_per_5_minutes",
        f"expected {low} to {high}, got {limit}",
    )


def _validate_connection_budget(c: EnvConfig) -> None:
    """The worst case must leave room: names every key that changes it."""
    need = c.connection_budget()
    _check(
        c,
        need.fits,
        "services.backend.max_tasks",
        f"database connection budget exceeded: {need.explain()}; lower "
        "services.backend.max_tasks or services.backend.cpu (processes per task), remove "
        "collectors, or choose a larger rds.instance_class",
    )


def _validate_schedule(c: EnvConfig) -> None:
    if c.schedule is None:
        return
    try:
        c.schedule.weekly()
    except ScheduleError as error:
        raise ConfigError(c.source, f"schedule.{error.field}", error.problem) from None
