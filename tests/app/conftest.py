"""App tests against the real loopback PostgreSQL and Redis started by scripts/services.sh.

backend_testenv (imported first) sets the environment before anything imports the app. Each run
recreates the dedicated test database and migrates it from empty with Alembic.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
import pytest  # noqa: E402
from backend_testenv import (  # noqa: E402
    APP_ENV,
    PASSWORD,
    REDIS_PASSWORD,
    TEST_DB,
    backend_process,
    drop_database,
    drop_stale_test_databases,
    free_port,
    recreate_database,
    services,
)


@pytest.fixture(scope="session")
def database() -> Iterator[None]:
    """This run's test database, empty and then migrated to head by the prestart code."""
    drop_stale_test_databases()
    recreate_database(TEST_DB)
    from app.core.db import engine
    from app.prestart import migrate, wait_for_db

    wait_for_db(engine, timeout=30)
    migrate(engine)
    yield
    engine.dispose()
    drop_database(TEST_DB)


@pytest.fixture(scope="session")
def redis_sync():
    """A plain synchronous client on the test Redis database."""
    import redis

    client = redis.Redis.from_url(APP_ENV["REDIS_URL"], password=REDIS_PASSWORD)
    yield client
    client.close()


@pytest.fixture
def clean(database, redis_sync) -> Iterator[None]:
    """Empty tables and rate-limit counters before a test."""
    from app.core.db import engine
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE trade_order, price, news_item, smart_money_flow, collector_run, "
                '"user" RESTART IDENTITY CASCADE'
            )
        )
    redis_sync.flushdb()
    yield


@pytest.fixture(scope="session")
def server(database) -> Iterator[str]:
    """The real app served by uvicorn on loopback (in a thread); yields its base URL."""
    import uvicorn
    from app.main import app

    port = free_port()
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


@dataclass
class IsolatedBackend:
    """The app in its own uvicorn process (no GIL shared with the test's clients) on a Redis
    instance of its own, which tests may stop; same database and secret as `server`."""

    url: str
    log: Path
    redis_env: dict[str, str]

    def redis(self, action: str) -> None:
        """`start` or `stop` this backend's private Redis (other test runs are not affected)."""
        services(f"{action}-redis", env=self.redis_env)

    def redis_client(self):
        """A synchronous client on this backend's private Redis."""
        import redis

        directory = Path(self.redis_env["OHMYCOINS_SERVICES_DIR"])
        password = (directory / "redis-password").read_text().strip()
        port = int(self.redis_env["OHMYCOINS_REDIS_PORT"])
        return redis.Redis(host="127.0.0.1", port=port, password=password)

    def log_text(self) -> str:
        return self.log.read_text()


@pytest.fixture(scope="session")
def isolated_backend(database, tmp_path_factory) -> Iterator[IsolatedBackend]:
    tmp_path = tmp_path_factory.mktemp("isolated")
    redis_port = free_port()
    redis_env = {
        "OHMYCOINS_SERVICES_DIR": str(tmp_path / "services"),
        "OHMYCOINS_REDIS_PORT": str(redis_port),
    }
    services("start-redis", env=redis_env)
    password = (tmp_path / "services" / "redis-password").read_text().strip()
    overrides = {"REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "REDIS_PASSWORD": password}
    log = tmp_path / "backend.log"
    try:
        with backend_process(overrides, log) as url:
            yield IsolatedBackend(url, log, redis_env)
    finally:
        services("stop-redis", env=redis_env)
