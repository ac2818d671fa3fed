"""`ops cost`: the inventory read from templates and the arithmetic of the estimate, by hand."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cdk_app.config import load as load_config
from ops.cost.environment import estimate_states
from ops.cost.estimate import PARKED, RUNNING, SCALED_TO_ZERO, Estimate, Line, estimate
from ops.cost.inventory import TemplateError, inventory
from ops.cost.prices import PRICE_DIR, PriceError, load_assumptions, load_prices
from ops.cost.synth import read_assembly, synth_command
from ops.errors import OpsError
from stacks.contract import names

SYDNEY = load_prices("ap-southeast-2")
ASSUME = load_assumptions()


def _raw(key: str, variant: str | None = None) -> float:
    """A price read straight from the YAML file, independently of `ops.cost.prices`."""
    data = yaml.safe_load((PRICE_DIR / "ap-southeast-2.yaml").read_text())["prices"][key]
    return float((data[variant] if variant else data)["usd"])


def _template() -> dict:
    """A small env: 2 NATs, an ALB over 3 subnets, Multi-AZ RDS, 2 Redis nodes, 2 services."""
    res = {
        "Nat1": {"Type": "AWS::EC2::NatGateway"},
        "Nat2": {"Type": "AWS::EC2::NatGateway"},
        "Eip1": {"Type": "AWS::EC2::EIP"},
        "Eip2": {"Type": "AWS::EC2::EIP"},
        "Alb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Scheme": "internet-facing", "Subnets": ["a", "b", "c"]},
        },
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "DBInstanceClass": "db.t3.small",
                "MultiAZ": True,
                "AllocatedStorage": "20",
                "StorageType": "gp3",
                "BackupRetentionPeriod": 7,
                "EnableCloudwatchLogsExports": ["postgresql"],
            },
        },
        "Redis": {
            "Type": "AWS::ElastiCache::ReplicationGroup",
            "Properties": {"CacheNodeType": "cache.t3.small", "NumCacheClusters": 2},
        },
        "BackendTask": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"Cpu": "512", "Memory": "1024"},
        },
        "FrontendTask": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"Cpu": "256", "Memory": "512"},
        },
        "BackendService": {
            "Type": "AWS::ECS::Service",
            "Properties": {"TaskDefinition": {"Ref": "BackendTask"}},
        },
        "FrontendSvc": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "ServiceName": "ohmycoins-x-frontend",
                "TaskDefinition": {"Ref": "FrontendTask"},
            },
        },
        "Collect": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "ScheduleExpression": "rate(15 minutes)",
                "Targets": [{"EcsParameters": {"TaskDefinitionArn": {"Ref": "BackendTask"}}}],
            },
        },
        "Secret1": {"Type": "AWS::SecretsManager::Secret"},
        "Secret2": {"Type": "AWS::SecretsManager::Secret"},
        "Key": {"Type": "AWS::KMS::Key"},
        "Single": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "CPU"}},
        "Math": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Metrics": [
                    {"Id": "e", "Expression": "m0+m1"},
                    {"MetricStat": {}},
                    {"MetricStat": {}},
                ]
            },
        },
        "Dash": {"Type": "AWS::CloudWatch::Dashboard"},
        "Logs": {"Type": "AWS::Logs::LogGroup"},
    }
    return {"Resources": res}


def test_inventory_counts_every_billed_resource() -> None:
    inv = inventory([_template()])
    assert (inv.nat_gateways, inv.elastic_ips, inv.load_balancers) == (2, 2, 1)
    assert inv.load_balancer_public_ips == 3
    (db,) = inv.databases
    assert (db.instance_class, db.multi_az, db.storage_gb, db.storage_type) == (
        "db.t3.small",
        True,
        20,
        "gp3",
    )
    assert [(c.node_type, c.nodes) for c in inv.caches] == [("cache.t3.small", 2)]
    assert (inv.tasks["backend"].vcpu, inv.tasks["backend"].memory_gb) == (0.5, 1.0)
    assert (inv.tasks["frontend"].vcpu, inv.tasks["frontend"].memory_gb) == (0.25, 0.5)
    assert (inv.secrets, inv.kms_keys, inv.alarms, inv.alarm_metrics) == (2, 1, 2, 3)
    assert (inv.dashboards, inv.log_groups) == (1, 2)  # one group + the exported postgresql log
    (collect,) = inv.scheduled
    assert (collect.runs_per_hour, collect.vcpu, collect.memory_gb) == (4, 0.5, 1.0)


def test_running_estimate_recomputed_by_hand() -> None:
    inv = inventory([_template()])
    est = estimate(
        inv,
        state=RUNNING,
        prices=SYDNEY,
        assumptions=ASSUME,
        tasks={"backend": 2, "frontend": 1},
        rds_running=True,
    )
    h = 730
    expected = (
        2 * h * _raw("nat_gateway_hour")
        + (2 + 3) * h * _raw("public_ipv4_hour")  # 2 EIPs + the ALB's 3 subnets
        + h * _raw("alb_hour")
        + 1 * h * _raw("alb_lcu_hour")
        + 2 * h * _raw("rds_instance_hour", "db.t3.small")  # Multi-AZ doubles
        + 2 * 20 * _raw("rds_storage_gb_month", "gp3")
        + 20 * 0.02 * 7 * _raw("rds_backup_gb_month")
        + 2 * h * _raw("elasticache_node_hour", "cache.t3.small")
        + (2 * 0.5 + 1 * 0.25) * h * _raw("fargate_vcpu_hour")
        + (2 * 1.0 + 1 * 0.5) * h * _raw("fargate_gb_hour")
        + 4 * h / 60 * (0.5 * _raw("fargate_vcpu_hour") + 1.0 * _raw("fargate_gb_hour"))
        + 2 * _raw("secret_month")
        + 1 * _raw("kms_key_month")
        + 3 * _raw("alarm_metric_month")
        + 1 * _raw("dashboard_month")
        + (3 + 5) * _raw("custom_metric_month")  # the backend's metrics + one collector's
        + 3 * 0.5 * _raw("log_ingest_gb")
        + 2 * 0.5 * _raw("log_storage_gb_month")
    )
    assert est.total_usd == pytest.approx(expected, abs=0.05)
    lines = {line.resource: line.monthly_usd for line in est.lines}
    assert lines["NAT gateways"] == pytest.approx(2 * 730 * 0.059, abs=0.01)
    assert lines["CloudWatch metrics of the app"] == pytest.approx(8 * 0.30, abs=0.01)


def test_scaled_to_zero_drops_tasks_and_rds_hours_but_keeps_storage() -> None:
    inv = inventory([_template()])
    common = {"prices": SYDNEY, "assumptions": ASSUME}
    running = estimate(
        inv, state=RUNNING, tasks={"backend": 2, "frontend": 1}, rds_running=True, **common
    )
    idle = estimate(
        inv,
        state=SCALED_TO_ZERO,
        tasks={},
        rds_running=False,
        schedules_enabled=False,
        **common,
    )
    names = {line.resource for line in idle.lines}
    assert not any(name.startswith(("Fargate", "RDS db.", "Scheduled")) for name in names)
    assert any(line.resource.startswith("Scheduled tasks") for line in running.lines)
    assert {"RDS storage", "NAT gateways", "Log storage"} <= names
    saved = 2 * 730 * _raw("rds_instance_hour", "db.t3.small")
    assert running.total_usd - idle.total_usd > saved


def test_parked_template_without_nat_alb_redis_costs_only_what_is_kept() -> None:
    kept = {
        k: v
        for k, v in _template()["Resources"].items()
        if v["Type"].split("::")[1]
        not in {"EC2", "ElasticLoadBalancingV2", "ElastiCache", "Events"}
    }
    est = estimate(
        inventory([{"Resources": kept}]),
        state=PARKED,
        prices=SYDNEY,
        assumptions=ASSUME,
        tasks={},
        rds_running=False,
    )
    expected = (
        2 * 20 * _raw("rds_storage_gb_month", "gp3")
        + 20 * 0.02 * 7 * _raw("rds_backup_gb_month")
        + 2 * _raw("secret_month")
        + _raw("kms_key_month")
        + 3 * _raw("alarm_metric_month")
        + _raw("dashboard_month")
        + 2 * 0.5 * _raw("log_storage_gb_month")
    )
    assert est.total_usd == pytest.approx(expected, abs=0.02)


def test_unpriced_instance_class_names_the_file_and_the_class() -> None:
    template = _template()
    template["Resources"]["Db"]["Properties"]["DBInstanceClass"] = "db.x9.huge"
    with pytest.raises(PriceError, match=r"ap-southeast-2.yaml: no price for .*db\.x9\.huge"):
        estimate(
            inventory([template]),
            state=RUNNING,
            prices=SYDNEY,
            assumptions=ASSUME,
            tasks={},
            rds_running=True,
        )


def test_intrinsic_in_a_billed_property_is_a_clear_error() -> None:
    template = _template()
    template["Resources"]["Db"]["Properties"]["DBInstanceClass"] = {"Ref": "Param"}
    with pytest.raises(TemplateError, match="DBInstanceClass"):
        inventory([template])


def test_every_price_carries_its_source_and_date() -> None:
    for region in ("ap-southeast-2", "us-east-1"):
        table = load_prices(region)
        assert table.prices, region
        for price in table.prices.values():
            assert price.source.startswith("https://aws.amazon.com/"), price
            assert price.as_of and price.usd >= 0, price
    with pytest.raises(PriceError, match="no price table for region eu-nowhere-1"):
        load_prices("eu-nowhere-1")


def test_read_assembly_keeps_only_the_env_stacks(tmp_path: Path) -> None:
    def stack(name: str) -> dict:
        (tmp_path / f"{name}.template.json").write_text(json.dumps({"Resources": {"N": {}}}))
        props = {"stackName": name, "templateFile": f"{name}.template.json"}
        return {"type": "aws:cloudformation:stack", "properties": props}

    artifacts = {n: stack(n) for n in ("OhMyCoins-staging-Data", "OhMyCoins-production-Data")}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    assert list(read_assembly(tmp_path, "staging")) == ["OhMyCoins-staging-Data"]
    with pytest.raises(OpsError, match="no stack of environment local"):
        read_assembly(tmp_path, "local")


def test_synth_command_passes_env_and_parked_as_context(tmp_path: Path) -> None:
    cmd = synth_command("production", parked=True, outdir=tmp_path)
    assert cmd[:4] == ["npx", "cdk", "synth", "--all"]
    assert cmd[5:9] == ["-c", "env=production", "-c", "parked=true"]
    assert cmd[-2:] == ["--output", str(tmp_path)]


@pytest.fixture(scope="module")
def production() -> dict[str, Estimate]:
    """Production priced from its real synthesized templates (`cdk synth`, parked and not)."""
    return {est.state: est for est in estimate_states("production")}


@pytest.mark.synth
def test_production_recomputed_from_its_config(production: dict[str, Estimate]) -> None:
    config = load_config("production")
    lines = {line.resource: line.monthly_usd for line in production[RUNNING].lines}
    h = 730
    copies = 2 if config.rds.multi_az else 1
    nodes = 1 + config.redis.replicas
    expected = {
        "NAT gateways": config.nat_gateways * h * _raw("nat_gateway_hour"),
        f"RDS {config.rds.instance_class} Multi-AZ": copies
        * h
        * _raw("rds_instance_hour", config.rds.instance_class),
        "RDS storage": copies
        * config.rds.allocated_storage_gib
        * _raw("rds_storage_gb_month", "gp3"),
        f"ElastiCache {config.redis.node_type} x{nodes}": nodes
        * h
        * _raw("elasticache_node_hour", config.redis.node_type),
    }
    for name, svc in config.services.items():
        expected[f"Fargate {name} vCPU"] = (
            svc.min_tasks * svc.cpu / 1024 * h * _raw("fargate_vcpu_hour")
        )
        expected[f"Fargate {name} memory"] = (
            svc.min_tasks * svc.memory_mib / 1024 * h * _raw("fargate_gb_hour")
        )
    for resource, usd in expected.items():
        assert lines[resource] == pytest.approx(usd, abs=0.01), resource
    total = sum(line.monthly_usd for line in production[RUNNING].lines)
    assert production[RUNNING].total_usd == pytest.approx(total, abs=0.01)


@pytest.mark.synth
def test_production_states_order_and_the_parked_target(production: dict[str, Estimate]) -> None:
    running, idle, parked = (production[s].total_usd for s in (RUNNING, SCALED_TO_ZERO, PARKED))
    assert running > idle > parked
    scheduled = {
        state: [line for line in est.lines if line.resource.startswith("Scheduled tasks")]
        for state, est in production.items()
    }  # scaling to 0 disables the collectors' rules; parking removes them
    assert scheduled[RUNNING] and not scheduled[SCALED_TO_ZERO] and not scheduled[PARKED]
    assert parked <= 15.0, production[PARKED].lines
    kept = {line.resource for line in production[PARKED].lines}
    assert not any(r.startswith(("NAT", "ElastiCache", "Application", "Fargate")) for r in kept)
    assert "RDS storage" in kept


def test_current_burn_prices_the_deployed_templates(deployed: Any) -> None:
    """`ops status`'s burn rate: live templates (moto), live desired counts and RDS state."""
    from ops.cost.environment import current_burn

    aws = deployed.aws()
    cfn = aws.client("cloudformation")
    stack = names.stack_name(deployed.env, names.MONITORING)
    current = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    template = {
        "Resources": {
            "Redis": {
                "Type": "AWS::ElastiCache::ReplicationGroup",
                "Properties": {"CacheNodeType": "cache.t3.small", "NumCacheClusters": 2},
            },
            "Secret": {"Type": "AWS::SecretsManager::Secret"},
        },
        "Outputs": {o["OutputKey"]: {"Value": o["OutputValue"]} for o in current["Outputs"]},
    }
    cfn.update_stack(StackName=stack, TemplateBody=json.dumps(template))
    burn = current_burn(aws, deployed.env)
    expected = 2 * 730 * _raw("elasticache_node_hour", "cache.t3.small") + _raw("secret_month")
    assert burn.total_usd == pytest.approx(expected, abs=0.01)
    assert "RDS available" in burn.notes[0]


def test_current_burn_leaves_out_disabled_collector_rules(
    deployed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops.cost import environment as cost_env

    monkeypatch.setattr(cost_env, "deployed_templates", lambda aws, env: {"s": _template()})

    def scheduled() -> list[str]:
        burn = cost_env.current_burn(deployed.aws(), deployed.env)
        return [line.resource for line in burn.lines if line.resource.startswith("Scheduled")]

    assert scheduled()  # the fixture's rules are enabled but one
    for rule in deployed.ids["collector_rules"].split(","):
        deployed.client("events").disable_rule(Name=rule)
    assert scheduled() == []


@pytest.mark.synth
def test_cli_cost_json_and_text() -> None:
    from click.testing import CliRunner

    from ops.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["cost", "--env", "staging", "--state", "parked", "--json"])
    assert result.exit_code == 0, result.output
    (est,) = json.loads(result.stdout)["estimates"]
    assert est["state"] == PARKED and est["region"] == load_config("staging").region
    assert est["total_usd"] == pytest.approx(sum(line["monthly_usd"] for line in est["lines"]))
    assert all(line["price"] and line["quantity"] > 0 for line in est["lines"])
    bad = runner.invoke(cli, ["cost", "--env", "staging", "--state", "asleep"])
    assert bad.exit_code == 2


def _edge_template() -> dict[str, Any]:
    return {
        "Resources": {
            "Cdn": {"Type": "AWS::CloudFront::Distribution"},
            "Paused": {"Type": "AWS::CloudFront::Function"},
            "Alb": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Scheme": "internal", "Subnets": ["a", "b", "c"]},
            },
        }
    }


def test_cloudfront_has_no_hourly_charge_and_the_internal_alb_no_public_ipv4() -> None:
    inv = inventory([_edge_template()])
    assert (inv.distributions, inv.edge_functions, inv.load_balancer_public_ips) == (1, 1, 0)
    est = estimate(
        inv, state=PARKED, prices=SYDNEY, assumptions=ASSUME, tasks={}, rds_running=False
    )
    assert not any(line.resource.startswith(("CloudFront", "Public IPv4")) for line in est.lines)
    (note,) = (n for n in est.notes if n.startswith("CloudFront"))
    assert "within the always-free 1024 GB and 10M requests" in note


def test_cloudfront_use_beyond_the_free_tier_is_priced() -> None:
    busy = {**ASSUME, "cloudfront_gb_out": 1124.0, "cloudfront_requests": 12_000_000.0}
    inv = inventory([_edge_template()])
    est = estimate(inv, state=PARKED, prices=SYDNEY, assumptions=busy, tasks={}, rds_running=False)
    lines = {line.resource: line.monthly_usd for line in est.lines}
    assert lines["CloudFront data out beyond the free tier"] == pytest.approx(
        100 * _raw("cloudfront_gb_out"), abs=0.01
    )
    assert lines["CloudFront HTTPS requests beyond the free tier"] == pytest.approx(
        200 * _raw("cloudfront_https_10k_requests"), abs=0.01
    )
    assert lines["CloudFront Function invocations beyond the free tier"] == pytest.approx(
        10 * _raw("cloudfront_function_1m_invocations"), abs=0.01
    )
    assert any("beyond the always-free" in n for n in est.notes)


def test_waf_enhanced_monitoring_and_the_free_gateway_endpoint_are_priced() -> None:
    template = _template()
    resources = template["Resources"]
    resources["Db"]["Properties"]["MonitoringInterval"] = 30
    resources["Acl"] = {
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {"Scope": "REGIONAL", "Rules": [{"Name": "a"}, {"Name": "b"}]},
    }
    resources["S3"] = {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"ServiceName": "s3"}}
    resources["Sqs"] = {
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": {"VpcEndpointType": "Interface", "ServiceName": "sqs"},
    }
    inv = inventory([template])
    assert (inv.web_acls, inv.web_acl_rules, inv.gateway_endpoints) == (1, 2, 1)
    common = {"prices": SYDNEY, "assumptions": ASSUME}
    running = estimate(inv, state=RUNNING, tasks={"backend": 1}, rds_running=True, **common)
    idle = estimate(inv, state=SCALED_TO_ZERO, tasks={}, rds_running=False, **common)
    lines = {line.resource: line.monthly_usd for line in running.lines}
    assert lines["WAF web ACLs"] == pytest.approx(_raw("waf_web_acl_month"))
    assert lines["WAF rules"] == pytest.approx(2 * _raw("waf_rule_month"))
    requests = ASSUME["waf_requests_million_per_month"] * _raw("waf_request_million")
    assert lines["WAF requests"] == pytest.approx(requests, abs=0.01)
    # Twice the 60-second volume at a 30-second interval, billed as log ingestion.
    monitoring = 2 * ASSUME["rds_enhanced_monitoring_gb_at_60s"] * _raw("log_ingest_gb")
    assert lines["RDS enhanced monitoring logs"] == pytest.approx(monitoring, abs=0.01)
    (endpoint,) = (line for line in running.lines if line.resource.startswith("VPC gateway"))
    assert endpoint.quantity == 1 and endpoint.monthly_usd == 0
    idle_lines = {line.resource for line in idle.lines}
    assert {"WAF web ACLs", "WAF rules"} <= idle_lines  # the ACL bills while the ALB exists
    assert not {"WAF requests", "RDS enhanced monitoring logs"} & idle_lines


def test_json_lines_carry_every_field_of_a_line() -> None:
    line = Line(
        resource="NAT gateway",
        quantity=730,
        unit="hours",
        unit_usd=0.059,
        price="nat",
        monthly_usd=43.07,
    )
    assert line.to_dict() == dataclasses.asdict(line)
    est = Estimate(state=PARKED, region="r", lines=[line], notes=["n"])
    assert est.to_dict()["lines"] == [dataclasses.asdict(line)]
    assert est.to_dict()["total_usd"] == 43.07
