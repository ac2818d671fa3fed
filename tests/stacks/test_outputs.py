"""The stack-output contract with `ops`, and strong (export/import) cross-stack references."""

from __future__ import annotations

import json

import pytest
from stack_templates import ENVS, SynthesizedEnv, imported_exports

from cdk_app.config import load
from stacks.contract import names, parked


@pytest.mark.parametrize("env", ENVS)
def test_every_contract_output_key_is_present(envs: dict[str, SynthesizedEnv], env: str) -> None:
    synth = envs[env]
    for part, keys in names.OUTPUTS_BY_STACK.items():
        outputs = synth.templates[part].get("Outputs", {})
        contract = {key for key in outputs if not key.startswith("ExportsOutput")}
        assert contract == set(parked.outputs(synth.config, part)), part
        assert set(parked.outputs(synth.config, part)) <= set(keys)
    assert names.Outputs.PUBLIC_URL in synth.templates[names.SERVICE]["Outputs"]


def test_outputs_point_at_the_right_resources(production: SynthesizedEnv) -> None:
    data = production.templates[names.DATA]["Outputs"]
    assert data[names.Outputs.DATABASE_INSTANCE_ID]["Value"]["Ref"] in production.resources(
        names.DATA, "AWS::RDS::DBInstance"
    )
    assert data[names.Outputs.CACHE_REPLICATION_GROUP_ID]["Value"]["Ref"] in production.resources(
        names.DATA, "AWS::ElastiCache::ReplicationGroup"
    )
    service = production.templates[names.SERVICE]["Outputs"]
    dns = service[names.Outputs.LOAD_BALANCER_DNS_NAME]["Value"]["Fn::GetAtt"]
    assert dns[1] == "DNSName"
    monitoring = production.templates[names.MONITORING]["Outputs"]
    assert monitoring[names.Outputs.DASHBOARD_NAME]["Value"]["Ref"] in production.resources(
        names.MONITORING, "AWS::CloudWatch::Dashboard"
    )


def test_collector_rule_names_name_the_schedule_rules(production: SynthesizedEnv) -> None:
    """What `ops scale --to 0` disables: every collector rule of the Service stack, by name."""
    output = production.templates[names.SERVICE]["Outputs"][names.Outputs.COLLECTOR_RULE_NAMES]
    delimiter, parts = output["Value"]["Fn::Join"]
    rules = production.resources(names.SERVICE, "AWS::Events::Rule")
    # each Ref resolves to its rule's name (the Ref of an AWS::Events::Rule)
    value = delimiter.join(
        rules[part["Ref"]]["Properties"]["Name"] if isinstance(part, dict) else part
        for part in parts
    )
    assert len(rules) == len(production.config.collectors) > 0
    assert value == ",".join(
        names.resource_name("production", "collect", c) for c in production.config.collectors
    )


def test_no_collectors_no_rule_names_output() -> None:
    """Never an empty output: an environment without collectors leaves the key out."""
    with_collectors = load("staging")
    without = load("staging", overrides={"collectors": {}})
    assert names.Outputs.COLLECTOR_RULE_NAMES in parked.outputs(with_collectors, names.SERVICE)
    kept = parked.outputs(without, names.SERVICE)
    assert set(kept) == set(names.OUTPUTS_BY_STACK[names.SERVICE]) - {
        names.Outputs.COLLECTOR_RULE_NAMES
    }


def test_cross_stack_references_are_strong(production: SynthesizedEnv) -> None:
    for part in (names.DATA, names.SERVICE, names.MONITORING):
        text = json.dumps(production.templates[part])
        assert "Fn::ImportValue" in text, part
        assert "Fn::GetStackOutput" not in text
    exports = {
        output["Export"]["Name"]
        for template in production.templates.values()
        for output in template.get("Outputs", {}).values()
        if "Export" in output
    }
    imports = {
        name for template in production.templates.values() for name in imported_exports(template)
    }
    assert imports and imports <= exports
    assert all(name.startswith("OhMyCoins-production-") for name in imports)
