"""The scheduled-scale function's entry point: the event in, one report out to the log group.

The event is `{"action": "up"|"down", "scheduled_time": ISO}` (EventBridge Scheduler fills in the
time); the environment variables name the env, the alarm topic, whether it is parked and, for a
schedule that parks, the staged templates. Each run prints one JSON line (the report `ops scale
--json` prints, with the decision) to the function's log group; a failed run also publishes to the
alarm topic. The run stops itself a minute before Lambda would, so the scale lock is always
released and the failure reported. Parking or unparking that outlasts a run goes on in the next:
the run invokes the function again with `"resumed": N` (at most MAX_RESUMED times).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol

from ops.aws.session import Aws
from ops.errors import OpsError, describe_aws_error, is_aws_error
from ops.results import Report
from ops.schedule import run as scheduled
from ops.schedule.stacks import POLL_SECONDS as STACK_POLL_SECONDS
from ops.schedule.stacks import StackTemplates
from stacks.contract import names
from stacks.contract.schedule import TEMPLATES_VARIABLE

MARGIN_SECONDS = 60.0
# Parking stops waiting this long before the run's own deadline (one poll and a save).
PARKING_RESERVE_SECONDS = 30.0
MAX_RESUMED = 5  # CloudFormation taking over 90 minutes to park is a failure to look into
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
    try:
        when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise OpsError(f"invalid 'scheduled_time' in the event: {str(raw)[:60]!r}") from None
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


def _resumed(event: dict[str, Any]) -> int:
    value = event.get("resumed", 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_RESUMED:
        raise OpsError(f"invalid 'resumed' in the event: {value!r} (0..{MAX_RESUMED})")
    return value


def go_on(aws: Aws, function: str, event: dict[str, Any], resumed: int) -> None:
    """Invoke the function again, asynchronously, to go on where this run stopped."""
    payload = {**event, "resumed": resumed + 1}
    aws.client("lambda").invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode()
    )


def handle(
    received: object,
    *,
    aws: Aws,
    env: str,
    topic_arn: str,
    parked: bool,
    enabled: bool,
    seconds: float,
    templates: str | None = None,
    parking_poll_seconds: float = STACK_POLL_SECONDS,
    **options: Any,
) -> dict[str, Any]:
    """One run with its time budget; returns (and prints) the JSON line of the run.

    `templates`: the staged templates' JSON (the function's OHMYCOINS_STACK_TEMPLATES), when the
    schedule parks."""
    # Anything but EventBridge Scheduler's JSON object is reported and changes nothing.
    event = received if isinstance(received, dict) else {"action": f"<{type(received).__name__}>"}
    action = str(event.get("action", ""))
    when = datetime.now(UTC)
    decision = "error"
    pending = False
    try:
        when = _when(event)
        resumed = _resumed(event)
        parking = None
        if templates is not None:
            stop_at = time.monotonic() + seconds - PARKING_RESERVE_SECONDS
            staged = StackTemplates.parse(templates, env)
            parking = scheduled.Parking(staged, stop_at, parking_poll_seconds)
        with deadline(seconds):
            result = scheduled.run(
                aws,
                env,
                action,
                when=when,
                enabled=enabled,
                parked=parked,
                parking=parking,
                resumed=resumed > 0,
                **options,
            )
        report, decision, pending = result.report, result.verdict.decision.value, result.pending
        if pending and resumed == MAX_RESUMED:
            pending = False
            report.fail(
                "scheduled scale",
                "go on",
                f"stacks still deploying after {MAX_RESUMED + 1} runs; see the CloudFormation "
                f"events, then finish with `ops park` or `ops unpark`",
            )
        elif pending:
            function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or (
                names.scheduled_scale_function(env)
            )
            pending = report.attempt(  # a failed hand-over is reported like any failed step
                "scheduled scale",
                "go on in a new run",
                lambda: go_on(aws, function, event, resumed),
            )
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
        "pending": pending,
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
        templates=os.environ.get(TEMPLATES_VARIABLE),
        topic_arn=os.environ["OHMYCOINS_ALARM_TOPIC_ARN"],
        parked=os.environ.get("OHMYCOINS_PARKED") == "true",
        enabled=os.environ.get("OHMYCOINS_SCHEDULE_ENABLED", "true") == "true",
        seconds=budget,
    )
