"""Polling with visible progress (some AWS states, e.g. a stopped RDS instance, have no waiter)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ops.console import progress
from ops.errors import OpsError

POLL_SECONDS = 15.0
TIMEOUT_SECONDS = 1800.0


def poll(
    check: Callable[[], tuple[bool, str]],
    *,
    what: str,
    poll_seconds: float = POLL_SECONDS,
    timeout_seconds: float = TIMEOUT_SECONDS,
    report: Callable[[str], None] = progress,
) -> str:
    """Call `check` until it returns (True, detail); print each new detail; OpsError on timeout.

    `check` may raise OpsError to stop early (e.g. the resource entered a failed state).
    """
    deadline = time.monotonic() + timeout_seconds
    last = ""
    while True:
        done, detail = check()
        if detail != last:
            report(f"  {what}: {detail}")
            last = detail
        if done:
            return detail
        if time.monotonic() >= deadline:
            raise OpsError(f"timed out after {timeout_seconds:.0f} s waiting for {what} ({detail})")
        time.sleep(poll_seconds)
