"""The environment config: what each env sets, and errors that name the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cdk_app.config import (
    ENVIRONMENTS_DIR,
    ConfigError,
    known_envs,
    load,
    load_file,
    parse_bool,
)
from ops.cost.prices import PRICE_DIR
from stacks.contract import alarm_catalog, names


@pytest.fixture()
def env_dir(tmp_path: Path) -> Path:
    """A copy of the real environments directory, safe to edit."""
    target = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_known_envs_are_the_yaml_files_of_the_directory(tmp_path: Path) -> None:
    for name in ("staging", "dev"):
        (tmp_path / f"{name}.yaml").write_text("{}")
    (tmp_path / "notes.txt").write_text("not an environment")
    assert known_envs(tmp_path) == ("dev", "staging")
    assert known_envs(tmp_path / "missing") == ()


def test_every_env_loads_and_has_three_explicit_azs_in_its_region() -> None:
    assert known_envs() and known_envs() == tuple(sorted(known_envs()))
    for env in known_envs():
        config = load(env)
        assert config.name == env
        assert (PRICE_DIR / f"{config.region}.yaml").is_file()  # `ops cost` can price it
        assert len(set(config.availability_zones)) == 3
        assert all(zone.startswith(config.region) for zone in config.availability_zones)


def test_production_is_highly_available_and_protected() -> None:
    config = load("production")
    assert config.nat_gateways == 3
    assert (config.rds.instance_class, config.rds.multi_az) == ("db.t3.small", True)
    assert config.rds.deletion_protection and config.termination_protection
    assert config.rds.backup_retention_days == 14
    assert (config.redis.node_type, config.redis.replicas) == ("cache.t3.small", 1)


def test_staging_is_single_az_without_replica_and_builds_images() -> None:
    config = load("staging")
    assert config.nat_gateways == 1
    assert not config.rds.multi_az and config.redis.replicas == 0
    assert all(config.services[name].image_uri is None for name in names.SERVICES)


def test_local_is_staging_shaped_with_public_images() -> None:
    local, staging = load("local"), load("staging")
    assert local.nat_gateways == staging.nat_gateways
    assert local.rds.multi_az == staging.rds.multi_az
    assert local.redis.replicas == staging.redis.replicas
    for name in names.SERVICES:
        assert (local.services[name].image_uri or "").startswith("public.ecr.aws/")


def test_defaults_of_optional_keys(env_dir: Path) -> None:
    def strip(data: dict) -> None:
        for key in ("parked", "keep_rds_stopped", "runbook_base_url", "collectors"):
            data.pop(key, None)

    _edit(env_dir / "staging.yaml", strip)
    config = load("staging", directory=env_dir)
    assert config.parked is False and config.keep_rds_stopped is False
    assert config.runbook_base_url is None and dict(config.collectors) == {}


def test_unknown_key_names_file_and_key_path(env_dir: Path) -> None:
    _edit(env_dir / "staging.yaml", lambda data: data["rds"].update(multi_azz=True))
    with pytest.raises(ConfigError) as error:
        load("staging", directory=env_dir)
    assert "staging.yaml: rds.multi_azz: unknown key" in str(error.value)


def test_wrong_type_names_file_key_and_types(env_dir: Path) -> None:
    _edit(env_dir / "staging.yaml", lambda data: data["rds"].update(multi_az="yes"))
    with pytest.raises(ConfigError) as error:
        load("staging", directory=env_dir)
    assert str(error.value).endswith("staging.yaml: rds.multi_az: expected bool, got str")


def test_int_is_not_a_bool_and_bool_is_not_an_int(env_dir: Path) -> None:
    _edit(env_dir / "staging.yaml", lambda data: data.update(nat_gateways=True))
    with pytest.raises(ConfigError, match=r"nat_gateways: expected int, got bool"):
        load("staging", directory=env_dir)


def test_missing_required_key(env_dir: Path) -> None:
    _edit(env_dir / "staging.yaml", lambda data: data["services"]["backend"].pop("cpu"))
    with pytest.raises(ConfigError, match=r"staging\.yaml: services\.backend\.cpu: missing"):
        load("staging", directory=env_dir)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: file not found"):
        load_file(tmp_path / "nowhere.yaml")


def test_unknown_env_lists_the_known_ones(env_dir: Path) -> None:
    (env_dir / "qa.yaml").write_text((env_dir / "staging.yaml").read_text())
    with pytest.raises(ConfigError) as error:
        load("prod", directory=env_dir)
    assert "unknown environment 'prod'; known: local, production, qa, staging" in str(error.value)


def test_database_credentials_rotate_in_staging_and_production_only() -> None:
    days = {
        env: load(env).rds.credential_rotation_days for env in ("local", "staging", "production")
    }
    assert days == {"local": None, "staging": 30, "production": 30}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            lambda d: d.update(availability_zones=["ap-southeast-2a", "ap-southeast-2b"]),
            "availability_zones",
        ),
        (
            lambda d: d.update(
                availability_zones=["us-east-1a", "ap-southeast-2b", "ap-southeast-2c"]
            ),
            "availability_zones[0]",
        ),
        (lambda d: d.update(nat_gateways=4), "nat_gateways"),
        (lambda d: d["rds"].update(engine_version="17"), "rds.engine_version"),
        (lambda d: d["rds"].update(backup_retention_days=0), "rds.backup_retention_days"),
        (lambda d: d["redis"].update(node_type="t3.small"), "redis.node_type"),
        (lambda d: d["services"].pop("frontend"), "services"),
        (lambda d: d["services"]["backend"].update(memory_mib=4096), "services.backend.memory_mib"),
        (lambda d: d["services"]["backend"].update(min_tasks=3), "services.backend.max_tasks"),
        (lambda d: d.update(collectors={"twitter": "rate(1 hour)"}), "collectors.twitter"),
        (lambda d: d.update(collectors={"nansen": "every hour"}), "collectors.nansen"),
        (lambda d: d.update(collectors={"nansen": "rate(2 days)"}), "collectors.nansen"),
        (lambda d: d.update(alarm_thresholds={"no-such-alarm": 1}), "alarm_thresholds"),
        (lambda d: d.update(alarm_emails=["not-an-address"]), "alarm_emails[0]"),
        (lambda d: d.update(runbook_base_url="http://wiki"), "runbook_base_url"),
        (lambda d: d.update(log_retention_days=31), "log_retention_days"),
        (
            lambda d: d["rds"].update(enhanced_monitoring_seconds=7),
            "rds.enhanced_monitoring_seconds",
        ),
        (lambda d: d["rds"].update(instance_class="db.x9.huge"), "rds.instance_class"),
        (
            lambda d: d.update(waf={"enabled": True, "rate_limit_per_5_minutes": 50}),
            "waf.rate_limit_per_5_minutes",
        ),
        (lambda d: d.update(waf={"enabld": True}), "waf.enabld"),
        (lambda d: d["rds"].update(credential_rotation_days=0), "rds.credential_rotation_days"),
        (lambda d: d["rds"].update(credential_rotation_days="30"), "rds.credential_rotation_days"),
    ],
)
def test_bad_values_name_their_key(env_dir: Path, change, key: str) -> None:
    _edit(env_dir / "staging.yaml", change)
    with pytest.raises(ConfigError) as error:
        load("staging", directory=env_dir)
    assert error.value.key == key
    assert f"staging.yaml: {key}: " in str(error.value)


def test_threshold_overrides_reach_the_catalog(env_dir: Path) -> None:
    _edit(env_dir / "staging.yaml", lambda d: d.update(alarm_thresholds={"rds-cpu-high": 70}))
    alarms = {alarm.id: alarm for alarm in load("staging", directory=env_dir).alarms()}
    assert alarms["rds-cpu-high"].threshold == 70
    assert (
        alarms["rds-connections-high"].threshold
        == alarm_catalog.by_id("rds-connections-high").threshold
    )


def test_collector_alarm_overrides_and_unconfigured_collectors(env_dir: Path) -> None:
    def edit(d: dict) -> None:
        d.update(
            collectors={"nansen": "rate(6 hours)"},
            alarm_thresholds={"collector-nansen-failing": 3, "collector-newscatcher-failing": 4},
        )

    _edit(env_dir / "staging.yaml", edit)
    alarms = {alarm.id: alarm for alarm in load("staging", directory=env_dir).alarms()}
    assert alarms["collector-nansen-failing"].threshold == 3
    assert alarms["collector-nansen-stale"].period_seconds == 3 * 6 * 3600
    # An override for a collector this env does not run is accepted and deploys nothing.
    assert not any(a.startswith(("collector-newscatcher", "collector-cryptopanic")) for a in alarms)
    assert "ratelimit-fail-open" in alarms


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("false", False), ("False", False), ("0", False), ("true", True), ("1", True), (True, True)],
)
def test_context_booleans_are_parsed_explicitly(raw, expected: bool) -> None:
    assert parse_bool(raw, what="parked") is expected


def test_context_boolean_rejects_garbage() -> None:
    with pytest.raises(ConfigError, match="parked: expected true or false"):
        parse_bool("maybe", what="parked")


def test_parked_override_from_context() -> None:
    assert load("staging", overrides={"parked": True}).parked is True
    assert load("staging").parked is False


def test_config_is_frozen() -> None:
    config = load("staging")
    with pytest.raises(AttributeError):
        # Assigning to the frozen config on purpose: the test is that it refuses.
        config.nat_gateways = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        # Writing into the read-only mapping on purpose: the test is that it refuses.
        config.collectors["nansen"] = "rate(1 minute)"  # type: ignore[index]
