"""Metrics as CloudWatch embedded metric format (EMF) lines on stdout.

The awslogs driver ships stdout to CloudWatch Logs, which turns each EMF line into metric data: no
AWS call, no client, no credentials on the request path. Dimensions stay small (the environment
plus the service or the collector; never a user or an IP). The namespace and metric names are the
ones the alarm catalog watches (stacks/contract/alarm_catalog.py); tests/app keeps them equal.

Collectors write one line per run (`collector_run`); the backend counts per process and writes one
line per `FLUSH_SECONDS` when something was counted (`RequestCounters`, `flush_periodically`).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, TextIO

NAMESPACE = "OhMyCoins"
ENVIRONMENT = "Environment"
SERVICE = "Service"
COLLECTOR = "Collector"
COUNT = "Count"
SECONDS = "Seconds"
FLUSH_SECONDS = 60.0

# Backend, per process: limiter 429s, requests let through while Redis failed, 5xx answered.
RATE_LIMIT_REJECTED = "RateLimitRejected"
RATE_LIMIT_FAIL_OPEN = "RateLimitFailOpen"
SERVER_ERRORS = "ServerErrors"
BACKEND_METRICS: tuple[str, ...] = (RATE_LIMIT_REJECTED, RATE_LIMIT_FAIL_OPEN, SERVER_ERRORS)

# Collectors, per run.
SUCCESSFUL_RUNS = "SuccessfulRuns"  # 1 when the run stored what it fetched (success or partial)
FAILED_RUNS_IN_A_ROW = "FailedRunsInARow"  # this run and the failed runs right before it
ITEMS_FETCHED = "ItemsFetched"
ITEMS_STORED = "ItemsStored"
RUN_DURATION = "RunDuration"
MAX_ERRORS = 3
MAX_ERROR_CHARS = 300

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


def record(
    metrics: Mapping[str, tuple[float, str]],
    dimensions: Mapping[str, str],
    properties: Mapping[str, Any] | None = None,
    *,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """One EMF log event: `metrics` maps a name to (value, unit), all under one dimension set."""
    directive = {
        "Namespace": NAMESPACE,
        "Dimensions": [list(dimensions)],
        "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()],
    }
    stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    return {
        "_aws": {"Timestamp": stamp, "CloudWatchMetrics": [directive]},
        **(properties or {}),
        **dimensions,
        **{name: value for name, (value, _) in metrics.items()},
    }


def emit(event: Mapping[str, Any], stream: TextIO | None = None) -> None:
    """Write one EMF event as a single JSON line (stdout unless told otherwise)."""
    out = stream or sys.stdout
    out.write(json.dumps(event, separators=(",", ":"), default=str) + "\n")
    out.flush()


def collector_run(
    *,
    environment: str,
    collector: str,
    status: str,
    succeeded: bool,
    failed_in_a_row: int,
    fetched: int,
    stored: int,
    duration_s: float,
    errors: list[str],
) -> dict[str, Any]:
    """The EMF event of one collector run; `status` and the first errors ride along as fields."""
    return record(
        {
            SUCCESSFUL_RUNS: (1 if succeeded else 0, COUNT),
            FAILED_RUNS_IN_A_ROW: (failed_in_a_row, COUNT),
            ITEMS_FETCHED: (fetched, COUNT),
            ITEMS_STORED: (stored, COUNT),
            RUN_DURATION: (round(duration_s, 3), SECONDS),
        },
        {ENVIRONMENT: environment, COLLECTOR: collector},
        {"Status": status, "Errors": [e[:MAX_ERROR_CHARS] for e in errors[:MAX_ERRORS]]},
    )


class RequestCounters:
    """Per-process counts of the backend's metrics since the last flush."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = dict.fromkeys(BACKEND_METRICS, 0)

    def add(self, name: str, amount: int = 1) -> None:
        if name not in self._counts:
            raise KeyError(f"unknown backend metric {name!r}")
        self._counts[name] += amount

    def take(self) -> dict[str, int]:
        """The counts so far, reset to zero."""
        counts, self._counts = self._counts, dict.fromkeys(BACKEND_METRICS, 0)
        return counts

    def flush(self, environment: str, stream: TextIO | None = None) -> dict[str, Any] | None:
        """Emit one EMF event with the counts and reset them; nothing when all are zero."""
        counts = self.take()
        if not any(counts.values()):
            return None
        event = record(
            {name: (value, COUNT) for name, value in counts.items()},
            {ENVIRONMENT: environment, SERVICE: "backend"},
        )
        emit(event, stream)
        return event


requests = RequestCounters()


async def flush_periodically(environment: str, every_s: float = FLUSH_SECONDS) -> None:
    """Flush `requests` every `every_s` seconds until cancelled, then once more."""
    try:
        while True:
            await asyncio.sleep(every_s)
            requests.flush(environment)
    finally:
        requests.flush(environment)


class ServerErrorCounter:
    """ASGI middleware counting the 5xx responses answered, and the exceptions that become one."""

    def __init__(self, app: Asgi) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if int(message["status"]) >= 500:
                    requests.add(SERVER_ERRORS)
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if not started:  # the server error middleware outside answers 500
                requests.add(SERVER_ERRORS)
            raise
