"""Wait for PostgreSQL, apply the Alembic migrations, create the first superuser if configured.

Run as `python -m app.prestart`: the container's start step and the one-off `ops migrate` task.
An advisory lock keeps concurrent starts from migrating at the same time.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import engine, init_db

log = logging.getLogger("app.prestart")
BACKEND_DIR = Path(__file__).resolve().parent.parent
MIGRATION_LOCK = 7_226_701  # pg_advisory_lock key owned by the migration step


def wait_for_db(db: Engine, *, timeout: float = 300.0, interval: float = 2.0) -> None:
    """Retry `SELECT 1` until it works or the timeout passes (then raise the last error)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with db.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        except Exception as exc:  # the driver raises several kinds while the DB starts
            if time.monotonic() >= deadline:
                raise
            log.warning("database not ready (%s); retrying in %.0fs", type(exc).__name__, interval)
            time.sleep(interval)


def alembic_config() -> Config:
    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(BACKEND_DIR / "alembic"))
    return cfg


def migrate(db: Engine, *, revision: str = "head") -> None:
    """`alembic upgrade <revision>` under a PostgreSQL advisory lock."""
    cfg = alembic_config()
    cfg.attributes["configure_logger"] = False
    with db.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    wait_for_db(engine)
    log.info("database reachable; migrating to head")
    migrate(engine)
    with Session(engine) as session:
        init_db(session)
    log.info("prestart done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
