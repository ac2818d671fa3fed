"""No plaintext secret in any template; security groups admit only what the design needs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from stack_templates import AWS_ENVS, ENVS, SynthesizedEnv, ref_target, strings

from stacks.cache import REDIS_PORT
from stacks.contract import names
from stacks.data import POSTGRES_PORT

SECRET_PROPERTY = re.compile(r"(password|token|secret(string)?$|apikey|secretkey)", re.IGNORECASE)
ALLOWED_SECRET_PROPERTIES = {"GenerateSecretString", "Secrets", "SecretStringTemplate"}
INGRESS = "AWS::EC2::SecurityGroupIngress"


def _secret_like_values(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every property whose name suggests a secret."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if key in ALLOWED_SECRET_PROPERTIES:
                continue  # generator specs and ECS secret references, checked elsewhere
            if SECRET_PROPERTY.search(key):
                found.append((here, item))
            found += _secret_like_values(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _secret_like_values(item, f"{path}[{index}]")
    return found


@pytest.mark.parametrize("env", ENVS)
def test_no_plaintext_secret_in_any_template(envs: dict[str, SynthesizedEnv], env: str) -> None:
    for part, template in envs[env].templates.items():
        found = [
            item
            for logical_id, resource in template["Resources"].items()
            for item in _secret_like_values(resource.get("Properties", {}), logical_id)
        ]
        assert any(path.endswith(".AuthToken") for path, _ in found) or part != names.DATA
        for path, value in found:
            if isinstance(value, bool | int | float):
                continue
            text = json.dumps(value)
            # Allowed: dynamic references and references to other resources, never literals.
            assert "{{resolve:secretsmanager:" in text or ref_target(value) or "Fn::" in text, (
                f"{part}{path} holds a literal: {text}"
            )
        for text in strings(template):
            # `:secret:<name>` is the resource part of a Secrets Manager ARN, not a value.
            assert not re.search(r"(?i)(?<!:)(password|secret|token)\s*[=:]\s*\w{8,}", text), text


def test_ecs_environment_never_carries_a_secret_name(envs: dict[str, SynthesizedEnv]) -> None:
    secret_names = {*names.APP_SECRET_KEYS, "POSTGRES_PASSWORD", "REDIS_PASSWORD"}
    for synth in envs.values():
        for task in synth.resources(names.SERVICE, "AWS::ECS::TaskDefinition").values():
            for container in task["Properties"]["ContainerDefinitions"]:
                plain = {item["Name"] for item in container.get("Environment", [])}
                assert plain.isdisjoint(secret_names)


def _group_ids(synth: SynthesizedEnv, part: str) -> dict[str, str]:
    """Security group logical id -> its GroupName, in one stack."""
    groups = synth.resources(part, "AWS::EC2::SecurityGroup")
    return {key: group["Properties"]["GroupName"] for key, group in groups.items()}


def _exported(synth: SynthesizedEnv, export: str) -> Any:
    """The value behind an export name, looked up in the exporting stack's outputs."""
    for template in synth.templates.values():
        for output in template.get("Outputs", {}).values():
            if output.get("Export", {}).get("Name") == export:
                return output["Value"]
    raise AssertionError(f"no stack exports {export}")


def _group_name(synth: SynthesizedEnv, value: Any) -> str:
    """The GroupName behind a GetAtt, or behind an Fn::ImportValue of another stack's export."""
    if "Fn::ImportValue" in value:
        value = _exported(synth, value["Fn::ImportValue"])
    target = ref_target(value)
    for part in names.STACK_PARTS:
        if target in _group_ids(synth, part):
            return _group_ids(synth, part)[target]
    raise AssertionError(f"unknown security group {value}")


def _ingress_rules(synth: SynthesizedEnv) -> set[tuple[str, str, int, int]]:
    """(target group, source group or CIDR, from port, to port) of every ingress rule."""
    rules = set()
    for part in names.STACK_PARTS:
        for group in synth.resources(part, "AWS::EC2::SecurityGroup").values():
            for rule in group["Properties"].get("SecurityGroupIngress", []):
                rules.add(
                    (
                        group["Properties"]["GroupName"],
                        rule["CidrIp"],
                        rule["FromPort"],
                        rule["ToPort"],
                    )
                )
        for rule in synth.resources(part, INGRESS).values():
            props = rule["Properties"]
            assert props["IpProtocol"] == "tcp"
            rules.add(
                (
                    _group_name(synth, props["GroupId"]),
                    _group_name(synth, props["SourceSecurityGroupId"]),
                    props["FromPort"],
                    props["ToPort"],
                )
            )
    return rules


@pytest.mark.parametrize("env", AWS_ENVS)
def test_security_groups_are_least_privilege(envs: dict[str, SynthesizedEnv], env: str) -> None:
    def group(part: str) -> str:
        return names.resource_name(env, part)

    rotation = envs[env].config.rds.credential_rotation_days is not None
    assert _ingress_rules(envs[env]) == {
        (group("alb"), "0.0.0.0/0", 80, 80),
        (group(names.BACKEND), group("alb"), names.BACKEND_PORT, names.BACKEND_PORT),
        (group(names.FRONTEND), group("alb"), names.FRONTEND_PORT, names.FRONTEND_PORT),
        (group("postgres"), group(names.BACKEND), POSTGRES_PORT, POSTGRES_PORT),
        (group("redis"), group(names.BACKEND), REDIS_PORT, REDIS_PORT),
    } | (
        {(group("postgres"), group("db-rotation"), POSTGRES_PORT, POSTGRES_PORT)}
        if rotation
        else set()
    )


def test_no_group_allows_all_outbound(envs: dict[str, SynthesizedEnv]) -> None:
    for synth in envs.values():
        for part in names.STACK_PARTS:
            for group in synth.resources(part, "AWS::EC2::SecurityGroup").values():
                for rule in group["Properties"].get("SecurityGroupEgress", []):
                    assert rule["IpProtocol"] != "-1", group["Properties"]["GroupName"]
