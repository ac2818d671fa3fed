"""One scheduled run: decide, then call the same engine as `ops scale --to 0` / `--to restore`.

With `schedule.park` the down also parks (the four stacks' parked templates, ops.schedule.stacks)
and the up unparks before it restores, as `ops park` and `ops unpark` do. Parking can outlast one
run of the function: a run that runs out of time says so (`pending`) and the handler starts the
next, which goes on without deciding again. The scale lock is the CLI's: a run that finds it held
retries a few times, then gives up with a failed report. Called by the function's handler
(ops.schedule.handler) and by tests.
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
from ops.schedule.stacks import POLL_SECONDS as STACK_POLL_SECONDS
from ops.schedule.stacks import Deployer, Progress, StackTemplates
from ops.waiting import POLL_SECONDS
from stacks.contract import names
from stacks.contract.schedule import DOWN, PARKED_TEMPLATES, UP

LOCK_ATTEMPTS = 4
LOCK_RETRY_SECONDS = 30.0
DETAIL_LIMIT = 1000  # the last run's detail, kept well within an SSM parameter's 4 KB


@dataclass(frozen=True)
class RunResult:
    """The decision and the report (the one `ops scale --json` prints when the engine ran)."""

    verdict: Verdict
    report: Report
    pending: bool = False  # parking or unparking goes on in a new run


def lock_held(exc: OpsError) -> bool:
    """True for the scale lock's refusal (another run holds it)."""
    return error_code(exc.__cause__ or exc) == "ParameterAlreadyExists"


@dataclass(frozen=True)
class Parking:
    """How a parking schedule deploys the stacks, and until when this run may wait for them."""

    templates: StackTemplates
    stop_at: float  # time.monotonic() by which this run stops waiting
    poll_seconds: float = STACK_POLL_SECONDS


def _deploy(aws: Aws, env: str, parking: Parking, report: Report, *, park: bool) -> Progress:
    """Park or unpark the stacks under the scale lock; a refusal changes nothing."""
    deployer = Deployer(aws, env, parking.templates, poll_seconds=parking.poll_seconds)
    with scale_state.ScaleLock(aws, env):
        variants = deployer.variants()
        if not park and PARKED_TEMPLATES not in variants.values():  # nothing parked: restore as is
            report.add("stacks", "unpark", detail="not parked: nothing to deploy")
            return Progress.DONE
        if not deployer.refuse_foreign(report, variants):
            return Progress.FAILED
        if park and not report.attempt(
            names.scale_state_parameter(env),
            "mark parked",
            lambda: scale_state.mark_parked(aws, env, True),
        ):
            return Progress.FAILED
        progress = deployer.deploy(report, park=park, deadline=parking.stop_at)
        if progress is Progress.DONE and not park:
            done = report.attempt(
                names.scale_state_parameter(env),
                "mark unparked",
                lambda: scale_state.mark_parked(aws, env, False),
            )
            return progress if done else Progress.FAILED
        return progress


def _engine(
    aws: Aws,
    env: str,
    action: str,
    when: datetime,
    *,
    wait: bool,
    poll_seconds: float,
    parking: Parking | None,
    resumed: bool,
) -> tuple[Report, bool]:
    """The engine's report (and the stacks' steps), and whether a new run must go on."""
    if action == DOWN:
        if resumed:
            report = Report(operation="scale to 0", env=env)
        else:
            report = engine.to_zero(
                aws,
                StackOutputs(aws, env),
                env,
                actor=Actor.SCHEDULE,
                reason=f"scheduled down at {when.isoformat()}",
                wait=wait,
                poll_seconds=poll_seconds,
            )
        if parking is None or not report.ok:
            return report, False
        progress = _deploy(aws, env, parking, report, park=True)
        return report, progress is Progress.PENDING
    report = Report(operation="scale restore", env=env)
    if parking is not None:  # the stacks first; the restore then keeps a person's scale-down
        progress = _deploy(aws, env, parking, report, park=False)
        if progress is not Progress.DONE:
            return report, progress is Progress.PENDING
    restored = engine.restore(aws, env, actor=Actor.SCHEDULE, wait=wait, poll_seconds=poll_seconds)
    report.steps += restored.steps
    return report, False


def _with_retries(
    work: Callable[[], tuple[Report, bool]],
    report: Report,
    *,
    attempts: int,
    retry_seconds: float,
    sleep: Callable[[float], None],
) -> tuple[Report, bool]:
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OpsError as exc:
            if not lock_held(exc):
                report.fail("scheduled scale", "run", exc.message)
                return report, False
            if attempt == attempts:
                report.fail(
                    names.scale_lock_parameter(report.env),
                    "acquire",
                    f"gave up after {attempts} attempts {retry_seconds:g} s apart: {exc.message}",
                )
                return report, False
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
    parking: Parking | None = None,
    resumed: bool = False,
) -> RunResult:
    """Decide, then scale (or not); record the last run. `when` is the scheduled time (aware).

    `resumed`: this run goes on from one that ran out of time while parking or unparking; the
    decision was taken then, and the scale-down done."""
    if action not in (UP, DOWN):
        raise OpsError(f"unknown scheduled action {action!r}; expected {UP} or {DOWN}")
    report = Report(operation=f"scheduled {action}", env=env)
    if resumed:
        verdict = Verdict(Decision.RUN, "going on from the previous run")
    else:
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
        if verdict.decision is Decision.SKIPPED:  # a skip is used once
            skip = {k: v for k, v in requests.skip.items() if k != action}
            stored.save_requests(aws, env, replace(requests, skip=skip))
    pending = False
    if not verdict.runs:
        report.add("schedule", verdict.decision.value, detail=verdict.detail)
    else:
        report, pending = _with_retries(
            lambda: _engine(
                aws,
                env,
                action,
                when,
                wait=wait,
                poll_seconds=poll_seconds,
                parking=parking,
                resumed=resumed,
            ),
            report,
            attempts=lock_attempts,
            retry_seconds=lock_retry_seconds,
            sleep=sleep,
        )
    record(aws, env, action, when, verdict.decision.value, report)
    return RunResult(verdict=verdict, report=report, pending=pending)


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
