"""The backend's EMF metrics: the line format, the per-process counters, 5xx counting, and a real
backend process writing limiter rejections and fail-open passes to stdout."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from pathlib import Path

import httpx
import pytest
from backend_testenv import backend_process, free_port
from emf_spec import emf_lines, metric_names, problems

from stacks.contract import alarm_catalog

ME = "/api/v1/users/me"


def test_a_record_is_valid_emf_with_its_dimensions_and_values() -> None:
    from app import metrics

    event = metrics.record(
        {"RateLimitRejected": (3, "Count"), "RunDuration": (1.5, "Seconds")},
        {"Environment": "staging", "Service": "backend"},
        {"Status": "ok"},
        timestamp_ms=1_700_000_000_000,
    )
    assert problems(event) == []
    directive = event["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == alarm_catalog.APP_NAMESPACE
    assert directive["Dimensions"] == [["Environment", "Service"]]
    assert (event["RateLimitRejected"], event["RunDuration"], event["Status"]) == (3, 1.5, "ok")
    assert event["_aws"]["Timestamp"] == 1_700_000_000_000


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda e: e.pop("Environment"), "dimension 'Environment'"),
        (lambda e: e.update(RateLimitRejected="3"), "no numeric value"),
        (lambda e: e["_aws"]["CloudWatchMetrics"][0]["Metrics"][0].update(Unit="Things"), "unit"),
        (lambda e: e["_aws"].update(Timestamp="now"), "Timestamp"),
        (lambda e: e["_aws"]["CloudWatchMetrics"][0].update(Namespace=""), "Namespace"),
        (lambda e: e.pop("_aws"), "no `_aws`"),
    ],
)
def test_the_checker_rejects_what_the_specification_forbids(break_it, message: str) -> None:
    from app import metrics

    event = metrics.record({"RateLimitRejected": (3, "Count")}, {"Environment": "x"})
    break_it(event)
    assert any(message in problem for problem in problems(event)), problems(event)


def test_metric_names_and_dimensions_are_the_catalogs() -> None:
    from app import metrics

    assert metrics.NAMESPACE == alarm_catalog.APP_NAMESPACE
    assert (metrics.ENVIRONMENT, metrics.SERVICE, metrics.COLLECTOR) == (
        alarm_catalog.ENVIRONMENT_DIMENSION,
        alarm_catalog.SERVICE_DIMENSION,
        alarm_catalog.COLLECTOR_DIMENSION,
    )
    watched = {
        m.name
        for alarm in alarm_catalog.ALARMS
        for m in alarm.metrics
        if m.namespace == alarm_catalog.APP_NAMESPACE and m.source == alarm_catalog.APP_BACKEND
    }
    assert watched == {metrics.RATE_LIMIT_REJECTED, metrics.RATE_LIMIT_FAIL_OPEN}
    assert set(alarm_catalog.BACKEND_METRICS) == set(metrics.BACKEND_METRICS)
    run = metrics.collector_run(
        environment="staging", collector="nansen", status="success", succeeded=True,
        failed_in_a_row=0, fetched=1, stored=1, duration_s=0.5, errors=[],
    )  # fmt: skip
    assert metric_names(run) == set(alarm_catalog.COLLECTOR_METRICS)  # what `ops cost` bills
    shared = ("RATE_LIMIT_REJECTED", "RATE_LIMIT_FAIL_OPEN", "SERVER_ERRORS", "SUCCESSFUL_RUNS",
              "FAILED_RUNS_IN_A_ROW", "ITEMS_FETCHED", "ITEMS_STORED", "RUN_DURATION")  # fmt: skip
    for name in shared:
        assert getattr(metrics, name) == getattr(alarm_catalog, name), name


def test_counters_flush_one_line_then_reset_and_stay_quiet_when_idle() -> None:
    from app.metrics import RATE_LIMIT_REJECTED, SERVER_ERRORS, RequestCounters

    counters = RequestCounters()
    out = io.StringIO()
    assert counters.flush("staging", out) is None and out.getvalue() == ""
    counters.add(RATE_LIMIT_REJECTED, 2)
    counters.add(SERVER_ERRORS)
    counters.flush("staging", out)
    (event,) = emf_lines(out.getvalue())
    assert problems(event) == []
    assert (event["RateLimitRejected"], event["ServerErrors"], event["RateLimitFailOpen"]) == (
        2,
        1,
        0,
    )
    assert (event["Environment"], event["Service"]) == ("staging", "backend")
    assert counters.flush("staging", out) is None
    with pytest.raises(KeyError, match="unknown backend metric"):
        counters.add("RequestsPerUser")


def test_server_errors_count_5xx_answers_and_unhandled_exceptions() -> None:
    from app import metrics

    async def app(scope, receive, send) -> None:
        if scope["path"] == "/boom":
            raise RuntimeError("boom")
        status = int(scope["path"].strip("/"))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def call(path: str) -> None:
        transport = httpx.ASGITransport(app=metrics.ServerErrorCounter(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            with contextlib.suppress(RuntimeError):
                await client.get(path)

    metrics.requests.take()
    for path in ("/200", "/404", "/429", "/503", "/500", "/boom"):
        asyncio.run(call(path))
    counts = metrics.requests.take()
    assert counts[metrics.SERVER_ERRORS] == 3
    assert counts[metrics.RATE_LIMIT_REJECTED] == 0


def _events_with(log: Path, name: str, total: int, deadline_s: float = 10.0) -> list[dict]:
    """The EMF lines of the log that carry `name`, once their values add up to `total` (flushes
    come every 0.2 s, so the counts may arrive over several lines) or the deadline passes."""
    end = time.monotonic() + deadline_s
    while True:
        found = [e for e in emf_lines(log.read_text()) if e.get(name)]
        if sum(e[name] for e in found) >= total or time.monotonic() > end:
            return found
        time.sleep(0.1)


def test_a_backend_process_writes_rejections_as_emf(database, redis_sync, tmp_path: Path) -> None:
    redis_sync.delete(*redis_sync.keys("rl:{ip:127.0.0.1}:*") or ["-"])
    log = tmp_path / "backend.log"
    limits = {"RATE_LIMIT_PER_MINUTE": "2", "METRICS_FLUSH_SECONDS": "0.2"}
    with backend_process(limits, log) as url:
        codes = [httpx.get(f"{url}{ME}", timeout=10).status_code for _ in range(5)]
        assert codes.count(429) == 3, codes
        events = _events_with(log, "RateLimitRejected", 3)
    assert events, log.read_text()
    assert sum(e["RateLimitRejected"] for e in events) == 3
    for event in events:
        assert problems(event) == []
        assert metric_names(event) >= {"RateLimitRejected", "RateLimitFailOpen", "ServerErrors"}
        assert event["Environment"] and event["Service"] == "backend"
        assert not {"User", "ClientIp", "ip"} & set(event), "no per-client dimension or field"
    redis_sync.delete(*redis_sync.keys("rl:{ip:127.0.0.1}:*") or ["-"])


def test_a_backend_without_redis_counts_fail_open_passes(database, tmp_path: Path) -> None:
    log = tmp_path / "backend.log"
    dead = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "METRICS_FLUSH_SECONDS": "0.2"}
    with backend_process(dead, log) as url:
        codes = [httpx.get(f"{url}{ME}", timeout=10).status_code for _ in range(4)]
        assert codes == [401] * 4  # through the failed-open limiter to the auth check
        events = _events_with(log, "RateLimitFailOpen", 4)
    assert sum(e["RateLimitFailOpen"] for e in events) == 4, log.read_text()
    assert all(problems(e) == [] for e in events)
    assert all(e["RateLimitRejected"] == 0 for e in events)  # present, and zero
