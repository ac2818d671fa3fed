"""App tests against the real loopback PostgreSQL and Redis started by scripts/services.sh.

The environment is set here, at import, before anything imports the app (its settings are read
once). Each run recreates the dedicated test database and migrates it from empty with Alembic.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "app_src" / "backend"
SERVICES = ROOT / "scripts" / "services.sh"
TEST_DB = "ohmycoins_test"
REDIS_DB = 15
PASSWORD = "correct-horse-battery"
if str(BACKEND) not in sys.path:
    sys.path.insert(0, str(BACKEND))


def services(*args: str) -> str:
    """Run scripts/services.sh; returns its stdout."""
    done = subprocess.run([str(SERVICES), *args], capture_output=True, text=True, timeout=600)
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


@pytest.fixture(scope="session")
def database() -> Iterator[None]:
    """The test database, empty and then migrated to head by the prestart code."""
    recreate_database(TEST_DB)
    from app.core.db import engine
    from app.prestart import migrate, wait_for_db

    wait_for_db(engine, timeout=30)
    migrate(engine)
    yield
    engine.dispose()


@pytest.fixture(scope="session")
def redis_sync():
    """A plain synchronous client on the test Redis database."""
    import redis

    client = redis.Redis.from_url(APP_ENV["REDIS_URL"], password=REDIS_PASSWORD)
    yield client
    client.close()


@pytest.fixture
def clean(database, redis_sync) -> Iterator[None]:
    """Empty tables and rate-limit counters before a test; Redis is running afterwards."""
    from app.core.db import engine
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE trade_order, price, news_item, smart_money_flow, collector_run, "
                '"user" RESTART IDENTITY CASCADE'
            )
        )
    services("start-redis")
    redis_sync.flushdb()
    yield
    services("start-redis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server(database) -> Iterator[str]:
    """The real app served by uvicorn on loopback (in a thread); yields its base URL."""
    import uvicorn
    from app.main import app

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@dataclass
class Account:
    id: str
    email: str
    token: str
    admin: bool

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def api(server, clean) -> Iterator[httpx.Client]:
    """An HTTP client on the running app, with clean data."""
    with httpx.Client(base_url=f"{server}/api/v1", timeout=30) as client:
        yield client


@pytest.fixture
def make_account(api) -> Callable[..., Account]:
    """Create a user in the database and log in through the API."""
    from app import crud
    from app.core.db import engine
    from app.models import UserCreate
    from sqlmodel import Session

    def make(*, admin: bool = False) -> Account:
        email = f"{'admin' if admin else 'user'}-{uuid.uuid4().hex[:8]}@example.com"
        with Session(engine) as session:
            user = crud.create_user(
                session,
                user_create=UserCreate(email=email, password=PASSWORD, is_superuser=admin),
            )
        resp = api.post("/login/access-token", data={"username": email, "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        return Account(str(user.id), email, resp.json()["access_token"], admin)

    return make
