"""The app tests' environment: real loopback PostgreSQL and Redis from scripts/services.sh.

Importing this module starts the servers (idempotent) and sets the app's environment variables,
so it must be imported before anything imports the app (its settings are read once). Each test
run gets a database and a Redis instance of its own, so runs in parallel do not disturb each other.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "app_src" / "backend"
SERVICES = ROOT / "scripts" / "services.sh"
TEST_DB_PREFIX = "ohmycoins_test_"
TEST_DB = f"{TEST_DB_PREFIX}{os.getpid()}"
PASSWORD = "correct-horse-battery"
if str(BACKEND) not in sys.path:
    sys.path.insert(0, str(BACKEND))


def services(*args: str, env: dict[str, str] | None = None) -> str:
    """Run scripts/services.sh (env: extra variables, e.g. another instance); returns stdout."""
    done = subprocess.run(
        [str(SERVICES), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(f"services.sh {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


services("start")
SERVICE_ENV = _parse_env(services("env"))
PG_PASSWORD = Path(SERVICE_ENV["POSTGRES_PASSWORD_FILE"]).read_text().strip()

# This run's own Redis (stopped and removed at exit).
RUN_REDIS_ENV = {
    "OHMYCOINS_SERVICES_DIR": str(ROOT / ".local" / f"test-run-{os.getpid()}"),
    "OHMYCOINS_REDIS_PORT": str(free_port()),
}
services("start-redis", env=RUN_REDIS_ENV)
RUN_REDIS = _parse_env(services("env", env=RUN_REDIS_ENV))
REDIS_PASSWORD = Path(RUN_REDIS["REDIS_PASSWORD_FILE"]).read_text().strip()


@atexit.register
def _stop_run_redis() -> None:
    subprocess.run(
        [str(SERVICES), "stop-redis"],
        env={**os.environ, **RUN_REDIS_ENV},
        capture_output=True,
        check=False,
    )
    shutil.rmtree(RUN_REDIS_ENV["OHMYCOINS_SERVICES_DIR"], ignore_errors=True)


APP_ENV = {
    "ENVIRONMENT": "test",
    "SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
    "POSTGRES_SERVER": SERVICE_ENV["POSTGRES_SERVER"],
    "POSTGRES_PORT": SERVICE_ENV["POSTGRES_PORT"],
    "POSTGRES_USER": SERVICE_ENV["POSTGRES_USER"],
    "POSTGRES_PASSWORD": PG_PASSWORD,
    "POSTGRES_DB": TEST_DB,
    "REDIS_URL": f"redis://{RUN_REDIS['REDIS_HOST']}:{RUN_REDIS['REDIS_PORT']}/0",
    "REDIS_PASSWORD": REDIS_PASSWORD,
    "RATE_LIMIT_FAIL_OPEN": "true",
}
os.environ.update(APP_ENV)


def admin_connect(dbname: str = "postgres"):
    """An autocommit psycopg connection as the server's superuser."""
    import psycopg

    return psycopg.connect(
        host=APP_ENV["POSTGRES_SERVER"],
        port=int(APP_ENV["POSTGRES_PORT"]),
        user=APP_ENV["POSTGRES_USER"],
        password=PG_PASSWORD,
        dbname=dbname,
        autocommit=True,
    )


def recreate_database(name: str) -> None:
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_stale_test_databases() -> None:
    """Remove databases left by earlier runs whose process is gone."""
    with admin_connect() as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{TEST_DB_PREFIX}%",)
        ).fetchall()
    for (name,) in rows:
        pid = name.removeprefix(TEST_DB_PREFIX).split("_")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            drop_database(name)


@contextmanager
def backend_process(overrides: dict[str, str], log: Path) -> Iterator[str]:
    """uvicorn serving the app in a process of its own with APP_ENV + overrides; yields its URL
    once the liveness check answers."""
    port = free_port()
    env = {**os.environ, **APP_ENV, **overrides}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=BACKEND, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v1/utils/health-check/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"backend did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
