"""What runbooks point at is real: stack outputs, config keys, read-only commands where promised."""

from __future__ import annotations

import dataclasses
import re
import shlex

import pytest
from runbook_cmdlines import code_blocks, segments

from cdk_app.config import EnvConfig, RdsConfig, RedisConfig, ServiceConfig
from ops.runbooks.library import load_all
from stacks.contract import names

RUNBOOKS = load_all()
READ_ONLY_VERBS = ("describe-", "get-", "list-", "wait", "filter-log-events")
_OUTPUT_REF = re.compile(
    r'--stack-name "OhMyCoins-\$ENV-(\w+)" --query "Stacks\[0\]\.Outputs\[\?OutputKey==\'(\w+)\'\]'
)
_CONFIG_REF = re.compile(r"`((?:services|rds|redis)\.[a-z_.]+)`")
_ASSIGNED = re.compile(r"^\w+=\$\((.*)\)$")  # VAR=$(command ...)
SECTIONS = {"services": ServiceConfig, "rds": RdsConfig, "redis": RedisConfig}


def _fields(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def _config_key_exists(key: str) -> bool:
    head, *rest = key.split(".")
    if head == "services":
        if len(rest) != 2 or rest[0] not in names.SERVICES:
            return False
        return rest[1] in _fields(ServiceConfig)
    return len(rest) == 1 and rest[0] in _fields(SECTIONS[head]) and head in _fields(EnvConfig)


@pytest.mark.parametrize("rb", RUNBOOKS, ids=lambda rb: rb.id)
def test_stack_output_lookups_use_the_contract(rb) -> None:
    for part, key in _OUTPUT_REF.findall(rb.body):
        assert part in names.OUTPUTS_BY_STACK, f"{rb.id}: no stack part {part}"
        assert key in names.OUTPUTS_BY_STACK[part], f"{rb.id}: {key} is not an output of {part}"


def test_output_lookups_are_found() -> None:
    found = [ref for rb in RUNBOOKS for ref in _OUTPUT_REF.findall(rb.body)]
    assert len(found) >= 20 and {part for part, _ in found} == {names.DATA, names.SERVICE}


@pytest.mark.parametrize("rb", RUNBOOKS, ids=lambda rb: rb.id)
def test_config_keys_exist(rb) -> None:
    for key in _CONFIG_REF.findall(rb.body):
        assert _config_key_exists(key), f"{rb.id}: no config key {key}"


def test_config_key_check_rejects_unknown_keys() -> None:
    assert _config_key_exists("services.backend.memory_mib")
    assert not _config_key_exists("services.backend.memory")
    assert not _config_key_exists("rds.max_storage")


@pytest.mark.parametrize("rb", [rb for rb in RUNBOOKS if rb.alarm], ids=lambda rb: rb.id)
def test_is_it_real_commands_are_read_only(rb) -> None:
    section = rb.body.split("## Is it real?", 1)[1].split("\n## ", 1)[0]
    aws_calls = 0
    for _, line in code_blocks(section):
        assigned = _ASSIGNED.match(line)
        for part in segments(assigned.group(1) if assigned else line):
            if part[0] == "aws":
                aws_calls += 1
                verb = part[2]
                assert verb.startswith(READ_ONLY_VERBS), f"{rb.id}: `{shlex.join(part)}`"
            if part[0] == "ops":
                assert part[1] in {"incident", "status", "alarms", "rds", "smoke"}, part
                assert part[1:3] != ["rds", "stop"] and "--yes" not in part, part
    assert aws_calls or "ops incident" in section
    if "--stack-name" in section:
        assert aws_calls >= 2, f"{rb.id}: the output lookups were not parsed"
