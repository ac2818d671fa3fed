"""Settings: the placeholder secret is refused outside local/test; API keys may stay unset."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from app.collect.registry import COLLECTORS
from app.core.config import API_KEY_NAMES, PLACEHOLDER, RELAXED_ENVIRONMENTS, Settings
from backend_testenv import BACKEND, ROOT
from pydantic import ValidationError

STRONG = "s" * 40


def test_placeholder_matches_the_infrastructure_marker() -> None:
    sys.path.insert(0, str(ROOT))
    from stacks.contract.names import PLACEHOLDER as INFRA_PLACEHOLDER

    assert PLACEHOLDER == INFRA_PLACEHOLDER


def test_api_keys_match_the_app_secret_and_the_collectors() -> None:
    """The backend ships on its own with its own list of API keys: the stacks inject the same."""
    sys.path.insert(0, str(ROOT))
    from stacks.contract import names

    assert API_KEY_NAMES == names.API_KEY_NAMES
    assert set(names.APP_SECRET_KEYS) >= set(API_KEY_NAMES)
    # Each collector the config accepts reads the key the stacks put in the secret for it.
    assert {n: c.key_setting for n, c in COLLECTORS.items()} == names.COLLECTOR_API_KEYS
    for name in API_KEY_NAMES:
        assert Settings(**{name: "real-key"}).api_key(name) == "real-key"


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_placeholder_secret_refused_in_deployed_environments(environment: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(ENVIRONMENT=environment, SECRET_KEY=PLACEHOLDER, POSTGRES_PASSWORD="pw")
    with pytest.raises(ValidationError, match="POSTGRES_PASSWORD"):
        Settings(ENVIRONMENT=environment, SECRET_KEY=STRONG, POSTGRES_PASSWORD=PLACEHOLDER)
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(ENVIRONMENT=environment, SECRET_KEY="short", POSTGRES_PASSWORD="pw")
    ok = Settings(ENVIRONMENT=environment, SECRET_KEY=STRONG, POSTGRES_PASSWORD="pw")
    assert ok.SECRET_KEY == STRONG


@pytest.mark.parametrize("environment", ["local", "test"])
def test_placeholder_allowed_locally(environment: str) -> None:
    assert Settings(ENVIRONMENT=environment, SECRET_KEY=PLACEHOLDER).SECRET_KEY == PLACEHOLDER


def test_app_refuses_to_start_with_the_placeholder() -> None:
    env = {**os.environ, "ENVIRONMENT": "production", "SECRET_KEY": PLACEHOLDER}
    done = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr and "refusing to start" in done.stderr


def test_placeholder_api_keys_disable_collectors_only() -> None:
    s = Settings(
        ENVIRONMENT="production",
        SECRET_KEY=STRONG,
        POSTGRES_PASSWORD="pw",
        CRYPTOPANIC_API_KEY=PLACEHOLDER,
        NANSEN_API_KEY="real-key",
    )
    assert s.api_key("CRYPTOPANIC_API_KEY") is None
    assert s.api_key("NEWSCATCHER_API_KEY") is None
    assert s.api_key("NANSEN_API_KEY") == "real-key"


def test_database_url_and_redis_tls_url() -> None:
    s = Settings(
        POSTGRES_SERVER="db.internal",
        POSTGRES_PORT=5432,
        POSTGRES_USER="app",
        POSTGRES_PASSWORD="p@ss/word",
        POSTGRES_DB="ohmycoins",
        REDIS_URL="rediss://master.cache.internal:6379/0",
    )
    assert s.SQLALCHEMY_DATABASE_URI.startswith(
        "postgresql+psycopg://app:p%40ss%2Fword@db.internal:5432/ohmycoins"
    )
    from app.core.redis import make_client

    client = make_client(s.REDIS_URL, password="token-value")
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["password"] == "token-value"
    assert client.connection_pool.connection_class.__name__ == "SSLConnection"


def test_only_the_local_environment_is_relaxed() -> None:
    """The stacks pass the env's name as ENVIRONMENT: only `local` may keep placeholders."""
    sys.path.insert(0, str(ROOT))
    from cdk_app.config import known_envs
    from localaws.deploy import LOCAL_ENV

    relaxed = [env for env in known_envs() if env in RELAXED_ENVIRONMENTS]
    assert relaxed == [LOCAL_ENV]
