"""Typed, frozen configuration of one environment, loaded from `cdk_app/environments/<env>.yaml`.

Every key is checked: an unknown key, a wrong type, a bad value or a missing file is a `ConfigError`
whose message names the file and the key path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from cdk_app.checks import validate
from cdk_app.safety import validate_safety
from cdk_app.schema import ConfigError, build
from stacks.contract import alarm_catalog, connections, names
from stacks.contract.collector_schedule import interval_seconds
from stacks.contract.schedule import WeeklySchedule

ENVIRONMENTS_DIR = Path(__file__).resolve().parent / "environments"
DEFAULT_ENV = "staging"
DEFAULT_REGION = "ap-southeast-2"
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
    enhanced_monitoring_seconds: int = 0  # 0 = off, else the OS metrics interval
    # Days between rotations of the app's database user (stacks/db_rotation); null = no rotation,
    # and the tasks connect as the master user.
    credential_rotation_days: int | None = None


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
class EdgeConfig:
    """How users reach the app (stacks/edge.py); checked by cdk_app/safety.py.

    By default a CloudFront distribution serves HTTPS on its *.cloudfront.net name in front of an
    internal load balancer. `cloudfront: false` serves plain HTTP from a public load balancer and
    needs a written `plain_http_reason`. `domain_name` adds a custom name (with `certificate_arn`).
    """

    cloudfront: bool = True
    domain_name: str | None = None
    plain_http_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class WafConfig:
    """The web ACL in front of the load balancer (absent while parked, like the ALB)."""

    enabled: bool = False
    rate_limit_per_5_minutes: int = 10_000  # per client IP: 2000 a minute, far above the app


@dataclass(frozen=True, kw_only=True)
class ScheduleConfig:
    """Scale down and back up on a weekly schedule (syntax: stacks/contract/schedule.py)."""

    timezone: str
    up: str
    down: str
    enabled: bool = True
    # true: the down also parks (stacks/contract/parked.py) and the up unparks; false: scale to 0.
    park: bool = False

    def weekly(self) -> WeeklySchedule:
        """The parsed schedule (the config checks have already parsed it once)."""
        return WeeklySchedule.parse(timezone=self.timezone, up=self.up, down=self.down)


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
    alarm_webhooks: tuple[str, ...] = ()
    certificate_arn: str | None = None
    edge: EdgeConfig = field(default_factory=EdgeConfig)
    runbook_base_url: str | None = None
    parked: bool = False
    keep_rds_stopped: bool = False
    retain_on_delete: bool = False
    alb_deletion_protection: bool = False
    waf: WafConfig = WafConfig()
    schedule: ScheduleConfig | None = None

    def __post_init__(self) -> None:
        validate(self)
        validate_safety(self)

    def alarms(self) -> tuple[alarm_catalog.AlarmSpec, ...]:
        """The catalog alarms of this environment: its overrides, its collectors' alarms."""
        intervals = {name: interval_seconds(rule) for name, rule in self.collectors.items()}
        return alarm_catalog.for_environment(self.alarm_thresholds, intervals)

    def connection_budget(self) -> connections.Budget:
        """The worst-case PostgreSQL connections of this sizing (KeyError: unknown class)."""
        backend = self.services[names.BACKEND]
        return connections.budget(
            instance_class=self.rds.instance_class,
            backend_cpu=backend.cpu,
            backend_max_tasks=backend.max_tasks,
            collectors=len(self.collectors),
        )


def known_envs(directory: Path | None = None) -> tuple[str, ...]:
    """The environment names: one per YAML file present (default: ENVIRONMENTS_DIR)."""
    return tuple(sorted(path.stem for path in (directory or ENVIRONMENTS_DIR).glob("*.yaml")))


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
    env: str, *, directory: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> EnvConfig:
    """Load environment `env`; `overrides` replace top-level values (e.g. `parked` from context).

    `directory` defaults to ENVIRONMENTS_DIR, read at call time (tests point it elsewhere).
    """
    directory = directory or ENVIRONMENTS_DIR
    envs = known_envs(directory)
    if env not in envs:
        raise ConfigError(
            directory / f"{env}.yaml", "", f"unknown environment {env!r}; known: {', '.join(envs)}"
        )
    config = load_file(directory / f"{env}.yaml", name=env)
    return dataclasses.replace(config, **overrides) if overrides else config
