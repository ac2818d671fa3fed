"""Database operations: users, collector upserts and run records, news and smart-money queries.

Collector contract: `upsert_news`, `upsert_smart_money`, `start_run`, `finish_run` commit their own
work, so a collector can call them one after another with a plain session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, col, func, select

from app.core.columns import utc_day, utcnow
from app.core.security import get_password_hash, verify_password
from app.models import (
    CollectorRun,
    NewsItem,
    NewsItemCreate,
    SmartMoneyFlow,
    SmartMoneyFlowCreate,
    User,
    UserCreate,
)

CHUNK = 500
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- users ----------------------------------------------------------------------------------------
def create_user(session: Session, *, user_create: UserCreate) -> User:
    """Insert a user with a hashed password."""
    user = User.model_validate(
        user_create, update={"hashed_password": get_password_hash(user_create.password)}
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def get_user_by_email(session: Session, *, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The user when the password matches, else None."""
    user = get_user_by_email(session, email=email)
    if user is None or not verify_password(password, user.hashed_password):
        return None
    return user


# --- collector contract ---------------------------------------------------------------------------
def upsert_news(session: Session, items: list[NewsItemCreate]) -> int:
    """Insert news items, skipping (source, external_id) pairs already stored.

    Returns the number of rows inserted; a re-run with the same items inserts 0.
    """
    inserted = 0
    now = utcnow()
    for chunk in _chunks(items):
        rows = [{**item.model_dump(), "collected_at": now} for item in chunk]
        stmt = (
            pg_insert(NewsItem)
            .values(rows)
            .on_conflict_do_nothing(constraint="uq_news_item_source_ext")
            .returning(col(NewsItem.id))
        )
        inserted += len(session.execute(stmt).all())
    session.commit()
    return inserted


def upsert_smart_money(session: Session, items: list[SmartMoneyFlowCreate]) -> int:
    """Insert flows; a (chain, token_address, period_start) already stored gets the new values.

    Returns the number of rows inserted (updates are not counted). Within one call the last item
    for a key wins.
    """
    latest: dict[tuple[str, str, datetime], SmartMoneyFlowCreate] = {}
    for item in items:
        latest[(item.chain, item.token_address, item.period_start)] = item
    inserted = 0
    now = utcnow()
    for chunk in _chunks(list(latest.values())):
        rows = [{**item.model_dump(), "collected_at": now} for item in chunk]
        insert = pg_insert(SmartMoneyFlow).values(rows)
        upsert = insert.on_conflict_do_update(
            constraint="uq_smart_money_flow_token_period",
            set_={
                "net_flow_usd": insert.excluded.net_flow_usd,
                "token_symbol": func.coalesce(
                    insert.excluded.token_symbol, col(SmartMoneyFlow.token_symbol)
                ),
                "collected_at": insert.excluded.collected_at,
            },
        ).returning(sa.literal_column("(xmax = 0)", sa.Boolean))
        inserted += sum(1 for (was_insert,) in session.execute(upsert).all() if was_insert)
    session.commit()
    return inserted


def start_run(session: Session, collector: str) -> CollectorRun:
    """Record the start of a collector run (status `running`)."""
    run = CollectorRun(collector=collector, status="running")
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


def finish_run(
    session: Session,
    run: CollectorRun,
    *,
    fetched: int,
    stored: int,
    errors: list[str],
    status: str,
    page_sha256: list[str] | None = None,
) -> CollectorRun:
    """Close a run with its counts, its error messages, a final status and the SHA-256 of each
    provider page received.

    status: `success`, `partial` (some errors), `failed` or `disabled` (missing API key).
    """
    run.finished_at = utcnow()
    run.fetched = fetched
    run.stored = stored
    run.errors = list(errors)
    run.status = status
    run.page_sha256 = list(page_sha256 or [])
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


def latest_runs(session: Session, *, limit: int = 20) -> Sequence[CollectorRun]:
    stmt = select(CollectorRun).order_by(col(CollectorRun.started_at).desc()).limit(limit)
    return session.exec(stmt).all()


# --- queries --------------------------------------------------------------------------------------
def _count_and_page(
    session: Session, stmt: Any, order_by: Sequence[Any], skip: int, limit: int
) -> tuple[list[Any], int]:
    count = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(*order_by).offset(skip).limit(limit)).all()
    return list(rows), count


def list_news(
    session: Session,
    *,
    currency: str | None = None,
    source: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    skip: int = 0,
    limit: int = 50,
) -> tuple[list[NewsItem], int]:
    """News newest first, filtered; the date range is inclusive UTC collection days."""
    stmt = select(NewsItem)
    if currency:
        stmt = stmt.where(col(NewsItem.currencies).contains([currency.strip().upper()]))
    if source:
        stmt = stmt.where(NewsItem.source == source)
    day = utc_day(col(NewsItem.collected_at))
    if date_from:
        stmt = stmt.where(day >= date_from)
    if date_to:
        stmt = stmt.where(day <= date_to)
    order = [col(NewsItem.collected_at).desc(), col(NewsItem.id).desc()]
    return _count_and_page(session, stmt, order, skip, limit)


def list_smart_money(
    session: Session,
    *,
    token: str | None = None,
    chain: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    skip: int = 0,
    limit: int = 100,
) -> tuple[list[SmartMoneyFlow], int, Decimal]:
    """Flows for a token (symbol, case-insensitive, or address) over [start, end) by period."""
    stmt = select(SmartMoneyFlow)
    if token:
        stmt = stmt.where(
            sa.or_(
                func.upper(SmartMoneyFlow.token_symbol) == token.upper(),
                func.lower(SmartMoneyFlow.token_address) == token.lower(),
            )
        )
    if chain:
        stmt = stmt.where(SmartMoneyFlow.chain == chain)
    if start:
        stmt = stmt.where(col(SmartMoneyFlow.period_start) >= start)
    if end:
        stmt = stmt.where(col(SmartMoneyFlow.period_start) < end)
    total_stmt = select(func.coalesce(func.sum(stmt.subquery().c.net_flow_usd), 0))
    total = Decimal(session.exec(total_stmt).one())
    order = [col(SmartMoneyFlow.period_start).desc(), col(SmartMoneyFlow.id).desc()]
    rows, count = _count_and_page(session, stmt, order, skip, limit)
    return rows, count, total
