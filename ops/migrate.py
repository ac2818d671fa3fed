"""`ops migrate`: a one-off Fargate task from the backend's task definition running migrations."""

from __future__ import annotations

from ops import one_off
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.one_off import Plan
from ops.waiting import POLL_SECONDS

COMMAND = ["python", "-m", "app.prestart"]
STARTED_BY = "ops-migrate"


def plan(aws: Aws, outputs: StackOutputs) -> Plan:
    """The RunTask request: the service's task definition and network, the migration command."""
    return one_off.plan(aws, outputs, COMMAND, started_by=STARTED_BY)


def run(
    aws: Aws,
    outputs: StackOutputs,
    *,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> one_off.TaskRun:
    """Start the task; with `wait`, wait for it to stop and report its exit code and log tail."""
    return one_off.run(
        aws, outputs, COMMAND, started_by=STARTED_BY, dry_run=dry_run, wait=wait,
        poll_seconds=poll_seconds,
    )  # fmt: skip
