"""Network: three AZs, NAT gateways per env, flow logs, a locked default security group."""

from __future__ import annotations

import pytest
from stack_templates import ENVS, SynthesizedEnv

from stacks.contract import names


@pytest.mark.parametrize("env", ENVS)
def test_every_subnet_tier_spans_the_three_configured_azs(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    synth = envs[env]
    subnets = synth.resources(names.NETWORK, "AWS::EC2::Subnet").values()
    zones = [subnet["Properties"]["AvailabilityZone"] for subnet in subnets]
    assert len(zones) == 9  # public, app, db in each zone
    assert sorted(set(zones)) == sorted(synth.config.availability_zones)
    assert all(zones.count(zone) == 3 for zone in set(zones))


@pytest.mark.parametrize(("env", "nat"), [("local", 1), ("staging", 1), ("production", 3)])
def test_nat_gateways_per_env(envs: dict[str, SynthesizedEnv], env: str, nat: int) -> None:
    assert len(envs[env].resources(names.NETWORK, "AWS::EC2::NatGateway")) == nat
    assert envs[env].config.nat_gateways == nat


def test_vpc_cidr_flow_logs_and_locked_default_group(production: SynthesizedEnv) -> None:
    vpc = production.one(names.NETWORK, "AWS::EC2::VPC")
    assert vpc["Properties"]["CidrBlock"] == "10.0.0.0/16"
    flow_log = production.one(names.NETWORK, "AWS::EC2::FlowLog")
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert flow_log["Properties"]["LogDestinationType"] == "cloud-watch-logs"
    assert production.resources(names.NETWORK, "Custom::VpcRestrictDefaultSG")


def test_private_subnets_route_through_nat_and_db_subnets_do_not(
    production: SynthesizedEnv,
) -> None:
    routes = production.resources(names.NETWORK, "AWS::EC2::Route")
    app_routes = [r for key, r in routes.items() if key.startswith("Vpcapp")]
    db_routes = [r for key, r in routes.items() if key.startswith("Vpcdb")]
    assert len(app_routes) == 3 and all("NatGatewayId" in r["Properties"] for r in app_routes)
    assert db_routes == []
