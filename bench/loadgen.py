"""A small keep-alive HTTP/1.1 load generator (asyncio streams): N connections, fixed duration.

Deliberately minimal so the client costs far less CPU than the server it measures.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass(kw_only=True)
class LoadResult:
    """Latencies (seconds) of completed requests, status counts and the measured wall time."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile latency in seconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))
        return ordered[rank]


def build_request(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while (size := int((await reader.readline()).strip(), 16)) > 0:
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(length)
    return status


async def _connection(
    host: str, port: int, request: bytes, deadline: float, result: LoadResult
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (start := time.perf_counter()) < deadline:
            writer.write(request)
            try:
                status = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            result.latencies.append(time.perf_counter() - start)
            result.statuses[status] += 1
    finally:
        writer.close()


async def run_load(
    *,
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    connections: int,
    duration: float,
) -> LoadResult:
    """Keep `connections` requests in flight for `duration` seconds."""
    result = LoadResult()
    request = build_request(host, port, path, headers)
    begin = time.perf_counter()
    deadline = begin + duration
    await asyncio.gather(
        *(_connection(host, port, request, deadline, result) for _ in range(connections))
    )
    result.elapsed = time.perf_counter() - begin
    return result
