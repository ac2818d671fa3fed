"""The stack-output contract with `ops`, and strong (export/import) cross-stack references."""

from __future__ import annotations

import json

import pytest
from stack_templates import SynthesizedEnv, imported_exports

from stacks import names


@pytest.mark.parametrize("env", ["local", "staging", "production"])
def test_every_contract_output_key_is_present(envs: dict[str, SynthesizedEnv], env: str) -> None:
    synth = envs[env]
    for part, keys in names.OUTPUTS_BY_STACK.items():
        outputs = synth.templates[part].get("Outputs", {})
        contract = {key for key in outputs if not key.startswith("ExportsOutput")}
        assert contract == set(keys), part


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
