"""Recorded provider responses served through httpx.MockTransport; sleeps recorded, not slept."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from backend_testenv import TEST_DB
from sqlalchemy import text

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "test-key-0123456789"
DB_NAME = f"{TEST_DB}_collect"  # per test process, so xdist workers and parallel runs never share
TABLES = ("news_item", "smart_money_flow", "collector_run")


def recorded(name: str) -> Any:
    """A recorded JSON response body from fixtures/."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeApi:
    """Answers requests from a queue of (status, body, headers) and keeps every request seen and
    every response body sent (`sent`: status and bytes)."""

    def __init__(self, responses: list[tuple[int, Any, dict[str, str]]]) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []
        self.sent: list[tuple[int, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.responses:
            raise AssertionError(f"unexpected extra request {request.method} {request.url.path}")
        status, body, headers = self.responses.pop(0)
        if isinstance(body, Exception):
            raise body
        if isinstance(body, bytes):  # a body as sent on the wire (e.g. JSON with \u escapes)
            response = httpx.Response(status, content=body, headers=headers)
        else:
            response = httpx.Response(status, json=body, headers=headers)
        self.sent.append((status, response.content))
        return response

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


@pytest.fixture(scope="session")
def collect_db_env() -> dict[str, str]:
    """Backend settings (environment variables) pointing at the collector test database."""
    from backend_testenv import APP_ENV

    return {**APP_ENV, "POSTGRES_DB": DB_NAME}


@pytest.fixture(scope="session")
def collect_engine(collect_db_env):
    """A database of its own on the real PostgreSQL, migrated to head with Alembic."""
    from app.prestart import migrate
    from backend_testenv import drop_database, recreate_database
    from sqlalchemy import URL, create_engine

    recreate_database(DB_NAME)
    url = URL.create(
        "postgresql+psycopg",
        username=collect_db_env["POSTGRES_USER"],
        password=collect_db_env["POSTGRES_PASSWORD"],
        host=collect_db_env["POSTGRES_SERVER"],
        port=int(collect_db_env["POSTGRES_PORT"]),
        database=DB_NAME,
    )
    engine = create_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()
    drop_database(DB_NAME)


@pytest.fixture
def db_session(collect_engine):
    """A session on empty collector tables."""
    from sqlmodel import Session

    with Session(collect_engine) as session:
        session.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))
        session.commit()
        yield session
