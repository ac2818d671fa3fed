"""scripts/services.sh: a fresh instance from nothing, idempotent start, password auth, stop."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from backend_testenv import ROOT, SERVICES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [str(SERVICES), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def instance():
    """Settings for a second, private pair of servers under .local/ (reachable by `postgres`)."""
    (ROOT / ".local").mkdir(exist_ok=True)
    state = tempfile.mkdtemp(prefix="services-test-", dir=ROOT / ".local")
    env = {
        "OHMYCOINS_SERVICES_DIR": state,
        "OHMYCOINS_PG_PORT": str(_free_port()),
        "OHMYCOINS_REDIS_PORT": str(_free_port()),
        "CI": "true",
    }
    yield env
    run(env, "stop")
    shutil.rmtree(state, ignore_errors=True)


def test_fresh_start_is_idempotent_and_uses_passwords(instance) -> None:
    import psycopg
    import redis

    first = run(instance, "start")
    assert first.returncode == 0, first.stderr
    assert "initdb" in first.stderr
    second = run(instance, "start")
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stderr and "initdb" not in second.stderr
    status = run(instance, "status").stdout
    assert f"postgresql: running on 127.0.0.1:{instance['OHMYCOINS_PG_PORT']}" in status
    env = dict(line.split("=", 1) for line in run(instance, "env").stdout.splitlines())
    password = Path(env["POSTGRES_PASSWORD_FILE"]).read_text().strip()
    assert password not in first.stdout + first.stderr
    common = {"host": "127.0.0.1", "port": int(env["POSTGRES_PORT"]), "user": "postgres"}
    with psycopg.connect(dbname="postgres", password=password, **common) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dbname="postgres", password="wrong", **common)
    redis_password = Path(env["REDIS_PASSWORD_FILE"]).read_text().strip()
    client = redis.Redis(host="127.0.0.1", port=int(env["REDIS_PORT"]), password=redis_password)
    assert client.ping() is True
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=int(env["REDIS_PORT"]), password="wrong").ping()
    client.close()
    assert run(instance, "stop").returncode == 0
    assert run(instance, "status").stdout.split() == [
        "postgresql:",
        "stopped",
        "redis:",
        "stopped",
    ]


def test_unknown_command_is_a_usage_error() -> None:
    done = run({}, "frobnicate")
    assert done.returncode == 2
    assert "usage" in done.stderr
