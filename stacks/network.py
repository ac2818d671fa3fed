"""`OhMyCoins-<env>-Network`: the VPC over three AZs, NAT gateways, flow logs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.contract import names, parked
from stacks.log_groups import log_group

VPC_CIDR = "10.0.0.0/16"
PUBLIC = "public"
APP = "app"
DB = "db"


def _app_subnet_type(config: EnvConfig) -> ec2.SubnetType:
    if parked.nat_gateways(config) == 0:
        return ec2.SubnetType.PRIVATE_ISOLATED
    return ec2.SubnetType.PRIVATE_WITH_EGRESS


class NetworkStack(Stack):
    """Subnets public / private-app (egress through NAT) / isolated-db, NAT count from config."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvConfig, **kwargs: Any):
        super().__init__(scope, construct_id, **kwargs)
        flow_log_group = log_group(self, "FlowLogs", retention_days=config.log_retention_days)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            vpc_name=names.resource_name(config.name, "vpc"),
            ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
            availability_zones=list(config.availability_zones),
            nat_gateways=parked.nat_gateways(config),
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name=PUBLIC, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                # Without NAT (parked) the app subnets are isolated: same subnets, no egress route.
                ec2.SubnetConfiguration(
                    name=APP, subnet_type=_app_subnet_type(config), cidr_mask=20
                ),
                ec2.SubnetConfiguration(
                    name=DB, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                ),
            ],
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        # Free: S3 traffic (ECR image layers live in S3) skips the NAT gateways' per-GB charge.
        self.s3_endpoint = self.vpc.add_gateway_endpoint(
            "S3Endpoint",
            service=ec2.GatewayVpcEndpointAwsService.S3,
            subnets=[ec2.SubnetSelection(subnet_group_name=APP)],
        )
