"""Parked mode: no NAT, no Redis, no ALB; data, subnets and secrets kept under the same ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stack_templates import SynthesizedEnv

from cdk_app.config import EnvConfig, load
from stacks.contract import alarm_catalog, names, parked

Templates = dict[str, dict[str, Any]]
ENV = "production"
GONE = (
    "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElastiCache::ReplicationGroup",
)


@pytest.fixture(scope="module")
def parked_env(synth_env: Callable[[EnvConfig], SynthesizedEnv]) -> Templates:
    """Production parked, from the session's synth fixture (tests/stacks/conftest.py)."""
    return synth_env(load(ENV, overrides={"parked": True})).templates


@pytest.fixture(scope="module")
def full_env(production: SynthesizedEnv) -> Templates:
    return production.templates


def _all(env: Templates, type_: str) -> dict[str, Any]:
    return {
        logical_id: resource
        for template in env.values()
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == type_
    }


def test_parked_drops_nat_redis_and_the_load_balancer(
    parked_env: Templates, full_env: Templates
) -> None:
    for type_ in GONE:
        assert _all(full_env, type_), f"the full env should have {type_}"
        assert _all(parked_env, type_) == {}, type_
    rules = _all(parked_env, "AWS::Events::Rule").values()
    targets = [t for rule in rules for t in rule["Properties"].get("Targets", [])]
    ecs_targets = [t for t in targets if "EcsParameters" in t]
    assert ecs_targets == []  # no collector schedules: they would have no egress
    routes = _all(parked_env, "AWS::EC2::Route")
    assert all("NatGatewayId" not in r["Properties"] for r in routes.values())


def test_data_subnets_and_secrets_keep_their_logical_ids(
    parked_env: Templates, full_env: Templates
) -> None:
    for type_ in (
        "AWS::EC2::Subnet",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBSubnetGroup",
        "AWS::SecretsManager::Secret",
        "AWS::ECS::Service",
    ):
        assert set(_all(parked_env, type_)) == set(_all(full_env, type_)), type_
    group = "AWS::RDS::DBSubnetGroup"
    assert _all(parked_env, group) == _all(full_env, group)  # same subnets: no replacement
    (db,) = _all(parked_env, "AWS::RDS::DBInstance").values()
    (full_db,) = _all(full_env, "AWS::RDS::DBInstance").values()
    assert db["Properties"] == full_db["Properties"]


def test_services_stay_without_load_balancer_or_redis(parked_env: Templates) -> None:
    for service in _all(parked_env, "AWS::ECS::Service").values():
        props = service["Properties"]
        assert props.get("LoadBalancers", []) == []
        assert "HealthCheckGracePeriodSeconds" not in props
    env_names = {
        variable["Name"]
        for task in _all(parked_env, "AWS::ECS::TaskDefinition").values()
        for container in task["Properties"]["ContainerDefinitions"]
        for variable in container.get("Environment", [])
    }
    assert "POSTGRES_SERVER" in env_names and "REDIS_URL" not in env_names


def test_only_alarms_on_remaining_resources_are_deployed(
    parked_env: Templates, full_env: Templates
) -> None:
    def alarm_names(env: Templates) -> set[str]:
        return {a["Properties"]["AlarmName"] for a in _all(env, "AWS::CloudWatch::Alarm").values()}

    kept = {
        names.alarm_name(ENV, spec.id)
        for spec in alarm_catalog.ALARMS
        if all(m.source not in parked.ABSENT_SOURCES for m in spec.metrics)
    }
    assert names.alarm_name(ENV, "rds-cpu-high") in kept
    assert names.alarm_name(ENV, "alb-5xx") not in kept
    assert alarm_names(parked_env) == kept
    assert alarm_names(full_env) == {names.alarm_name(ENV, i) for i in alarm_catalog.ALARM_IDS}


def test_collector_alarms_stay_parked_with_their_actions_off(
    parked_env: Templates, full_env: Templates
) -> None:
    def actions(env: Templates) -> dict[str, object]:
        return {
            a["Properties"]["AlarmName"]: a["Properties"].get("ActionsEnabled", True)
            for a in _all(env, "AWS::CloudWatch::Alarm").values()
        }

    parked_actions = actions(parked_env)
    muted = {name for name, enabled in parked_actions.items() if enabled is False}
    assert muted == {
        names.alarm_name(ENV, spec.id) for spec in alarm_catalog.ALARMS if spec.collector
    }
    assert names.alarm_name(ENV, "rds-cpu-high") not in muted
    assert all(enabled is True for enabled in actions(full_env).values())


def test_outputs_that_name_removed_resources_are_gone(parked_env: Templates) -> None:
    for part, keys in names.OUTPUTS_BY_STACK.items():
        outputs = set(parked_env[part].get("Outputs", {}))
        for key in keys:
            assert (key in outputs) == (key not in parked.ABSENT_OUTPUTS), (part, key)


def test_parked_env_with_guard_passes_cdk_nag_and_cfn_lint(tmp_path: Path) -> None:
    from cdk_app.synth import synthesize

    config = load(ENV, overrides={"parked": True, "keep_rds_stopped": True})
    assembly = synthesize(config, outdir=str(tmp_path), validate=True)  # a finding raises
    monitoring = assembly.get_stack_by_name(names.stack_name(ENV, names.MONITORING)).template
    types = {r["Type"] for r in monitoring["Resources"].values()}
    assert {"AWS::StepFunctions::StateMachine", "AWS::Events::Rule"} <= types
