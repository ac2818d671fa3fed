"""The database rotation function's four steps, in-process, against the tests' real PostgreSQL.

Secrets Manager is moto; the master is a non-superuser with CREATEROLE that owns the database, as
on RDS. The local AWS cannot run the function itself (no Lambda runtime that reaches the database).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
import pg8000.native
import pytest
from backend_testenv import APP_ENV, admin_connect
from moto import mock_aws

from stacks.db_rotation.runtime import handler, steps

PID = os.getpid()
MASTER, DB, OWNER, USER = (f"rot_{part}_{PID}" for part in ("master", "db", "owner", "app"))
MASTER_PASSWORD = "master-" + uuid.uuid4().hex
HOST, PORT = APP_ENV["POSTGRES_SERVER"], int(APP_ENV["POSTGRES_PORT"])


@contextmanager
def plain(secret: Mapping[str, Any]) -> Iterator[pg8000.native.Connection]:
    """The loopback server has no TLS: the same connection as the function's, without it."""
    connection = pg8000.native.Connection(
        user=secret["username"], password=secret["password"], host=secret["host"],
        port=int(secret["port"]), database=secret["dbname"], timeout=10,
    )  # fmt: skip
    try:
        yield connection
    finally:
        connection.close()


def _drop() -> None:
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        for role in (USER, USER + steps.CLONE_SUFFIX, OWNER, MASTER):
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def database() -> Iterator[None]:
    """A database owned by a CREATEROLE master, with a table the master created (as before)."""
    _drop()
    with admin_connect() as conn:
        conn.execute(f"CREATE ROLE \"{MASTER}\" LOGIN CREATEROLE PASSWORD '{MASTER_PASSWORD}'")
        conn.execute(f'CREATE DATABASE "{DB}" OWNER "{MASTER}"')
    master = {"username": MASTER, "password": MASTER_PASSWORD, "host": HOST, "port": PORT,
              "dbname": DB}  # fmt: skip
    with plain(master) as db:
        db.run("CREATE TABLE coins (id serial PRIMARY KEY, symbol text NOT NULL)")
        db.run("INSERT INTO coins (symbol) VALUES ('BTC')")
    yield
    _drop()


class Recorder:
    """Hooks that record what the function would do in AWS beyond Secrets Manager."""

    def __init__(self, status: str = "available") -> None:
        self.status = status
        self.markers: list[str] = []
        self.cleared = 0
        self.redeploys = 0

    def hooks(self) -> handler.Hooks:
        def clear() -> None:
            self.cleared += 1

        def redeploy() -> None:
            self.redeploys += 1

        return handler.Hooks(
            database_status=lambda: self.status, record_deferral=self.markers.append,
            clear_deferral=clear, redeploy=redeploy,
        )  # fmt: skip


@pytest.fixture
def aws(database: None) -> Iterator[tuple[Any, str]]:
    """moto's Secrets Manager with the master secret and the app user's secret."""
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="ap-southeast-2")
        master_arn = sm.create_secret(
            Name="master", SecretString=json.dumps(
                {"username": MASTER, "password": MASTER_PASSWORD, "host": HOST, "port": PORT,
                 "dbname": "postgres", "engine": "postgres"})
        )["ARN"]  # fmt: skip
        app = {"engine": "postgres", "host": HOST, "port": PORT, "dbname": DB, "username": USER,
               "password": "never-set-in-the-database", "masterarn": master_arn}  # fmt: skip
        yield sm, sm.create_secret(Name="app", SecretString=json.dumps(app))["ARN"]


def _rotation(sm: Any) -> steps.Rotation:
    return steps.Rotation(
        secrets=sm, connect=plain, owner_role=OWNER, literal=pg8000.native.literal,
        identifier=pg8000.native.identifier,
    )  # fmt: skip


def _rotate(sm: Any, arn: str, recorder: Recorder) -> list[str]:
    token = str(uuid.uuid4())
    return [
        handler.run_step(
            _rotation(sm),
            {"SecretId": arn, "ClientRequestToken": token, "Step": step},
            recorder.hooks(),
        )  # fmt: skip
        for step in steps.STEPS
    ]


def _current(sm: Any, arn: str) -> dict[str, Any]:
    """AWSCURRENT, named: ECS reads that stage (moto's unnamed default lags behind a rotation)."""
    value = sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
    return dict(json.loads(value))


def test_first_rotation_creates_the_user_adopts_the_tables_and_redeploys(aws) -> None:
    sm, arn = aws
    recorder = Recorder()
    assert _rotate(sm, arn, recorder) == ["done"] * 4
    current = _current(sm, arn)
    assert current["username"] == USER + steps.CLONE_SUFFIX
    with plain(current) as db:
        assert db.run("SELECT current_user") == [[OWNER]]
        assert db.run("SELECT symbol FROM coins") == [["BTC"]]
        db.run("INSERT INTO coins (symbol) VALUES ('ETH')")  # the serial's sequence came along
        db.run("CREATE TABLE news (id int)")  # what a migration creates belongs to the role
        assert db.run("SELECT tableowner FROM pg_tables WHERE tablename = 'news'") == [[OWNER]]
    assert recorder.redeploys == 1 and recorder.cleared == 1 and recorder.markers == []


def test_the_next_rotation_alternates_and_the_old_user_works_until_the_one_after(aws) -> None:
    sm, arn = aws
    _rotate(sm, arn, Recorder())
    first = _current(sm, arn)
    with plain(first) as db:
        db.run("CREATE TABLE prices (id int)")
    _rotate(sm, arn, Recorder())
    second = _current(sm, arn)
    assert second["username"] == USER and second["password"] != first["password"]
    # A task started before the redeploy still logs in as the previous user.
    for secret in (first, second):
        with plain(secret) as db:
            assert db.run("SELECT count(*) FROM prices") == [[0]]
    _rotate(sm, arn, Recorder())
    # The third rotation changed the first user's password.
    with pytest.raises(pg8000.native.DatabaseError), plain(first) as db:
        db.run("SELECT 1")


def test_a_stopped_database_defers_without_failing_and_leaves_awscurrent(aws) -> None:
    sm, arn = aws
    before = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    recorder = Recorder(status="stopped")
    assert _rotate(sm, arn, recorder) == ["deferred"] + ["nothing pending"] * 3
    assert sm.describe_secret(SecretId=arn)["VersionIdsToStages"] == before
    (marker,) = recorder.markers
    assert json.loads(marker)["database_status"] == "stopped"
    assert json.loads(marker)["secret"] == arn and "password" not in marker
    assert recorder.redeploys == 0


def test_a_wrong_master_password_fails_set_and_changes_nothing(aws) -> None:
    sm, arn = aws
    master_arn = _current(sm, arn)["masterarn"]
    wrong = {**_current(sm, master_arn), "password": "wrong"}
    sm.put_secret_value(SecretId=master_arn, SecretString=json.dumps(wrong))
    recorder = Recorder()
    token = str(uuid.uuid4())
    event = {"SecretId": arn, "ClientRequestToken": token}
    handler.run_step(_rotation(sm), {**event, "Step": "createSecret"}, recorder.hooks())
    with pytest.raises(pg8000.native.DatabaseError):
        handler.run_step(_rotation(sm), {**event, "Step": "setSecret"}, recorder.hooks())
    assert _current(sm, arn)["username"] == USER  # AWSCURRENT untouched
    assert recorder.redeploys == 0


def test_unknown_step_is_refused(aws) -> None:
    sm, arn = aws
    event = {"SecretId": arn, "ClientRequestToken": "t", "Step": "dropSecret"}
    with pytest.raises(steps.RotationError, match="unknown step"):
        handler.run_step(_rotation(sm), event, Recorder().hooks())


def test_the_database_certificate_is_verified_against_a_named_bundle(tmp_path) -> None:
    bundle = tmp_path / "rds.pem"
    assert handler.ca_file({"OHMYCOINS_DB_CA_FILE": str(bundle)}) == str(bundle)
    expected = handler.LAMBDA_CA_FILE if os.path.isfile(handler.LAMBDA_CA_FILE) else None
    assert handler.ca_file({}) == expected


def test_alternate_toggles_the_suffix() -> None:
    assert steps.alternate("ohmycoins_app") == "ohmycoins_app_clone"
    assert steps.alternate("ohmycoins_app_clone") == "ohmycoins_app"


def test_a_rotation_under_load_fails_no_request_and_migrations_run_as_the_app_user(
    aws, tmp_path
) -> None:
    """The backend serves (readiness touches PostgreSQL) and new logins keep coming, as new tasks
    and pool connections would, while the next rotation runs: nothing fails."""
    import subprocess
    import sys
    import threading
    import time

    import httpx
    from backend_testenv import BACKEND, backend_process

    sm, arn = aws
    _rotate(sm, arn, Recorder())
    first = _current(sm, arn)
    as_app = {"POSTGRES_DB": DB, "POSTGRES_USER": first["username"],
              "POSTGRES_PASSWORD": first["password"]}  # fmt: skip
    # `ops migrate` is this command in a fresh task, as the app user.
    done = subprocess.run(
        [sys.executable, "-m", "app.prestart"], cwd=BACKEND, env={**os.environ, **as_app},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with plain(first) as db:
        owners = {row[0] for row in db.run("SELECT DISTINCT tableowner FROM pg_tables "
                                           "WHERE schemaname = 'public'") or []}  # fmt: skip
    assert owners == {OWNER}  # the migrations' tables and the adopted one
    failures: list[str] = []
    counts = {"requests": 0, "logins": 0}
    stop = threading.Event()
    with backend_process(as_app, tmp_path / "backend.log") as url:

        def requests() -> None:
            with httpx.Client(timeout=10) as client:
                while not stop.is_set():
                    response = client.get(f"{url}/api/v1/utils/ready")
                    counts["requests"] += 1
                    if response.status_code != 200:
                        failures.append(f"ready: {response.status_code} {response.text}")

        def logins() -> None:
            while not stop.is_set():
                try:
                    with plain(first) as db:
                        db.run("SELECT count(*) FROM coins")
                    counts["logins"] += 1
                except Exception as exc:  # any failure is what this test is about
                    failures.append(f"login: {exc}")

        workers = [threading.Thread(target=work) for work in (requests, requests, logins)]
        for worker in workers:
            worker.start()
        time.sleep(0.5)
        _rotate(sm, arn, Recorder())  # the other user gets a new password and becomes current
        time.sleep(0.5)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    assert failures == []
    assert counts["requests"] > 10 and counts["logins"] > 3, counts
    second = _current(sm, arn)
    assert second["username"] != first["username"]
    # The redeployed backend connects as the new current user.
    redeployed = {**as_app, "POSTGRES_USER": second["username"],
                  "POSTGRES_PASSWORD": second["password"]}  # fmt: skip
    with backend_process(redeployed, tmp_path / "redeployed.log") as url:
        assert httpx.get(f"{url}/api/v1/utils/ready", timeout=10).status_code == 200
