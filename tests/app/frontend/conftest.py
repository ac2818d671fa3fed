"""The dashboard in a real headless Chromium, against the backend on the real PostgreSQL/Redis."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from backend_testenv import APP_ENV, TEST_DB, drop_database
from frontend_server import serve_frontend

from bench.local_backend import backend_env, fresh_database, run_backend

E2E_DB = f"{TEST_DB}_frontend"  # per test process, so xdist workers and parallel runs never share
E2E_REDIS_DB = 3  # in this test process's own Redis (backend_testenv), apart from the API tests'

ADMIN = ("admin@example.com", "admin-password-0123")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)


@pytest.fixture(scope="module")
def admin() -> tuple[str, str]:
    """The superuser prestart creates (FIRST_SUPERUSER); it may post prices."""
    return ADMIN


@pytest.fixture(scope="module")
def e2e_env() -> Iterator[dict[str, str]]:
    """Backend settings on a fresh, migrated database of its own (prestart adds the admin)."""
    redis_base = APP_ENV["REDIS_URL"].rsplit("/", 1)[0]
    env = backend_env(
        E2E_DB,
        FIRST_SUPERUSER=ADMIN[0],
        FIRST_SUPERUSER_PASSWORD=ADMIN[1],
        REDIS_URL=f"{redis_base}/{E2E_REDIS_DB}",
        REDIS_PASSWORD=APP_ENV["REDIS_PASSWORD"],
    )
    fresh_database(env)
    import redis

    with redis.Redis.from_url(env["REDIS_URL"], password=env["REDIS_PASSWORD"]) as client:
        client.flushdb()  # rate-limit counters of earlier modules (its own Redis database)
    yield env
    drop_database(E2E_DB)


@pytest.fixture(scope="module")
def backend_url(e2e_env) -> Iterator[str]:
    with run_backend(e2e_env) as url:
        yield url


@pytest.fixture(scope="module")
def frontend_url(backend_url) -> Iterator[str]:
    host, port = backend_url.removeprefix("http://").split(":")
    with serve_frontend(backend_host=host, backend_port=int(port)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium (Debian's package) through chromium-driver, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            pytest.fail(f"{binary} is missing: run scripts/install-chromium.sh (make test does)")
    profile = tempfile.mkdtemp(prefix="ohmycoins-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
