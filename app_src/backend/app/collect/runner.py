"""One collector run: fetch page by page, upsert each page, record counts and errors, and write
the run's metrics (`app.collect.run_metrics`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError
from sqlmodel import Session

from app import crud
from app.collect import run_metrics
from app.collect.http import AuthRejected, CollectorError, Fetcher, RetryPolicy
from app.collect.registry import Collector
from app.models import NewsItemCreate, SmartMoneyFlowCreate

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 10
Item = TypeVar("Item", NewsItemCreate, SmartMoneyFlowCreate)
SUCCESS, PARTIAL, FAILED, DISABLED = "success", "partial", "failed", "disabled"


@dataclass(kw_only=True)
class RunOutcome:
    """What a run did; `exit_code` is what the scheduled task reports."""

    collector: str
    status: str
    fetched: int = 0
    stored: int = 0
    errors: list[str] = field(default_factory=list)
    page_sha256: list[str] = field(default_factory=list)  # of each page received, in order

    @property
    def exit_code(self) -> int:
        return 1 if self.status in (PARTIAL, FAILED) else 0


def store(
    session: Session, collector: Collector, items: list[dict[str, Any]], skipped: list[str]
) -> int:
    """Upsert one page; returns how many rows were new. Items that do not fit their columns are
    left out, with one message per page (how many, which fields; never values) in `skipped`."""
    if collector.kind == "news":
        news = _storable(NewsItemCreate, collector.name, items, skipped)
        return crud.upsert_news(session, news) if news else 0
    flows = _storable(SmartMoneyFlowCreate, collector.name, items, skipped)
    return crud.upsert_smart_money(session, flows) if flows else 0


def _storable(
    model: type[Item], name: str, items: list[dict[str, Any]], skipped: list[str]
) -> list[Item]:
    valid: list[Item] = []
    fields: set[str] = set()
    refused = 0
    for item in items:
        try:
            valid.append(model(**item))
        except ValidationError as exc:
            refused += 1
            fields.update(".".join(map(str, e["loc"])) for e in exc.errors())
    if refused:
        skipped.append(f"{name}: {refused} item(s) skipped, unstorable {', '.join(sorted(fields))}")
    return valid


def disabled(collector: Collector, *, session: Session | None = None) -> RunOutcome:
    """A collector whose key is not configured: nothing is fetched, the run says so, exit code 0."""
    message = f"{collector.key_setting} is not set (or still the placeholder)"
    log.warning("%s collector disabled: %s; nothing collected", collector.name, message)
    outcome = RunOutcome(collector=collector.name, status=DISABLED, errors=[message])
    if session is not None:
        try:
            _finish(session, crud.start_run(session, collector.name), outcome)
        except Exception as exc:  # the database is not needed to do nothing
            session.rollback()
            log.warning("%s: could not record the disabled run: %s", collector.name, exc)
    _publish(session, outcome, started=time.monotonic())
    return outcome


def run_collector(
    collector: Collector,
    *,
    api_key: str | None,
    session: Session,
    client: httpx.Client,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
    policy: RetryPolicy | None = None,
) -> RunOutcome:
    """Run one collector end to end and record the run; never raises for provider errors."""
    if not api_key:
        return disabled(collector, session=session)
    started = time.monotonic()
    fetcher = Fetcher(
        client=client, provider=collector.name, secret=api_key, sleep=sleep, policy=policy
    )
    outcome = RunOutcome(collector=collector.name, status=SUCCESS, page_sha256=fetcher.page_sha256)
    try:
        run = crud.start_run(session, collector.name)
    except Exception as exc:  # no run record without the database: the metrics still tell
        session.rollback()
        outcome.status = FAILED
        outcome.errors.append(f"could not record the run: {type(exc).__name__}")
        _publish(None, outcome, started=started)
        raise
    try:
        for items in collector.pages(fetcher, api_key, max_pages, now or datetime.now(UTC)):
            outcome.fetched += len(items)
            outcome.stored += store(session, collector, items, outcome.errors)
    except CollectorError as exc:  # includes AuthRejected (401/403): no retry, stop here
        message = fetcher.redact(str(exc))
        if isinstance(exc, AuthRejected):
            message += f" ({collector.key_setting})"
        log.error("%s", message)
        outcome.errors.append(message)
    except Exception as exc:
        session.rollback()
        outcome.errors.append(fetcher.redact(f"{type(exc).__name__}: {exc}")[:500])
        outcome.status = FAILED
        try:
            _finish(session, run, outcome)
        finally:
            _publish(session, outcome, started=started)
        raise
    if outcome.errors:
        outcome.status = PARTIAL if outcome.fetched else FAILED
    _finish(session, run, outcome)
    _publish(session, outcome, started=started)
    log.info(
        "%s: %s, fetched %d, stored %d new, %d errors",
        collector.name,
        outcome.status,
        outcome.fetched,
        outcome.stored,
        len(outcome.errors),
    )
    return outcome


def _finish(session: Session, run: Any, outcome: RunOutcome) -> None:
    crud.finish_run(
        session,
        run,
        fetched=outcome.fetched,
        stored=outcome.stored,
        errors=outcome.errors,
        status=outcome.status,
        page_sha256=outcome.page_sha256,
    )


def _publish(session: Session | None, outcome: RunOutcome, *, started: float) -> None:
    run_metrics.publish(
        session,
        collector=outcome.collector,
        status=outcome.status,
        fetched=outcome.fetched,
        stored=outcome.stored,
        errors=outcome.errors,
        duration_s=time.monotonic() - started,
    )
