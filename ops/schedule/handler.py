"""The scheduled-scale function's entry point: the event in, one report out to the log group.

The event is `{"action": "up"|"down", "scheduled_time": ISO}` (EventBridge Scheduler fills in the
time); the environment variables name the env, the alarm topic and whether it is parked. Each run
prints one JSON line (the report `ops scale --json` prints, with the decision) to the function's
log group; a failed run also publishes to the alarm topic. The run stops itself a minute before
Lambda would, so the scale lock is always released and the failure reported.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol

from ops.aws.session import Aws
from ops.errors import OpsError, describe_aws_error, is_aws_error
from ops.results import Report
from ops.schedule import run as scheduled

MARGIN_SECONDS = 60.0
RUNBOOK = "runbooks/scale-to-zero-and-resume.md"


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class DeadlineExceeded(Exception):
    """The run had to stop before Lambda's own timeout."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded in this (main) thread after `seconds`."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise DeadlineExceeded(f"stopped after {seconds:.0f} s, before the function's timeout")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _when(event: dict[str, Any]) -> datetime:
    raw = event.get("scheduled_time")
    if not raw or str(raw).startswith("<"):  # invoked by hand: now
        return datetime.now(UTC)
    when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def publish_failure(aws: Aws, topic_arn: str, env: str, action: str, report: Report) -> None:
    """Tell the alarm topic's subscribers what failed and where to start."""
    aws.client("sns").publish(
        TopicArn=topic_arn,
        Subject=f"OhMyCoins {env}: scheduled scale {action} failed"[:100],
        Message=(
            f"The scheduled scale {action} of {env} failed.\n\n{report.text()}\n\n"
            f"Runbook: {RUNBOOK}. Finish by hand with `ops scale --env {env} --to "
            f"{'0' if action == 'down' else 'restore'}`; `ops schedule status --env {env}`."
        ),
    )


def handle(
    event: dict[str, Any],
    *,
    aws: Aws,
    env: str,
    topic_arn: str,
    parked: bool,
    enabled: bool,
    seconds: float,
    **options: Any,
) -> dict[str, Any]:
    """One run with its time budget; returns (and prints) the JSON line of the run."""
    action = str(event.get("action", ""))
    when = _when(event)
    decision = "error"
    try:
        with deadline(seconds):
            result = scheduled.run(
                aws, env, action, when=when, enabled=enabled, parked=parked, **options
            )
        report, decision = result.report, result.verdict.decision.value
    except (OpsError, DeadlineExceeded) as exc:
        report = Report(operation=f"scheduled {action}", env=env)
        report.fail("scheduled scale", "run", str(exc))
    except Exception as exc:
        if not is_aws_error(exc):
            raise
        report = Report(operation=f"scheduled {action}", env=env)
        report.fail("scheduled scale", "run", describe_aws_error(exc))
    if decision == "error":
        try:
            scheduled.record(aws, env, action, when, decision, report)
        except Exception as exc:  # keep the run's own failure; say what is missing
            report.fail("schedule last run", "save", str(exc))
    line = {
        "scheduled_scale": {"action": action, "scheduled_time": when.isoformat()},
        "decision": decision,
        "report": report.to_dict(),
    }
    print(json.dumps(line, sort_keys=True), flush=True)
    if not report.ok:
        publish_failure(aws, topic_arn, env, action, report)
    return line


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda's entry point (configured in stacks/schedule.py)."""
    budget = context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS
    return handle(
        event,
        aws=Aws(region=os.environ["AWS_REGION"]),
        env=os.environ["OHMYCOINS_ENV"],
        topic_arn=os.environ["OHMYCOINS_ALARM_TOPIC_ARN"],
        parked=os.environ.get("OHMYCOINS_PARKED") == "true",
        enabled=os.environ.get("OHMYCOINS_SCHEDULE_ENABLED", "true") == "true",
        seconds=budget,
    )
