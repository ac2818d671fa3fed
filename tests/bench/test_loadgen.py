"""The benchmark's load generator: keep-alive requests, status counts, percentiles."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.loadgen import LoadResult, run_load


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        status = 200 if self.headers.get("Authorization") == "Bearer t" else 401
        body = b'{"ok": true}' if status == 200 else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("token", "status"), [("t", 200), ("x", 401)])
def test_requests_reuse_connections_and_count_statuses(port, token, status):
    result = asyncio.run(
        run_load(
            host="127.0.0.1",
            port=port,
            path="/",
            headers={"Authorization": f"Bearer {token}"},
            connections=4,
            duration=0.3,
        )
    )
    assert result.errors == 0
    assert set(result.statuses) == {status}
    assert sum(result.statuses.values()) == len(result.latencies) > 4
    assert result.throughput == pytest.approx(len(result.latencies) / result.elapsed)


def test_percentiles_use_the_nearest_rank():
    result = LoadResult(latencies=[i / 100 for i in range(1, 101)], elapsed=1.0)
    assert result.percentile(50) == 0.50
    assert result.percentile(95) == 0.95
    assert result.percentile(100) == 1.00
    assert result.throughput == 100.0
