"""Hardening in the templates: health checks, monitoring, retention, endpoint, WAF, DB TLS."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from stack_templates import ENVS, SynthesizedEnv, ref_target, strings

from cdk_app.config import EnvConfig, WafConfig, load
from stacks.contract import connections, names
from stacks.retention import RECORD_TYPES
from stacks.tasks import RDS_CA_BUNDLE
from stacks.waf import MANAGED_RULE_GROUPS, RATE_RULE, waf_log_group_name

TASK = "AWS::ECS::TaskDefinition"


def _containers(synth: SynthesizedEnv) -> dict[str, dict[str, Any]]:
    found = {}
    for task in synth.resources(names.SERVICE, TASK).values():
        (container,) = task["Properties"]["ContainerDefinitions"]
        found[container["Name"]] = container
    return found


def _environment(container: dict[str, Any]) -> dict[str, Any]:
    return {item["Name"]: item["Value"] for item in container.get("Environment", [])}


def _everywhere(synth: SynthesizedEnv, type_: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for part in names.STACK_PARTS
        for logical_id, resource in synth.resources(part, type_).items()
    }


@pytest.mark.parametrize("env", ENVS)
def test_both_task_definitions_have_a_health_check_without_curl(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    containers = _containers(envs[env])
    backend = containers[names.BACKEND]["HealthCheck"]
    frontend = containers[names.FRONTEND]["HealthCheck"]
    for check in (backend, frontend):
        assert not any("curl" in part for part in check["Command"])
        assert (check["Interval"], check["Retries"]) == (30, 3)
        assert check["Timeout"] < check["Interval"]
    assert backend["Command"][:3] == ["CMD", "python", "-c"]
    assert f"127.0.0.1:{names.BACKEND_PORT}{names.BACKEND_HEALTH_PATH}" in backend["Command"][3]
    assert backend["StartPeriod"] >= 60  # migrations run before uvicorn listens
    assert frontend["Command"][0] == "CMD-SHELL"
    assert frontend["Command"][1].startswith("wget -q -O /dev/null http://127.0.0.1:80/healthz")


@pytest.mark.parametrize("env", ENVS)
def test_backend_verifies_the_database_certificate_and_runs_a_process_per_vcpu(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    synth = envs[env]
    variables = _environment(_containers(synth)[names.BACKEND])
    assert variables["POSTGRES_SSLMODE"] == "verify-full"
    assert variables["PGSSLROOTCERT"] == RDS_CA_BUNDLE
    cpu = synth.config.services[names.BACKEND].cpu
    assert variables["WEB_CONCURRENCY"] == str(max(1, cpu // 1024))


def test_worker_count_follows_whole_vcpus() -> None:
    assert [connections.workers(cpu) for cpu in (256, 512, 1024, 2048, 4096)] == [1, 1, 1, 2, 4]


@pytest.mark.parametrize(("env", "interval"), [("staging", None), ("production", 60)])
def test_enhanced_monitoring_in_production(
    envs: dict[str, SynthesizedEnv], env: str, interval: int | None
) -> None:
    props = envs[env].one(names.DATA, "AWS::RDS::DBInstance")["Properties"]
    assert props.get("MonitoringInterval") == interval
    assert ("MonitoringRoleArn" in props) == (interval is not None)


@pytest.mark.parametrize(("env", "retained"), [("staging", False), ("production", True)])
def test_records_outlive_their_stack_in_production(
    envs: dict[str, SynthesizedEnv], env: str, retained: bool
) -> None:
    synth = envs[env]
    for type_ in RECORD_TYPES:
        found = _everywhere(synth, type_)
        assert found, type_
        for logical_id, resource in found.items():
            policies = (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
            if retained:
                assert policies == ("Retain", "Retain"), logical_id
            else:
                assert "Retain" not in policies, logical_id


def test_nothing_of_record_is_deleted_with_production_stacks(production: SynthesizedEnv) -> None:
    """Beyond the record types: the access-log bucket and the alarm topic's key stay too."""
    for type_ in ("AWS::S3::Bucket", "AWS::KMS::Key", *RECORD_TYPES):
        found = _everywhere(production, type_)
        assert found, type_
        for logical_id, resource in found.items():
            assert resource.get("DeletionPolicy") == "Retain", logical_id


@pytest.mark.parametrize(("env", "protected"), [("staging", "false"), ("production", "true")])
def test_load_balancer_deletion_protection(
    envs: dict[str, SynthesizedEnv], env: str, protected: str
) -> None:
    alb = envs[env].one(names.SERVICE, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["deletion_protection.enabled"] == protected


@pytest.mark.parametrize("env", ENVS)
def test_s3_gateway_endpoint_on_the_app_subnets_route_tables(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    synth = envs[env]
    endpoint = synth.one(names.NETWORK, "AWS::EC2::VPCEndpoint")["Properties"]
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert any(".s3" in text for text in strings(endpoint["ServiceName"]))
    app_tables = {
        logical_id
        for logical_id in synth.resources(names.NETWORK, "AWS::EC2::RouteTable")
        if "app" in logical_id.lower()
    }
    assert len(app_tables) == 3
    assert {ref_target(table) for table in endpoint["RouteTableIds"]} == app_tables


def _web_acl(synth: SynthesizedEnv) -> dict[str, Any] | None:
    acls = list(synth.resources(names.SERVICE, "AWS::WAFv2::WebACL").values())
    assert len(acls) <= 1
    return acls[0]["Properties"] if acls else None


def test_production_web_acl_managed_rules_and_a_rate_limit_well_above_the_apps(
    production: SynthesizedEnv,
) -> None:
    acl = _web_acl(production)
    assert acl is not None and acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert set(rules) == {*MANAGED_RULE_GROUPS, RATE_RULE}
    for group in MANAGED_RULE_GROUPS:
        statement = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert statement == {"VendorName": "AWS", "Name": group}
        assert rules[group]["OverrideAction"] == {"None": {}}
    rate = rules[RATE_RULE]["Statement"]["RateBasedStatement"]
    assert rules[RATE_RULE]["Action"] == {"Block": {}}
    assert rate["Limit"] == production.config.waf.rate_limit_per_5_minutes
    assert rate["EvaluationWindowSec"] == 300
    # The app allows 60 requests a minute per user or address, admins 5x: five admins at their
    # limit behind one address stay under the WAF's bound.
    assert rate["Limit"] >= 5 * (60 * 5) * 5
    # Behind CloudFront the ALB sees CloudFront's addresses: count the header the edge sets.
    assert rate["AggregateKeyType"] == "FORWARDED_IP"
    assert rate["ForwardedIPConfig"] == {
        "HeaderName": names.CLIENT_IP_HEADER,
        "FallbackBehavior": "NO_MATCH",
    }


def test_the_edge_sets_the_client_ip_header_on_every_behavior_and_forwards_it(
    production: SynthesizedEnv,
) -> None:
    functions = production.resources(names.SERVICE, "AWS::CloudFront::Function")
    (function_id,) = (i for i, f in functions.items() if "ClientIp" in i)
    code = functions[function_id]["Properties"]["FunctionCode"]
    header = names.CLIENT_IP_HEADER.lower()
    assert f"request.headers['{header}'] = {{ value: event.viewer.ip }}" in code
    config = production.one(names.SERVICE, "AWS::CloudFront::Distribution")["Properties"]
    config = config["DistributionConfig"]
    behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    policies = production.resources(names.SERVICE, "AWS::CloudFront::OriginRequestPolicy")
    for behavior in behaviors:
        associated = [ref_target(a["FunctionARN"]) for a in behavior["FunctionAssociations"]]
        assert associated == [function_id]
        policy = policies[ref_target(behavior["OriginRequestPolicyId"])]["Properties"]
        headers = policy["OriginRequestPolicyConfig"]["HeadersConfig"]
        forwarded = headers["HeaderBehavior"] in ("allViewer", "allViewerAndWhitelistCloudFront")
        assert forwarded or names.CLIENT_IP_HEADER in headers["Headers"]


def test_without_an_edge_the_rate_rule_counts_the_connection_address(
    synth_env: Callable[[EnvConfig], SynthesizedEnv],
) -> None:
    local = load("local")
    assert not local.edge.cloudfront
    config = dataclasses.replace(local, waf=WafConfig(enabled=True, rate_limit_per_5_minutes=900))
    acl = _web_acl(synth_env(config))
    assert acl is not None
    (rate,) = (r for r in acl["Rules"] if r["Name"] == RATE_RULE)
    statement = rate["Statement"]["RateBasedStatement"]
    assert (statement["AggregateKeyType"], statement["Limit"]) == ("IP", 900)
    assert "ForwardedIPConfig" not in statement


def test_production_web_acl_guards_the_load_balancer_and_logs_blocks(
    production: SynthesizedEnv,
) -> None:
    (association,) = production.resources(names.SERVICE, "AWS::WAFv2::WebACLAssociation").values()
    (alb_id,) = production.resources(names.SERVICE, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    (acl_id,) = production.resources(names.SERVICE, "AWS::WAFv2::WebACL")
    assert ref_target(association["Properties"]["ResourceArn"]) == alb_id
    assert ref_target(association["Properties"]["WebACLArn"]) == acl_id
    logging = production.one(names.SERVICE, "AWS::WAFv2::LoggingConfiguration")["Properties"]
    assert ref_target(logging["ResourceArn"]) == acl_id
    assert logging["LoggingFilter"]["DefaultBehavior"] == "DROP"
    groups = production.resources(names.SERVICE, "AWS::Logs::LogGroup").values()
    assert waf_log_group_name("production") in [g["Properties"].get("LogGroupName") for g in groups]


def test_staging_has_no_web_acl(staging: SynthesizedEnv) -> None:
    assert _web_acl(staging) is None
    assert staging.resources(names.SERVICE, "AWS::WAFv2::WebACLAssociation") == {}


def test_parked_production_has_no_web_acl_but_keeps_its_log_group(
    synth_env: Callable[[EnvConfig], SynthesizedEnv],
) -> None:
    parked = synth_env(load("production", overrides={"parked": True}))
    assert _web_acl(parked) is None
    groups = parked.resources(names.SERVICE, "AWS::Logs::LogGroup").values()
    assert waf_log_group_name("production") in [g["Properties"].get("LogGroupName") for g in groups]
