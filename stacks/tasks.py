"""Task definitions of the two services: images, logging, and what ECS injects into containers."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from cdk_app.config import EnvConfig
from stacks.cache import REDIS_PORT
from stacks.contract import connections, names
from stacks.data import POSTGRES_PORT, DataStack
from stacks.edge import VIEWER_ADDRESS_HEADER
from stacks.log_groups import log_group

APP_SRC = Path(__file__).resolve().parent.parent / "app_src"
# Where the backend image keeps the RDS CA bundle (app_src/backend/Dockerfile sets PGSSLROOTCERT).
RDS_CA_BUNDLE = "/etc/ssl/certs/rds-global-bundle.pem"
# Neither image has curl: the backend probes with its own Python, nginx (alpine) with busybox wget.
HEALTH_COMMANDS: dict[str, list[str]] = {
    names.BACKEND: [
        "CMD",
        "python",
        "-c",
        "import urllib.request; urllib.request.urlopen("
        f"'http://127.0.0.1:{names.BACKEND_PORT}{names.BACKEND_HEALTH_PATH}', timeout=4)",
    ],
    names.FRONTEND: [
        "CMD-SHELL",
        f"wget -q -O /dev/null http://127.0.0.1:{names.FRONTEND_PORT}{names.FRONTEND_HEALTH_PATH}"
        " || exit 1",
    ],
}
# The backend migrates the database before it listens (app.prestart): failures count after this.
HEALTH_START_SECONDS = {names.BACKEND: 120, names.FRONTEND: 15}


def health_check(service: str) -> ecs.HealthCheck:
    """The container health check ECS runs (a Dockerfile HEALTHCHECK is ignored by ECS).

    Only services act on it (an unhealthy task is replaced); the collectors and `ops migrate`,
    standalone tasks from the backend's definition that never listen, run to completion regardless.
    """
    return ecs.HealthCheck(
        command=HEALTH_COMMANDS[service],
        interval=Duration.seconds(30),
        timeout=Duration.seconds(5),
        retries=3,
        start_period=Duration.seconds(HEALTH_START_SECONDS[service]),
    )


def image(config: EnvConfig, service: str) -> ecs.ContainerImage:
    """The configured public image URI, else a Docker image asset built from app_src/<service>."""
    uri = config.services[service].image_uri
    if uri is not None:
        return ecs.ContainerImage.from_registry(uri)
    return ecs.ContainerImage.from_asset(
        str(APP_SRC / service), platform=ecr_assets.Platform.LINUX_AMD64
    )


def backend_environment(config: EnvConfig, data: DataStack) -> dict[str, str]:
    """Plain settings only; nothing secret (REDIS_URL carries no password)."""
    environment = {
        "ENVIRONMENT": config.name,
        "POSTGRES_SERVER": data.database.db_instance_endpoint_address,
        "POSTGRES_PORT": str(POSTGRES_PORT),
        "POSTGRES_DB": config.rds.database_name,
        # TLS with the server's certificate and name checked against the RDS CA bundle.
        "POSTGRES_SSLMODE": "verify-full",
        "PGSSLROOTCERT": RDS_CA_BUNDLE,
        # uvicorn's worker count: one process per whole vCPU (counted in the connection budget).
        "WEB_CONCURRENCY": str(connections.workers(config.services[names.BACKEND].cpu)),
    }
    if config.edge.cloudfront:  # the ALB sees CloudFront; the viewer's address is in this header
        environment["CLIENT_ADDRESS_HEADER"] = VIEWER_ADDRESS_HEADER
    if data.cache.host is not None:  # no Redis while parked (no task runs then either)
        environment["REDIS_URL"] = f"rediss://{data.cache.host}:{REDIS_PORT}/0"
    return environment


def backend_secrets(data: DataStack) -> dict[str, ecs.Secret]:
    """Every secret reaches the container through ECS `secrets`, resolved at task start."""
    secrets = {
        "POSTGRES_USER": ecs.Secret.from_secrets_manager(data.app_database_secret, "username"),
        "POSTGRES_PASSWORD": ecs.Secret.from_secrets_manager(data.app_database_secret, "password"),
        "REDIS_PASSWORD": ecs.Secret.from_secrets_manager(data.cache.auth_secret),
    }
    for key in names.APP_SECRET_INJECTED_KEYS:
        secrets[key] = ecs.Secret.from_secrets_manager(data.app_secret, key)
    return secrets


def task_definition(
    scope: Construct,
    *,
    config: EnvConfig,
    service: str,
    port: int,
    environment: dict[str, str] | None = None,
    secrets: dict[str, ecs.Secret] | None = None,
) -> ecs.FargateTaskDefinition:
    """One Fargate task definition with a single essential container named after the service."""
    sizing = config.services[service]
    definition = ecs.FargateTaskDefinition(
        scope,
        f"{service.capitalize()}Task",
        family=names.resource_name(config.name, service),
        cpu=sizing.cpu,
        memory_limit_mib=sizing.memory_mib,
        runtime_platform=ecs.RuntimePlatform(
            cpu_architecture=ecs.CpuArchitecture.X86_64,
            operating_system_family=ecs.OperatingSystemFamily.LINUX,
        ),
    )
    logs = log_group(scope, f"{service.capitalize()}Logs", retention_days=config.log_retention_days)
    definition.add_container(
        service,
        container_name=service,
        image=image(config, service),
        port_mappings=[ecs.PortMapping(container_port=port)],
        environment=environment,
        secrets=secrets,
        logging=ecs.LogDrivers.aws_logs(stream_prefix=service, log_group=logs),
        health_check=health_check(service),
    )
    return definition
