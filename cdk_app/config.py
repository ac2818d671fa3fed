"""Typed, frozen configuration of one environment, loaded from `cdk_app/environments/<env>.yaml`.

Every key is checked: an unknown key, a wrong type, a bad value or a missing file is a `ConfigError`
whose message names the file and the key path.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from cdk_app.schema import ConfigError, build
from stacks import alarm_catalog, names

ENVIRONMENTS_DIR = Path(__file__).resolve().parent / "environments"
DEFAULT_ENV = "staging"
DEFAULT_REGION = "ap-southeast-2"
AZ_COUNT = 3
# The collectors the backend image can run (`python -m app.collect <name>`), one per API key.
COLLECTORS: tuple[str, ...] = tuple(
    key.removesuffix("_API_KEY").lower() for key in names.API_KEY_NAMES
)
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
FARGATE_CPU = (256, 512, 1024, 2048, 4096)
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


@dataclass(frozen=True, kw_only=True)
class RdsConfig:
    """PostgreSQL on RDS."""

    instance_class: str
    engine_version: str
    multi_az: bool
    allocated_storage_gib: int = 20
    max_allocated_storage_gib: int = 100
    backup_retention_days: int
    deletion_protection: bool
    database_name: str = "ohmycoins"


@dataclass(frozen=True, kw_only=True)
class RedisConfig:
    """The ElastiCache Redis replication group."""

    node_type: str
    replicas: int
    engine_version: str = "7.1"


@dataclass(frozen=True, kw_only=True)
class ServiceConfig:
    """One Fargate service; without `image_uri` the image is built from `app_src/<service>/`."""

    cpu: int
    memory_mib: int
    min_tasks: int
    max_tasks: int
    cpu_target_percent: int = 60
    image_uri: str | None = None


@dataclass(frozen=True, kw_only=True)
class EnvConfig:
    """Everything that differs between environments."""

    name: str
    source: Path
    account: str | None = None
    region: str = DEFAULT_REGION
    availability_zones: tuple[str, ...]
    nat_gateways: int
    termination_protection: bool = False
    log_retention_days: int = 30
    rds: RdsConfig
    redis: RedisConfig
    services: Mapping[str, ServiceConfig]
    collectors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    alarm_thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    alarm_emails: tuple[str, ...] = ()
    certificate_arn: str | None = None
    runbook_base_url: str | None = None
    parked: bool = False
    keep_rds_stopped: bool = False

    def __post_init__(self) -> None:
        _validate(self)

    def alarms(self) -> tuple[alarm_catalog.AlarmSpec, ...]:
        """The alarm catalog with this environment's threshold overrides."""
        return alarm_catalog.with_overrides(self.alarm_thresholds)


def _check(config: EnvConfig, ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ConfigError(config.source, key, problem)


def _validate(c: EnvConfig) -> None:
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
    for name, schedule in c.collectors.items():
        _check(
            c,
            name in COLLECTORS,
            f"collectors.{name}",
            f"unknown collector (known: {', '.join(COLLECTORS)})",
        )
        _check(
            c,
            _SCHEDULE.match(schedule) is not None,
            f"collectors.{name}",
            f"expected a schedule expression like 'rate(15 minutes)', got {schedule!r}",
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


def known_envs(directory: Path = ENVIRONMENTS_DIR) -> tuple[str, ...]:
    """The environment names: one per YAML file present."""
    return tuple(sorted(path.stem for path in directory.glob("*.yaml")))


def parse_bool(value: Any, *, what: str) -> bool:
    """A boolean from context/CLI input, where `-c flag=false` arrives as the string "false"."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError("context", what, f"expected true or false, got {value!r}")


def load_file(path: Path, *, name: str | None = None) -> EnvConfig:
    """Load and validate one YAML file."""
    if not path.is_file():
        raise ConfigError(path, "", "file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(path, "", f"invalid YAML: {error}") from None
    if data is None:
        data = {}
    return build(EnvConfig, data, source=path, extra={"name": name or path.stem, "source": path})


def load(
    env: str, *, directory: Path = ENVIRONMENTS_DIR, overrides: Mapping[str, Any] | None = None
) -> EnvConfig:
    """Load environment `env`; `overrides` replace top-level values (e.g. `parked` from context)."""
    envs = known_envs(directory)
    if env not in envs:
        raise ConfigError(
            directory / f"{env}.yaml", "", f"unknown environment {env!r}; known: {', '.join(envs)}"
        )
    config = load_file(directory / f"{env}.yaml", name=env)
    return dataclasses.replace(config, **overrides) if overrides else config
