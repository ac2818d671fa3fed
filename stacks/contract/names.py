"""Names shared by the stacks and `ops`: stack names, resource names and the stack-output contract.

This module imports nothing heavy so that `ops` can use it without loading the CDK.
"""

from __future__ import annotations

PROJECT = "ohmycoins"

NETWORK = "Network"
DATA = "Data"
SERVICE = "Service"
MONITORING = "Monitoring"
STACK_PARTS: tuple[str, ...] = (NETWORK, DATA, SERVICE, MONITORING)
# The scale schedule's own stack (envs with `schedule:`): never parked, so that a scheduled down
# can park the four stacks above and the scheduled up bring them back.
SCHEDULE = "Schedule"


def stack_name(env: str, part: str) -> str:
    """`OhMyCoins-<env>-<Part>`, e.g. `OhMyCoins-staging-Data`."""
    if part not in (*STACK_PARTS, SCHEDULE):
        known = ", ".join((*STACK_PARTS, SCHEDULE))
        raise ValueError(f"unknown stack part {part!r}; known: {known}")
    return f"OhMyCoins-{env}-{part}"


def stack_parts(*, scheduled: bool) -> tuple[str, ...]:
    """The parts an environment deploys, in order: the four, then Schedule if it has a schedule."""
    return (*STACK_PARTS, SCHEDULE) if scheduled else STACK_PARTS


def resource_name(env: str, *parts: str) -> str:
    """`ohmycoins-<env>-<part>-...`, the prefix of every physical name."""
    return "-".join((PROJECT, env, *parts))


def load_balancer_name(env: str) -> str:
    """The ALB's name (`ops park` and the parking schedule find it by name to unprotect it)."""
    return resource_name(env, "alb")


def alarm_name(env: str, alarm_id: str) -> str:
    """Alarm names are exactly `ohmycoins-<env>-<alarm-id>`."""
    return resource_name(env, alarm_id)


def ssm_prefix(env: str) -> str:
    """Root of every SSM parameter `ops` owns for an environment."""
    return f"/{PROJECT}/{env}/ops"


def scale_state_parameter(env: str) -> str:
    """Where `ops scale --to 0` saves what `--to restore` needs."""
    return f"{ssm_prefix(env)}/scale-state"


def scale_lock_parameter(env: str) -> str:
    """The lock that keeps two `ops` runs from scaling one environment at once."""
    return f"{ssm_prefix(env)}/scale-lock"


def rds_stop_parameter(env: str) -> str:
    """Set by `ops rds stop`: the database is meant to stay stopped (read by the RDS guard)."""
    return f"{ssm_prefix(env)}/rds-stop"


def schedule_parameter(env: str) -> str:
    """The scale schedule's skip and hold requests (`ops schedule skip|hold`)."""
    return f"{ssm_prefix(env)}/schedule"


def schedule_last_run_parameter(env: str) -> str:
    """The scheduled scale's last run and its result (written by the function only)."""
    return f"{ssm_prefix(env)}/schedule-last-run"


def db_rotation_deferred_parameter(env: str) -> str:
    """Set by the database rotation function when it deferred (database stopped); cleared by the
    next successful rotation, which `ops scale --to restore` starts."""
    return f"{ssm_prefix(env)}/db-rotation-deferred"


def db_rotation_function(env: str) -> str:
    """The function that rotates the app's database user."""
    return resource_name(env, "db-rotation")


def app_database_secret(env: str) -> str:
    """The app's own database user (rotated; its JSON names the master secret as `masterarn`)."""
    return resource_name(env, "postgres-app")


def cluster_name(env: str) -> str:
    """The ECS cluster of the services and collectors."""
    return resource_name(env, "cluster")


def scheduled_scale_function(env: str) -> str:
    """The function that runs `ops scale` on the schedule."""
    return resource_name(env, "scheduled-scale")


def scale_schedule_name(env: str, direction: str) -> str:
    """The EventBridge Scheduler schedule of one direction (up or down)."""
    return resource_name(env, "scale", direction)


class Outputs:
    """Stack output keys: the contract through which `ops` discovers every resource."""

    DATABASE_INSTANCE_ID = "DatabaseInstanceId"
    DATABASE_SECRET_ARN = "DatabaseSecretArn"
    CACHE_REPLICATION_GROUP_ID = "CacheReplicationGroupId"
    APP_SECRET_ARN = "AppSecretArn"
    CLUSTER_NAME = "ClusterName"
    BACKEND_SERVICE_NAME = "BackendServiceName"
    FRONTEND_SERVICE_NAME = "FrontendServiceName"
    LOAD_BALANCER_DNS_NAME = "LoadBalancerDnsName"
    PUBLIC_URL = "PublicUrl"  # https://<distribution or custom domain>; the same while parked
    DISTRIBUTION_ID = "DistributionId"  # the CloudFront distribution; absent with plain HTTP
    BACKEND_TARGET_GROUP_ARN = "BackendTargetGroupArn"
    FRONTEND_TARGET_GROUP_ARN = "FrontendTargetGroupArn"
    COLLECTOR_RULE_NAMES = "CollectorRuleNames"  # comma-separated; absent when there are none
    ALARM_TOPIC_ARN = "AlarmTopicArn"
    DASHBOARD_NAME = "DashboardName"


OUTPUTS_BY_STACK: dict[str, tuple[str, ...]] = {
    NETWORK: (),
    DATA: (
        Outputs.DATABASE_INSTANCE_ID,
        Outputs.DATABASE_SECRET_ARN,
        Outputs.CACHE_REPLICATION_GROUP_ID,
        Outputs.APP_SECRET_ARN,
    ),
    SERVICE: (
        Outputs.CLUSTER_NAME,
        Outputs.BACKEND_SERVICE_NAME,
        Outputs.FRONTEND_SERVICE_NAME,
        Outputs.PUBLIC_URL,
        Outputs.DISTRIBUTION_ID,
        Outputs.LOAD_BALANCER_DNS_NAME,
        Outputs.BACKEND_TARGET_GROUP_ARN,
        Outputs.FRONTEND_TARGET_GROUP_ARN,
        Outputs.COLLECTOR_RULE_NAMES,
    ),
    MONITORING: (Outputs.ALARM_TOPIC_ARN, Outputs.DASHBOARD_NAME),
}

# The two ECS services and the health path their target groups check.
BACKEND = "backend"
FRONTEND = "frontend"
SERVICES: tuple[str, ...] = (BACKEND, FRONTEND)
BACKEND_PORT = 8000
FRONTEND_PORT = 80
BACKEND_HEALTH_PATH = "/api/v1/utils/health-check/"
FRONTEND_HEALTH_PATH = "/healthz"
# Set by the CloudFront edge to the viewer's IP (overwriting any client value); the WAF's
# per-client rate rule counts it when the ALB is internal (stacks/waf.py).
CLIENT_IP_HEADER = "X-Viewer-Ip"
# Each service's outputs, by role.
SERVICE_NAME_OUTPUTS: dict[str, str] = {
    BACKEND: Outputs.BACKEND_SERVICE_NAME,
    FRONTEND: Outputs.FRONTEND_SERVICE_NAME,
}
TARGET_GROUP_ARN_OUTPUTS: dict[str, str] = {
    BACKEND: Outputs.BACKEND_TARGET_GROUP_ARN,
    FRONTEND: Outputs.FRONTEND_TARGET_GROUP_ARN,
}

# The collectors the backend image runs (`python -m app.collect <name>`) and the API key of each.
# The backend keeps its own copy (app.collect.registry, app.core.config: it ships on its own);
# tests/app/test_app_settings.py checks that the two agree.
COLLECTOR_API_KEYS: dict[str, str] = {
    "cryptopanic": "CRYPTOPANIC_API_KEY",
    "newscatcher": "NEWSCATCHER_API_KEY",
    "nansen": "NANSEN_API_KEY",
}
API_KEY_NAMES: tuple[str, ...] = tuple(COLLECTOR_API_KEYS.values())
COLLECTORS: tuple[str, ...] = tuple(COLLECTOR_API_KEYS)
# Keys of the app secret (JSON). The API keys start as PLACEHOLDER until an operator sets them.
JWT_SIGNING_KEY = "SECRET_KEY"
APP_SECRET_KEYS: tuple[str, ...] = (JWT_SIGNING_KEY, *API_KEY_NAMES)
# Written by `ops secrets rotate SECRET_KEY` (empty until then): the signing key before the last
# rotation and when it happened, so the backend still accepts tokens it signed for one lifetime.
JWT_PREVIOUS_KEY = "SECRET_KEY_PREVIOUS"
JWT_ROTATED_AT = "SECRET_KEY_ROTATED_AT"
# Every key of the app secret that ECS injects into the backend (a missing one fails task start).
APP_SECRET_INJECTED_KEYS: tuple[str, ...] = (*APP_SECRET_KEYS, JWT_PREVIOUS_KEY, JWT_ROTATED_AT)
PLACEHOLDER = "CHANGE_ME_PLACEHOLDER"
# The app's database login users (the second is `<user>_clone`; they alternate at each rotation)
# and the NOLOGIN role both act as, which owns the schema's objects.
APP_DB_USER = "ohmycoins_app"
APP_DB_OWNER_ROLE = "ohmycoins_owner"
