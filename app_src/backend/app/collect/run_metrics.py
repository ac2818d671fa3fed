"""The metrics of one collector run: an EMF line (`app.metrics`) with its failure streak.

`FailedRunsInARow` comes from the run records (`collector_run`), so the alarm on it needs no
knowledge of the schedule: it fires on the run that makes the streak long enough and clears on
the next run that is not failed.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from app import metrics
from app.models import CollectorRun

log = logging.getLogger(__name__)

SUCCEEDED = ("success", "partial")  # the run stored what it fetched
FAILED = "failed"
RUNNING = "running"
STREAK_LIMIT = 100  # counting further back changes no alarm


def failed_in_a_row(session: Session, collector: str) -> int:
    """How many of the latest finished runs of `collector` failed, back to one that did not."""
    statuses = session.exec(
        select(CollectorRun.status)
        .where(CollectorRun.collector == collector, CollectorRun.status != RUNNING)
        .order_by(col(CollectorRun.started_at).desc(), col(CollectorRun.id).desc())
        .limit(STREAK_LIMIT)
    ).all()
    streak = 0
    for status in statuses:
        if status != FAILED:
            break
        streak += 1
    return streak


def publish(
    session: Session | None,
    *,
    collector: str,
    status: str,
    fetched: int,
    stored: int,
    errors: list[str],
    duration_s: float,
) -> None:
    """Write the run's EMF line; without readable run records the streak is this run alone."""
    from app.core.config import settings

    streak = 1 if status == FAILED else 0
    if session is not None:
        try:
            streak = failed_in_a_row(session, collector)
        except Exception as exc:  # the metrics must not fail the run
            session.rollback()
            log.warning("%s: could not count the failed runs in a row: %s", collector, exc)
    metrics.emit(
        metrics.collector_run(
            environment=settings.ENVIRONMENT,
            collector=collector,
            status=status,
            succeeded=status in SUCCEEDED,
            failed_in_a_row=streak,
            fetched=fetched,
            stored=stored,
            duration_s=duration_s,
            errors=errors,
        )
    )
