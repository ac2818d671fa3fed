"""Catch up on a rotation of the app's database user that waited for a stopped database.

The rotation function defers while the database is stopped (it leaves AWSCURRENT and sets an SSM
marker); `ops scale --to restore` calls `catch_up` once the database is back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ops.aws import parameters
from ops.aws.session import Aws
from ops.errors import error_code
from stacks.contract import names


def overdue(aws: Aws, env: str, *, now: datetime | None = None) -> str | None:
    """Why a rotation is due now: a deferral marker, or a missed date; None when not due or when
    the environment does not rotate (no app user secret, or rotation off)."""
    from botocore.exceptions import ClientError

    try:
        described = aws.client("secretsmanager").describe_secret(
            SecretId=names.app_database_secret(env)
        )
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    if not described.get("RotationEnabled"):
        return None
    if parameters.read(aws, names.db_rotation_deferred_parameter(env)) is not None:
        return "deferred while the database was stopped"
    due = described.get("NextRotationDate")
    if due is not None and due <= (now or datetime.now(UTC)):
        return f"due since {due.isoformat(timespec='minutes')}"
    return None


def catch_up(aws: Aws, env: str, *, dry_run: bool, now: datetime | None = None) -> str:
    """Start the rotation when it is overdue; returns what was done (never a secret value)."""
    why = overdue(aws, env, now=now)
    if why is None:
        return "not due"
    if dry_run:
        return f"would rotate now ({why})"
    # No rules given: the secret's own function and schedule; the rotation runs asynchronously.
    aws.client("secretsmanager").rotate_secret(SecretId=names.app_database_secret(env))
    return f"rotation started ({why})"
