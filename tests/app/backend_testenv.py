"""The app tests' environment: real loopback PostgreSQL and Redis from scripts/services.sh.

Importing this module starts the servers (idempotent) and sets the app's environment variables,
so it must be imported before anything imports the app (its settings are read once).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "app_src" / "backend"
SERVICES = ROOT / "scripts" / "services.sh"
TEST_DB = "ohmycoins_test"
REDIS_DB = 15
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


services("start")
SERVICE_ENV = dict(line.split("=", 1) for line in services("env").splitlines() if "=" in line)
PG_PASSWORD = Path(SERVICE_ENV["POSTGRES_PASSWORD_FILE"]).read_text().strip()
REDIS_PASSWORD = Path(SERVICE_ENV["REDIS_PASSWORD_FILE"]).read_text().strip()
APP_ENV = {
    "ENVIRONMENT": "test",
    "SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
    "POSTGRES_SERVER": SERVICE_ENV["POSTGRES_SERVER"],
    "POSTGRES_PORT": SERVICE_ENV["POSTGRES_PORT"],
    "POSTGRES_USER": SERVICE_ENV["POSTGRES_USER"],
    "POSTGRES_PASSWORD": PG_PASSWORD,
    "POSTGRES_DB": TEST_DB,
    "REDIS_URL": f"redis://{SERVICE_ENV['REDIS_HOST']}:{SERVICE_ENV['REDIS_PORT']}/{REDIS_DB}",
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
