"""Alembic: up from an empty database, down to nothing and up again; models and schema agree."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from backend_testenv import APP_ENV, BACKEND, TEST_DB, admin_connect, recreate_database
from sqlalchemy import create_engine, inspect, text

MIGRATION_DB = f"{TEST_DB}_migrations"
TABLES = {"user", "news_item", "smart_money_flow", "collector_run", "trade_order", "price"}
DAY_INDEX = "((collected_at AT TIME ZONE 'UTC'::text))::date"


@pytest.fixture
def empty_db():
    """A fresh empty database and an engine on it."""
    from app.core.config import Settings

    recreate_database(MIGRATION_DB)
    url = Settings(POSTGRES_DB=MIGRATION_DB).SQLALCHEMY_DATABASE_URI
    engine = create_engine(url)
    yield engine
    engine.dispose()
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{MIGRATION_DB}" WITH (FORCE)')


def index_defs(engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes"))
        return dict(rows.all())


def test_prestart_migrates_an_empty_database_to_head(empty_db) -> None:
    env = {**os.environ, **APP_ENV, "POSTGRES_DB": MIGRATION_DB}
    done = subprocess.run(
        [sys.executable, "-m", "app.prestart"],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert set(inspect(empty_db).get_table_names()) >= TABLES
    defs = index_defs(empty_db)
    for name in ("ix_news_item_collected_day", "ix_smart_money_flow_collected_day"):
        assert DAY_INDEX in defs[name]
    from alembic.script import ScriptDirectory
    from app.prestart import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with empty_db.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    # Running it again is a no-op.
    again = subprocess.run(
        [sys.executable, "-m", "app.prestart"], cwd=BACKEND, env=env, capture_output=True
    )
    assert again.returncode == 0


def test_downgrade_to_base_and_upgrade_again(empty_db) -> None:
    from alembic import command
    from app.prestart import alembic_config, migrate

    migrate(empty_db)
    cfg = alembic_config()
    cfg.attributes["configure_logger"] = False
    with empty_db.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(empty_db).get_table_names()) <= {"alembic_version"}
    migrate(empty_db)
    assert set(inspect(empty_db).get_table_names()) >= TABLES


def test_models_match_the_migrated_schema(empty_db) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from app.prestart import migrate
    from sqlmodel import SQLModel

    migrate(empty_db)
    with empty_db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
