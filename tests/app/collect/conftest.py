"""Recorded provider responses served through httpx.MockTransport; sleeps recorded, not slept."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

BACKEND = Path(__file__).resolve().parents[3] / "app_src" / "backend"
if str(BACKEND) not in sys.path:
    sys.path.insert(0, str(BACKEND))

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "test-key-0123456789"
DB_NAME = "ohmycoins_collect_test"
TABLES = ("news_item", "smart_money_flow", "collector_run")


def recorded(name: str) -> Any:
    """A recorded JSON response body from fixtures/."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeApi:
    """Answers requests from a queue of (status, body, headers) and keeps every request seen."""

    def __init__(self, responses: list[tuple[int, Any, dict[str, str]]]) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.responses:
            raise AssertionError(f"unexpected extra request {request.method} {request.url.path}")
        status, body, headers = self.responses.pop(0)
        if isinstance(body, Exception):
            raise body
        return httpx.Response(status, json=body, headers=headers)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


@pytest.fixture
def fake_api() -> Callable[..., FakeApi]:
    """Build a FakeApi from `(status, body[, headers])` tuples."""

    def build(*responses: tuple[Any, ...]) -> FakeApi:
        return FakeApi([(r[0], r[1], r[2] if len(r) > 2 else {}) for r in responses])

    return build


@pytest.fixture
def api_key() -> str:
    """The key the tests configure; it must never appear in a stored or logged message."""
    return API_KEY


@pytest.fixture(name="recorded")
def recorded_fixture() -> Callable[[str], Any]:
    """Load a recorded response body by name."""
    return recorded


@pytest.fixture
def sleeps() -> list[float]:
    """The delays a Fetcher asked for, in order."""
    return []


def _services_env() -> dict[str, str]:
    """Connection settings printed by scripts/services.sh (the real loopback servers)."""
    script = Path(__file__).resolve().parents[3] / "scripts" / "services.sh"
    out = subprocess.run([str(script), "env"], capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@pytest.fixture(scope="session")
def collect_db_env() -> dict[str, str]:
    """Backend settings (environment variables) pointing at the collector test database."""
    env = _services_env()
    return {
        "ENVIRONMENT": "test",
        "POSTGRES_SERVER": env["POSTGRES_SERVER"],
        "POSTGRES_PORT": env["POSTGRES_PORT"],
        "POSTGRES_USER": env["POSTGRES_USER"],
        "POSTGRES_PASSWORD": Path(env["POSTGRES_PASSWORD_FILE"]).read_text().strip(),
        "POSTGRES_DB": DB_NAME,
    }


@pytest.fixture(scope="session")
def collect_engine():
    """A database of its own on the real PostgreSQL, with the app's tables."""
    import app.models  # noqa: F401 - registers the tables
    import psycopg
    from sqlalchemy import URL, create_engine
    from sqlmodel import SQLModel

    env = _services_env()
    password = Path(env["POSTGRES_PASSWORD_FILE"]).read_text().strip()
    common = {"host": env["POSTGRES_SERVER"], "port": int(env["POSTGRES_PORT"])}
    with psycopg.connect(
        dbname="postgres", user=env["POSTGRES_USER"], password=password, autocommit=True, **common
    ) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB_NAME}")
    url = URL.create(
        "postgresql+psycopg",
        username=env["POSTGRES_USER"],
        password=password,
        database=DB_NAME,
        **common,
    )
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(collect_engine):
    """A session on empty collector tables."""
    from sqlmodel import Session

    with Session(collect_engine) as session:
        session.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))
        session.commit()
        yield session
