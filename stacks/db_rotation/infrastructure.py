"""The app's database user secret, rotated on a schedule by the project's own function.

The function's bundle is its `runtime` package plus pure-Python pg8000 (and what it imports),
copied from the synth environment by a local bundler: no Docker, no layer from elsewhere. It sits
in the app subnets (it needs the database and, through NAT, the AWS APIs) and relies on the boto3
of the Lambda Python runtime.
"""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

from aws_cdk import (
    ArnFormat,
    CfnResource,
    Duration,
    Stack,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.contract import names
from stacks.db_rotation.runtime.steps import EXCLUDE_CHARACTERS
from stacks.local_bundle import IGNORE, copied_code
from stacks.log_groups import log_group

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
PACKAGE = "rotation_runtime"  # the runtime package's name inside the bundle
HANDLER = f"{PACKAGE}.handler.handler"
# pg8000 and what it imports at run time; their dist-info too (scramp reads its own version).
DRIVER_DISTRIBUTIONS = ("pg8000", "scramp", "asn1crypto", "python-dateutil", "six")


def _copy_distribution(name: str, out: Path) -> None:
    """Every file a distribution installed (its modules and its dist-info), as installed."""
    dist = metadata.distribution(name)
    for file in dist.files or ():
        source = Path(str(dist.locate_file(file)))
        if "__pycache__" in file.parts or file.suffix == ".pyc" or not source.is_file():
            continue
        if file.parts[0] == ".." or file.parts[0].endswith(".data"):
            continue  # scripts and data outside site-packages
        target = out / Path(*file.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def copy_runtime(out: Path) -> None:
    """The bundle: the runtime package and the driver's distributions."""
    shutil.copytree(RUNTIME_DIR, out / PACKAGE, ignore=IGNORE)
    for name in DRIVER_DISTRIBUTIONS:
        _copy_distribution(name, out)


def function_code() -> lambda_.Code:
    """The bundled runtime + pg8000, hashed by content."""
    return copied_code(RUNTIME_DIR, copy_runtime)


class DatabaseRotation(Construct):
    """The app user's secret, its rotation schedule, the function and its least-privilege role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        database: rds.DatabaseInstance,
        master_secret: secretsmanager.ISecret,
        database_name: str,
        port: int,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        database_security_group: ec2.ISecurityGroup,
        days: int,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        template = {
            "engine": "postgres",
            "host": database.db_instance_endpoint_address,
            "port": port,
            "dbname": database_name,
            "username": names.APP_DB_USER,
            "masterarn": master_secret.secret_arn,
        }
        # The generated password is never set in the database: the first rotation (at once, on
        # creation) creates the users and makes its own version current.
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=names.app_database_secret(env_name),
            description=f"OhMyCoins {env_name}: the app's own database user, rotated",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=stack.to_json_string(template),
                generate_string_key="password",
                exclude_characters=EXCLUDE_CHARACTERS,
                password_length=40,
            ),
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            security_group_name=names.resource_name(env_name, "db-rotation"),
            description="OhMyCoins database rotation function: PostgreSQL and the AWS APIs",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the AWS APIs"
        )
        self.security_group.add_egress_rule(
            database_security_group, ec2.Port.tcp(port), "PostgreSQL"
        )
        database_security_group.add_ingress_rule(
            self.security_group, ec2.Port.tcp(port), "PostgreSQL from the rotation function"
        )
        logs = log_group(
            self,
            "Logs",
            name=f"/aws/lambda/{names.db_rotation_function(env_name)}",
            retention_days=log_retention_days,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Rotates {env_name}'s app database user; this environment only",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSLambdaVPCAccessExecutionRole"
                )
            ],
        )
        logs.grant_write(self.role)
        master_secret.grant_read(self.role)
        parameter = names.db_rotation_deferred_parameter(env_name)
        cluster = names.cluster_name(env_name)
        backend = names.resource_name(env_name, names.BACKEND)
        for actions, resource in (
            (["rds:DescribeDBInstances"], database.instance_arn),
            (
                ["ssm:PutParameter", "ssm:DeleteParameter"],
                stack.format_arn(
                    service="ssm",
                    resource="parameter",
                    resource_name=parameter.lstrip("/"),
                    arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                ),
            ),
            (
                ["ecs:UpdateService"],
                stack.format_arn(
                    service="ecs",
                    resource="service",
                    resource_name=f"{cluster}/{backend}",
                    arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                ),
            ),
        ):
            self.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[resource]))
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=names.db_rotation_function(env_name),
            description=f"Rotates {env_name}'s app database user (alternating users)",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler=HANDLER,
            code=function_code(),
            timeout=Duration.minutes(2),
            memory_size=256,
            role=self.role,
            log_group=logs,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            environment={
                "OHMYCOINS_DB_INSTANCE": database.instance_identifier,
                "OHMYCOINS_OWNER_ROLE": names.APP_DB_OWNER_ROLE,
                "OHMYCOINS_DEFERRED_PARAMETER": parameter,
                "OHMYCOINS_CLUSTER": cluster,
                "OHMYCOINS_REDEPLOY_SERVICES": backend,
            },
        )
        # CDK adds DependsOn the role that the Role GetAtt already implies (cfn-lint W3005).
        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        function = self.function.node.default_child
        assert isinstance(policy, CfnResource) and isinstance(function, lambda_.CfnFunction)
        function.add_override("DependsOn", [stack.get_logical_id(policy)])
        self.schedule = self.secret.add_rotation_schedule(
            "Schedule",
            rotation_lambda=self.function,
            automatically_after=Duration.days(days),
        )
        # Only Secrets Manager on behalf of this account may invoke it (confused deputy).
        for child in self.function.node.children:
            if isinstance(child, lambda_.CfnPermission) and child.principal.startswith(
                "secretsmanager"
            ):
                child.source_account = stack.account
