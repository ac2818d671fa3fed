"""Run the bundled backend locally (uvicorn) against the real loopback PostgreSQL and Redis.

Used by bench/api.py and the browser test. Secrets travel in the environment, never in argv.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from stacks.contract.names import API_KEY_NAMES
from stacks.contract.names import BACKEND_HEALTH_PATH as HEALTH_PATH

ROOT = Path(__file__).resolve().parents[1]
BACKEND_DIR = ROOT / "app_src" / "backend"
SERVICES = ROOT / "scripts" / "services.sh"


def services_env(*, start: bool = True) -> dict[str, str]:
    """Start the loopback servers if needed (idempotent) and return their connection settings."""
    if start:
        subprocess.run([str(SERVICES), "start"], check=True, stdin=subprocess.DEVNULL)
    out = subprocess.run([str(SERVICES), "env"], capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def backend_env(database: str, *, redis_db: int = 0, **overrides: str) -> dict[str, str]:
    """Environment variables for the backend on `database` (created fresh by `fresh_database`)."""
    svc = services_env()
    env = {
        "ENVIRONMENT": "test",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "POSTGRES_SERVER": svc["POSTGRES_SERVER"],
        "POSTGRES_PORT": svc["POSTGRES_PORT"],
        "POSTGRES_USER": svc["POSTGRES_USER"],
        "POSTGRES_PASSWORD": Path(svc["POSTGRES_PASSWORD_FILE"]).read_text().strip(),
        "POSTGRES_DB": database,
        "REDIS_URL": f"redis://{svc['REDIS_HOST']}:{svc['REDIS_PORT']}/{redis_db}",
        "REDIS_PASSWORD": Path(svc["REDIS_PASSWORD_FILE"]).read_text().strip(),
    }
    return {**env, **overrides}


def fresh_database(env: dict[str, str]) -> None:
    """Drop and create env's POSTGRES_DB, then migrate it with the backend's prestart step."""
    import psycopg

    with psycopg.connect(
        host=env["POSTGRES_SERVER"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{env["POSTGRES_DB"]}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{env["POSTGRES_DB"]}"')
    subprocess.run(
        [sys.executable, "-m", "app.prestart"],
        cwd=BACKEND_DIR,
        env=_process_env(env),
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _process_env(env: dict[str, str]) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in API_KEY_NAMES and not k.startswith(("POSTGRES_", "REDIS_", "RATE_LIMIT_"))
    }
    return {**inherited, **env}


@contextmanager
def run_backend(
    env: dict[str, str], *, port: int | None = None, log_file: Path | None = None
) -> Iterator[str]:
    """uvicorn with one worker on loopback; yields the base URL once the health check answers.

    The backend's stderr goes to `log_file` when given (else it is inherited).
    """
    port = port or free_port()
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    stderr = log_file.open("w") if log_file is not None else None
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host=127.0.0.1",
            f"--port={port}",
            "--workers=1",
            "--no-access-log",
            "--loop=uvloop",
            "--http=httptools",
            "--log-level=warning",
        ],
        cwd=BACKEND_DIR,
        env=_process_env(env),
        stdin=subprocess.DEVNULL,
        stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the backend exited with code {process.returncode}")
            try:
                if httpx.get(base + HEALTH_PATH, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the backend did not answer its health check within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if stderr is not None:
            stderr.close()
