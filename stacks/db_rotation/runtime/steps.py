"""The four steps of a Secrets Manager rotation with alternating users, and the deferral.

The app connects as one of two login users (`<user>` and `<user>_clone`) that are both members of
a NOLOGIN owner role; each login runs as that role (`ALTER ROLE ... SET role`), so whatever
migrations create is owned by the role and usable by both. A rotation sets a new password on the
user the app is NOT using, tests it, then makes it current: tasks that still hold the other user
keep working until the next rotation, long after the services have been redeployed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

LOG = logging.getLogger(__name__)
CLONE_SUFFIX = "_clone"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
# Passwords go into SQL as literals: keep them to characters that need no thought anywhere.
EXCLUDE_CHARACTERS = "/@\"'\\:;,`$%&(){}[]<>|?#~^*=+!"
# The statuses in which the database answers; any other (stopped, starting, ...) defers.
AVAILABLE = "available"


class Sql(Protocol):
    """The one call the steps make on a connection (pg8000.native.Connection has it)."""

    def run(self, sql: str, **params: Any) -> list[list[Any]] | None: ...


Connect = Callable[[Mapping[str, Any]], AbstractContextManager[Sql]]


class RotationError(RuntimeError):
    """A step cannot proceed; the message names what is wrong, never a password."""


@dataclass(frozen=True, kw_only=True)
class Rotation:
    """What the steps work with: AWS clients, how to connect, and the owner role's name."""

    secrets: Any  # a Secrets Manager client
    connect: Connect
    owner_role: str
    literal: Callable[[str], str]
    identifier: Callable[[str], str]

    def value(self, arn: str, stage: str, token: str | None = None) -> dict[str, Any]:
        kwargs: dict[str, str] = {"SecretId": arn, "VersionStage": stage}
        if token is not None:
            kwargs["VersionId"] = token
        raw = self.secrets.get_secret_value(**kwargs)["SecretString"]
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise RotationError(f"{arn} ({stage}) is not a JSON object")
        return value


def alternate(username: str) -> str:
    """The other of the two login users."""
    return (
        username.removesuffix(CLONE_SUFFIX)
        if username.endswith(CLONE_SUFFIX)
        else (username + CLONE_SUFFIX)
    )


def create_secret(rotation: Rotation, arn: str, token: str) -> None:
    """AWSPENDING: the other user with a fresh password (kept if this token already has one)."""
    current = rotation.value(arn, "AWSCURRENT")
    try:
        rotation.value(arn, "AWSPENDING", token)
        return
    except rotation.secrets.exceptions.ResourceNotFoundException:
        pass
    password = rotation.secrets.get_random_password(
        PasswordLength=40, ExcludeCharacters=EXCLUDE_CHARACTERS
    )["RandomPassword"]
    pending = {**current, "username": alternate(str(current["username"])), "password": password}
    rotation.secrets.put_secret_value(
        SecretId=arn,
        ClientRequestToken=token,
        SecretString=json.dumps(pending),
        VersionStages=["AWSPENDING"],
    )
    LOG.info("createSecret: pending version %s for user %s", token, pending["username"])


def set_secret(rotation: Rotation, arn: str, token: str) -> None:
    """As the master: the owner role, the pending user in it, its password; adopt the master's
    tables."""
    pending = rotation.value(arn, "AWSPENDING", token)
    master = rotation.value(str(pending["masterarn"]), "AWSCURRENT")
    as_master = {**master, "dbname": pending["dbname"], "host": pending["host"]}
    role, user = rotation.identifier(rotation.owner_role), rotation.identifier(pending["username"])
    with rotation.connect(as_master) as db:
        if not db.run("SELECT 1 FROM pg_roles WHERE rolname = :name", name=rotation.owner_role):
            db.run(f"CREATE ROLE {role} NOLOGIN")
        # The master must be able to act as the role to hand objects over to it.
        db.run(f"GRANT {role} TO CURRENT_USER")
        if not db.run("SELECT 1 FROM pg_roles WHERE rolname = :name", name=pending["username"]):
            db.run(f"CREATE ROLE {user} LOGIN")
        db.run(f"ALTER ROLE {user} WITH LOGIN PASSWORD {rotation.literal(pending['password'])}")
        db.run(f"GRANT {role} TO {user}")
        db.run(f"ALTER ROLE {user} SET role = {role}")
        database = rotation.identifier(str(pending["dbname"]))
        db.run(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}")
        db.run(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}")
        for statement in _adoptions(db, role):
            db.run(statement)
    LOG.info("setSecret: user %s set in role %s", pending["username"], rotation.owner_role)


def _adoptions(db: Sql, role: str) -> list[str]:
    """ALTER ... OWNER statements for what the master owns in schema public (tables created
    before the app had its own user); sequences that belong to a column follow their table."""
    rows = db.run(
        """
        SELECT c.relkind, quote_ident(c.relname) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles
                                                     WHERE rolname = CURRENT_USER)
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid
                          AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
        """
    )
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    statements = [f"ALTER {kinds[kind]} public.{name} OWNER TO {role}" for kind, name in rows or []]
    types = db.run(
        """
        SELECT quote_ident(t.typname) FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype = 'e' AND t.typowner = (
            SELECT oid FROM pg_roles WHERE rolname = CURRENT_USER)
        """
    )
    return statements + [f"ALTER TYPE public.{name} OWNER TO {role}" for (name,) in types or []]


def test_secret(rotation: Rotation, arn: str, token: str) -> None:
    """Log in as the pending user: it must run as the owner role."""
    pending = rotation.value(arn, "AWSPENDING", token)
    with rotation.connect(pending) as db:
        rows = db.run("SELECT current_user")
    acting = rows[0][0] if rows else None
    if acting != rotation.owner_role:
        raise RotationError(f"{pending['username']} acts as {acting}, not {rotation.owner_role}")
    LOG.info("testSecret: %s logs in as %s", pending["username"], acting)


def finish_secret(rotation: Rotation, arn: str, token: str) -> bool:
    """Move AWSCURRENT to the token's version; False if it already was current."""
    described = rotation.secrets.describe_secret(SecretId=arn)
    current = None
    for version, stages in described.get("VersionIdsToStages", {}).items():
        if "AWSCURRENT" in stages:
            if version == token:
                LOG.info("finishSecret: %s is already AWSCURRENT", token)
                return False
            current = version
    rotation.secrets.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
        RemoveFromVersionId=current,
    )  # fmt: skip
    LOG.info("finishSecret: %s is now AWSCURRENT (was %s)", token, current)
    return True


def deferred_marker(arn: str, status: str, now: datetime | None = None) -> str:
    """The SSM marker's value: which secret waited, since when, and why (no secret value)."""
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return json.dumps({"secret": arn, "deferred_at": at, "database_status": status})
