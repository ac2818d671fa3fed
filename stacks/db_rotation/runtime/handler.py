"""The rotation function's entry point: Secrets Manager's event in, one step run.

Environment: OHMYCOINS_DB_INSTANCE (whose status decides whether to defer), OHMYCOINS_OWNER_ROLE,
OHMYCOINS_DEFERRED_PARAMETER (the SSM marker of a deferred rotation), OHMYCOINS_CLUSTER and
OHMYCOINS_REDEPLOY_SERVICES (comma-separated: redeployed after a rotation), OHMYCOINS_DB_CA_FILE
(optional: the CA bundle that verifies the database's certificate).
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from . import steps

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)
# The Lambda Python runtime's CA bundle, which carries the Amazon RDS CAs (AWS's own rotation
# functions verify against it too); OHMYCOINS_DB_CA_FILE names another.
LAMBDA_CA_FILE = "/etc/pki/tls/cert.pem"


@dataclass(frozen=True, kw_only=True)
class Hooks:
    """What a step needs beyond the secret: the database's status, the marker, the redeploy."""

    database_status: Callable[[], str]
    record_deferral: Callable[[str], None]
    clear_deferral: Callable[[], None]
    redeploy: Callable[[], None]


def run_step(rotation: steps.Rotation, event: Mapping[str, Any], hooks: Hooks) -> str:
    """Run the event's step; returns what happened ("done", "deferred" or "nothing pending")."""
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if step not in steps.STEPS:
        raise steps.RotationError(f"unknown step {step!r}")
    if step == "createSecret":
        status = hooks.database_status()
        if status != steps.AVAILABLE:
            # Stopped (scaled to zero, parked) or starting: AWSCURRENT stays as it is, nothing
            # fails or pages; `ops scale --to restore` rotates once the database is back.
            LOG.warning("rotation deferred: database is %s; AWSCURRENT unchanged", status)
            hooks.record_deferral(steps.deferred_marker(arn, status))
            return "deferred"
        steps.create_secret(rotation, arn, token)
        return "done"
    try:
        rotation.value(arn, "AWSPENDING", token)
    except rotation.secrets.exceptions.ResourceNotFoundException:
        if step == "finishSecret" and _is_current(rotation, arn, token):
            pass  # a retried finishSecret: redeploy again below
        else:
            LOG.info("%s: no pending version %s (deferred): nothing to do", step, token)
            return "nothing pending"
    if step == "setSecret":
        steps.set_secret(rotation, arn, token)
    elif step == "testSecret":
        steps.test_secret(rotation, arn, token)
    else:
        steps.finish_secret(rotation, arn, token)
        hooks.clear_deferral()
        hooks.redeploy()  # no task keeps the user whose password the next rotation changes
    return "done"


def _is_current(rotation: steps.Rotation, arn: str, token: str) -> bool:
    stages = rotation.secrets.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    return "AWSCURRENT" in stages.get(token, [])


def ca_file(env: Mapping[str, str]) -> str | None:
    """The CA bundle that verifies the database: the configured one, else the runtime's, else
    the system default (None)."""
    configured = env.get("OHMYCOINS_DB_CA_FILE")
    if configured:
        return configured
    return LAMBDA_CA_FILE if os.path.isfile(LAMBDA_CA_FILE) else None


@contextmanager
def pg8000_connection(secret: Mapping[str, Any]) -> Iterator[steps.Sql]:
    """A pg8000 connection over TLS with the server's certificate and name verified."""
    import pg8000.native

    context = ssl.create_default_context(cafile=ca_file(os.environ))
    connection = pg8000.native.Connection(
        user=str(secret["username"]),
        password=str(secret["password"]),
        host=str(secret["host"]),
        port=int(secret.get("port", 5432)),
        database=str(secret["dbname"]),
        ssl_context=context,
        timeout=10,
    )
    try:
        yield connection
    finally:
        connection.close()


def _aws_hooks(env: Mapping[str, str]) -> Hooks:
    import boto3

    rds, ssm, ecs = boto3.client("rds"), boto3.client("ssm"), boto3.client("ecs")
    parameter = env["OHMYCOINS_DEFERRED_PARAMETER"]

    def database_status() -> str:
        instance = env["OHMYCOINS_DB_INSTANCE"]
        found = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"]
        return str(found[0]["DBInstanceStatus"])

    def record(marker: str) -> None:
        ssm.put_parameter(Name=parameter, Value=marker, Type="String", Overwrite=True)

    def clear() -> None:
        with suppress(ssm.exceptions.ParameterNotFound):
            ssm.delete_parameter(Name=parameter)

    def redeploy() -> None:
        cluster = env["OHMYCOINS_CLUSTER"]
        for service in filter(None, env.get("OHMYCOINS_REDEPLOY_SERVICES", "").split(",")):
            try:
                ecs.update_service(cluster=cluster, service=service, forceNewDeployment=True)
                LOG.info("redeploying %s", service)
            except (
                ecs.exceptions.ServiceNotFoundException,
                ecs.exceptions.ClusterNotFoundException,
                ecs.exceptions.ServiceNotActiveException,
            ):
                LOG.info("%s is not running (parked): nothing to redeploy", service)

    return Hooks(
        database_status=database_status, record_deferral=record, clear_deferral=clear,
        redeploy=redeploy,
    )  # fmt: skip


def handler(event: Mapping[str, Any], _context: object) -> str:
    """Lambda's entry point."""
    import boto3
    import pg8000.native

    rotation = steps.Rotation(
        secrets=boto3.client("secretsmanager"),
        connect=pg8000_connection,
        owner_role=os.environ["OHMYCOINS_OWNER_ROLE"],
        literal=pg8000.native.literal,
        identifier=pg8000.native.identifier,
    )
    return run_step(rotation, event, _aws_hooks(os.environ))
