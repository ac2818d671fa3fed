"""`python -m app.collect NAME` as the scheduled task runs it: exit codes, the disabled message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from app.models import CollectorRun
from sqlmodel import select

BACKEND = Path(__file__).resolve().parents[3] / "app_src" / "backend"
KEYS = ("CRYPTOPANIC_API_KEY", "NEWSCATCHER_API_KEY", "NANSEN_API_KEY")


def collect(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in KEYS and not k.startswith("POSTGRES")}
    return subprocess.run(
        [sys.executable, "-m", "app.collect", *args],
        cwd=BACKEND,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "extra"),
    [("newscatcher", {}), ("nansen", {"NANSEN_API_KEY": "CHANGE_ME_PLACEHOLDER"})],
)
def test_without_a_key_the_collector_is_disabled_and_exits_0(
    db_session, collect_db_env, name, extra
):
    done = collect([name], {**collect_db_env, **extra})
    assert done.returncode == 0, done.stderr
    assert f"{name} collector disabled" in done.stderr
    runs = db_session.exec(select(CollectorRun)).all()
    assert [(r.collector, r.status) for r in runs] == [(name, "disabled")]


def test_an_unreachable_database_does_not_fail_a_disabled_collector(collect_db_env):
    done = collect(["cryptopanic"], {**collect_db_env, "POSTGRES_PORT": "1"})
    assert done.returncode == 0, done.stderr
    assert "cryptopanic collector disabled" in done.stderr
    assert "could not record the disabled run" in done.stderr


def test_an_unknown_collector_is_a_usage_error(collect_db_env):
    done = collect(["coingecko"], collect_db_env)
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_max_pages_must_be_positive(collect_db_env):
    done = collect(["nansen", "--max-pages", "0"], collect_db_env)
    assert done.returncode == 2
    assert "must be at least 1" in done.stderr
