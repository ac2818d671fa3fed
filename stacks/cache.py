"""The Redis replication group (L1): TLS in transit, encrypted at rest, AUTH token from a secret."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.contract import names
from stacks.network import DB as DB_SUBNETS

REDIS_PORT = 6379


class Cache(Construct):
    """Primary plus `redis.replicas` replicas; automatic failover and Multi-AZ when replicas > 0."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        vpc: ec2.IVpc,
    ) -> None:
        super().__init__(scope, construct_id)
        env = config.name
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            security_group_name=names.resource_name(env, "redis"),
            description="OhMyCoins Redis: the Service stack admits the backend on 6379",
            allow_all_outbound=False,
        )
        # Alphanumeric, 64 characters: within ElastiCache's AUTH token rules.
        self.auth_secret = secretsmanager.Secret(
            self,
            "AuthToken",
            secret_name=names.resource_name(env, "redis-auth"),
            description="AUTH token of the OhMyCoins Redis replication group",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=64
            ),
        )
        subnets = vpc.select_subnets(subnet_group_name=DB_SUBNETS)
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "SubnetGroup",
            cache_subnet_group_name=names.resource_name(env, "redis"),
            description="OhMyCoins Redis: isolated subnets",
            subnet_ids=subnets.subnet_ids,
        )
        self.replication_group: elasticache.CfnReplicationGroup | None = None
        if (
            config.parked
        ):  # see stacks/contract/parked.py: the secret and groups stay for the unpark
            return
        replicated = config.redis.replicas > 0
        self.replication_group = elasticache.CfnReplicationGroup(
            self,
            "ReplicationGroup",
            replication_group_id=names.resource_name(env, "redis"),
            replication_group_description=f"OhMyCoins {env} Redis (cache and rate limits)",
            engine="redis",
            engine_version=config.redis.engine_version,
            cache_node_type=config.redis.node_type,
            num_cache_clusters=1 + config.redis.replicas,
            automatic_failover_enabled=replicated,
            multi_az_enabled=replicated,
            port=REDIS_PORT,
            cache_subnet_group_name=subnet_group.ref,
            security_group_ids=[self.security_group.security_group_id],
            transit_encryption_enabled=True,
            at_rest_encryption_enabled=True,
            # A dynamic reference resolved by CloudFormation: the token never enters the template.
            auth_token=self.auth_secret.secret_value.unsafe_unwrap(),
            auto_minor_version_upgrade=True,
            snapshot_retention_limit=0,
        )

    @property
    def replication_group_id(self) -> str | None:
        """None while parked (no replication group)."""
        return None if self.replication_group is None else self.replication_group.ref

    @property
    def host(self) -> str | None:
        """None while parked (no replication group)."""
        if self.replication_group is None:
            return None
        return self.replication_group.attr_primary_end_point_address
