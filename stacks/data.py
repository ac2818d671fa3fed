"""`OhMyCoins-<env>-Data`: PostgreSQL, Redis and the app secret (the stateful half)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.cache import Cache
from stacks.contract import names, parked
from stacks.db_rotation.infrastructure import DatabaseRotation
from stacks.network import APP as APP_SUBNETS
from stacks.network import DB as DB_SUBNETS

POSTGRES_PORT = 5432
DB_ADMIN_USER = "ohmycoins_admin"


class DataStack(Stack):
    """RDS PostgreSQL, the ElastiCache Redis replication group and the generated app secret.

    Their security groups admit nobody here: the Service stack adds the backend's ingress rules,
    since the backend's group lives there (a rule here would make Data depend on Service).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        vpc: ec2.IVpc,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.database_security_group = ec2.SecurityGroup(
            self,
            "DatabaseSecurityGroup",
            vpc=vpc,
            security_group_name=names.resource_name(config.name, "postgres"),
            description="OhMyCoins PostgreSQL: the Service stack admits the backend on 5432",
            allow_all_outbound=False,
        )
        self.database = self._database(vpc)
        self.rotation = self._rotation(vpc)
        self.cache = Cache(self, "Redis", config=config, vpc=vpc)
        self.app_secret = self._app_secret()
        outputs: dict[str, str | None] = {
            names.Outputs.DATABASE_INSTANCE_ID: self.database.instance_identifier,
            names.Outputs.DATABASE_SECRET_ARN: self.database_secret.secret_arn,
            names.Outputs.CACHE_REPLICATION_GROUP_ID: self.cache.replication_group_id,
            names.Outputs.APP_SECRET_ARN: self.app_secret.secret_arn,
        }
        for key in parked.outputs(config, names.DATA):
            value = outputs[key]
            assert value is not None, key  # parked.outputs leaves out what parked mode removes
            CfnOutput(self, key, value=value)

    @property
    def database_secret(self) -> secretsmanager.ISecret:
        secret = self.database.secret
        assert secret is not None  # generated credentials always create one
        return secret

    @property
    def app_database_secret(self) -> secretsmanager.ISecret:
        """What the tasks connect with: the app's own rotated user, else (rotation off) the
        master."""
        return self.database_secret if self.rotation is None else self.rotation.secret

    def _rotation(self, vpc: ec2.IVpc) -> DatabaseRotation | None:
        days = self.config.rds.credential_rotation_days
        if days is None:
            return None
        return DatabaseRotation(
            self,
            "DatabaseRotation",
            env_name=self.config.name,
            database=self.database,
            master_secret=self.database_secret,
            database_name=self.config.rds.database_name,
            port=POSTGRES_PORT,
            vpc=vpc,
            subnets=ec2.SubnetSelection(subnet_group_name=APP_SUBNETS),
            database_security_group=self.database_security_group,
            days=days,
            log_retention_days=self.config.log_retention_days,
        )

    def _database(self, vpc: ec2.IVpc) -> rds.DatabaseInstance:
        env, cfg = self.config.name, self.config.rds
        major = cfg.engine_version.split(".")[0]
        return rds.DatabaseInstance(
            self,
            "Database",
            instance_identifier=names.resource_name(env, "postgres"),
            engine=rds.DatabaseInstanceEngine.postgres(
                version=rds.PostgresEngineVersion.of(cfg.engine_version, major)
            ),
            instance_type=ec2.InstanceType(cfg.instance_class.removeprefix("db.")),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_group_name=DB_SUBNETS),
            security_groups=[self.database_security_group],
            port=POSTGRES_PORT,
            database_name=cfg.database_name,
            credentials=rds.Credentials.from_generated_secret(
                DB_ADMIN_USER, secret_name=names.resource_name(env, "postgres-credentials")
            ),
            multi_az=cfg.multi_az,
            storage_type=rds.StorageType.GP3,
            allocated_storage=cfg.allocated_storage_gib,
            max_allocated_storage=cfg.max_allocated_storage_gib,
            storage_encrypted=True,
            iam_authentication=True,
            backup_retention=Duration.days(cfg.backup_retention_days),
            copy_tags_to_snapshot=True,
            deletion_protection=cfg.deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT,
            enable_performance_insights=True,
            # The minor version is pinned: upgrades are deliberate changes of rds.engine_version.
            auto_minor_version_upgrade=False,
            cloudwatch_logs_exports=["postgresql"],
            # OS metrics (per-process CPU, memory, connections' load) every N seconds; 0 = off.
            monitoring_interval=Duration.seconds(cfg.enhanced_monitoring_seconds)
            if cfg.enhanced_monitoring_seconds
            else None,
        )

    def _app_secret(self) -> secretsmanager.Secret:
        """JSON with every key of names.APP_SECRET_KEYS; generated, so AWSCURRENT exists at once."""
        (generated,) = (key for key in names.APP_SECRET_KEYS if key not in names.API_KEY_NAMES)
        template = {key: names.PLACEHOLDER for key in names.API_KEY_NAMES}
        # Empty until the first `ops secrets rotate SECRET_KEY`; present so ECS can inject them.
        template |= {names.JWT_PREVIOUS_KEY: "", names.JWT_ROTATED_AT: ""}
        return secretsmanager.Secret(
            self,
            "AppSecret",
            secret_name=names.resource_name(self.config.name, "app"),
            description="OhMyCoins application secrets; set the API keys with `ops secrets set`",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(template),
                generate_string_key=generated,
                exclude_punctuation=True,
                password_length=64,
            ),
        )
