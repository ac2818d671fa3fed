"""One scheduled run: decide, then call the same engine as `ops scale --to 0` / `--to restore`.

The scale lock is the CLI's: a run that finds it held retries a few times, then gives up with a
failed report. Called by the function's handler (ops.schedule.handler) and by tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError, error_code
from ops.results import Report
from ops.scale import engine
from ops.scale import state as scale_state
from ops.scale.state import Actor
from ops.schedule import requests as stored
from ops.schedule.decide import Decision, Verdict, decide
from ops.waiting import POLL_SECONDS
from stacks.contract import names
from stacks.contract.schedule import DOWN, UP

LOCK_ATTEMPTS = 4
LOCK_RETRY_SECONDS = 30.0
DETAIL_LIMIT = 1000  # the last run's detail, kept well within an SSM parameter's 4 KB


@dataclass(frozen=True)
class RunResult:
    """The decision and the report (the one `ops scale --json` prints when the engine ran)."""

    verdict: Verdict
    report: Report


def lock_held(exc: OpsError) -> bool:
    """True for the scale lock's refusal (another run holds it)."""
    return error_code(exc.__cause__ or exc) == "ParameterAlreadyExists"


def _engine(
    aws: Aws, env: str, action: str, when: datetime, *, wait: bool, poll_seconds: float
) -> Report:
    if action == DOWN:
        reason = f"scheduled down at {when.isoformat()}"
        return engine.to_zero(
            aws,
            StackOutputs(aws, env),
            env,
            actor=Actor.SCHEDULE,
            reason=reason,
            wait=wait,
            poll_seconds=poll_seconds,
        )
    return engine.restore(aws, env, actor=Actor.SCHEDULE, wait=wait, poll_seconds=poll_seconds)


def _with_retries(
    work: Callable[[], Report],
    report: Report,
    *,
    attempts: int,
    retry_seconds: float,
    sleep: Callable[[float], None],
) -> Report:
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OpsError as exc:
            if not lock_held(exc):
                report.fail("scheduled scale", "run", exc.message)
                return report
            if attempt == attempts:
                report.fail(
                    names.scale_lock_parameter(report.env),
                    "acquire",
                    f"gave up after {attempts} attempts {retry_seconds:g} s apart: {exc.message}",
                )
                return report
            sleep(retry_seconds)
    raise AssertionError("unreachable: the last attempt returns")


def run(
    aws: Aws,
    env: str,
    action: str,
    *,
    when: datetime,
    enabled: bool,
    parked: bool,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
    lock_attempts: int = LOCK_ATTEMPTS,
    lock_retry_seconds: float = LOCK_RETRY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
) -> RunResult:
    """Decide, then scale (or not); record the last run. `when` is the scheduled time (aware)."""
    if action not in (UP, DOWN):
        raise OpsError(f"unknown scheduled action {action!r}; expected {UP} or {DOWN}")
    requests = stored.load_requests(aws, env)
    verdict = decide(
        action,
        when=when,
        now=now or datetime.now(UTC),
        enabled=enabled,
        parked=parked,
        requests=requests,
        state=scale_state.load(aws, env),
    )
    report = Report(operation=f"scheduled {action}", env=env)
    if verdict.decision is Decision.SKIPPED:  # a skip is used once
        skip = {k: v for k, v in requests.skip.items() if k != action}
        stored.save_requests(aws, env, replace(requests, skip=skip))
    if not verdict.runs:
        report.add("schedule", verdict.decision.value, detail=verdict.detail)
    else:
        report = _with_retries(
            lambda: _engine(aws, env, action, when, wait=wait, poll_seconds=poll_seconds),
            report,
            attempts=lock_attempts,
            retry_seconds=lock_retry_seconds,
            sleep=sleep,
        )
    record(aws, env, action, when, verdict.decision.value, report)
    return RunResult(verdict=verdict, report=report)


def record(aws: Aws, env: str, action: str, when: datetime, decision: str, report: Report) -> None:
    """Save the last run: its decision, result and the failed steps (if any)."""
    failed = "; ".join(f"{s.resource} ({s.action}): {s.detail}" for s in report.failed)
    last = stored.LastRun(
        action=action,
        scheduled_time=when.isoformat(),
        finished_at=scale_state.now_iso(),
        decision=decision,
        ok=report.ok,
        detail=(failed or (report.steps[-1].detail if report.steps else ""))[:DETAIL_LIMIT],
    )
    stored.save_last_run(aws, env, last)
