"""API throughput with and without the rate limiter, and with and without the Content-Digest
header, side by side (prints only).

One uvicorn worker per side on loopback against the real PostgreSQL and Redis; 100 concurrent
keep-alive connections on an authenticated endpoint. With the limiter, the limits are raised so that
every request is admitted: the figure is the limiter's cost (one Redis round trip per request), not
the cost of answering 429. Three sides: without the limiter, with it (the production setup: limiter
and digest), and with the limiter but without the digest. Targets: limiter with/without >= 0.50,
p95 with the limiter < 200 ms, digest with/without >= 0.97. Prints each round, the medians over
rounds and the machine's load average (the machine may be shared: judge the noise).

    .venv/bin/python bench/api.py [--duration 5] [--rounds 5] [--connections 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import LoadResult, run_load  # noqa: E402
from bench.local_backend import (  # noqa: E402
    BACKEND_DIR,
    backend_env,
    fresh_database,
    run_backend,
)

DATABASE = "ohmycoins_bench"
PATH = "/api/v1/users/me"
USER = {"email": "bench@example.com", "password": "bench-password-0123"}
UNLIMITED = str(10**9)
LOG_DIR = Path(__file__).resolve().parents[1] / ".local" / "bench"
TARGET_RATIO = 0.50
TARGET_P95_MS = 200.0
TARGET_DIGEST_RATIO = 0.97
WITHOUT, WITH, NO_DIGEST = "without limiter", "with limiter", "without digest"


def login(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=10) as api:
        api.post("/api/v1/users/signup", json=USER)  # 400 when it already exists
        response = api.post(
            "/api/v1/login/access-token",
            data={"username": USER["email"], "password": USER["password"]},
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass(frozen=True)
class Round:
    """One timed run of one side: throughput, latency percentiles, failures, 1-minute load."""

    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed: int
    load1: float

    @classmethod
    def of(cls, result: LoadResult) -> Round:
        bad = sum(n for status, n in result.statuses.items() if not 200 <= status < 300)
        return cls(
            throughput=result.throughput,
            p50_ms=result.percentile(50) * 1000,
            p95_ms=result.percentile(95) * 1000,
            p99_ms=result.percentile(99) * 1000,
            failed=bad + result.errors,
            load1=os.getloadavg()[0],
        )


def measure(
    envs: dict[str, dict[str, str]],
    *,
    connections: int,
    duration: float,
    warmup: float,
    rounds: int,
) -> dict[str, list[Round]]:
    """Both servers up at once; each round runs both sides back to back, alternating which goes
    first, so machine noise hits both alike."""
    with ExitStack() as stack:
        targets = {}
        for name, env in envs.items():
            log_file = LOG_DIR / f"backend-{name.replace(' ', '-')}.log"
            base = stack.enter_context(run_backend(env, log_file=log_file))
            host, port = base.removeprefix("http://").split(":")
            targets[name] = {"host": host, "port": int(port), "path": PATH, "headers": login(base)}
        for load in targets.values():
            asyncio.run(run_load(**load, connections=connections, duration=warmup))
        results: dict[str, list[Round]] = {name: [] for name in targets}
        names = list(targets)
        for round_no in range(1, rounds + 1):
            for name in names if round_no % 2 else names[::-1]:
                print(f"round {round_no}/{rounds}: {name}", file=sys.stderr)
                load = targets[name]
                results[name].append(
                    Round.of(
                        asyncio.run(run_load(**load, connections=connections, duration=duration))
                    )
                )
    return results


def digest_cpu_us(body: bytes, calls: int = 20_000) -> float:
    """CPU microseconds the Content-Digest middleware adds to one response of `body`, measured
    in-process (process time, so other load on the machine does not count)."""
    sys.path.insert(0, str(BACKEND_DIR))
    from app.content_digest import ContentDigestMiddleware

    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    last = {"type": "http.response.body", "body": body}

    async def answer(scope: dict, receive: object, send: Callable) -> None:
        await send(start)
        await send(last)

    async def sink(message: dict) -> None:
        return None

    async def run(app: Callable) -> float:
        scope = {"type": "http", "method": "GET", "path": PATH}
        began = time.process_time()
        for _ in range(calls):
            await app(scope, None, sink)
        return time.process_time() - began

    bare = min(asyncio.run(run(answer)) for _ in range(3))
    digested = min(asyncio.run(run(ContentDigestMiddleware(answer))) for _ in range(3))
    return (digested - bare) / calls * 1e6


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(on: list[Round], off: list[Round]) -> float:
    """Median of the per-round throughput ratios on / off."""
    return _median(
        [b.throughput / a.throughput for a, b in zip(off, on, strict=True) if a.throughput]
    )


def verdict(value: float, target: float) -> str:
    return f"target >= {target:.2f}  {'met' if value >= target else 'MISSED'}"


def report(runs: dict[str, list[Round]], *, connections: int, load_before: float) -> str:
    """Per-round figures, then the medians over rounds and the targets."""
    lines = [
        f"API: GET {PATH}, {connections} connections, 1 uvicorn worker each, loopback, "
        f"{os.cpu_count()} CPUs",
        f"{'round':<7}{'side':<17}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'failed':>8}{'load1':>7}",
    ]
    for number, rounds in enumerate(zip(*runs.values(), strict=True), start=1):
        for side, r in zip(runs, rounds, strict=True):
            lines.append(
                f"{number:<7}{side:<17}{r.throughput:>8.0f}{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}"
                f"{r.p99_ms:>9.1f}{r.failed:>8}{r.load1:>7.2f}"
            )
    off, on, bare = runs[WITHOUT], runs[WITH], runs[NO_DIGEST]
    limiter, digest = ratio(on, off), ratio(on, bare)
    cpu_us = digest_cpu_us(b"x" * 200)  # about the size of the /users/me answer
    per_request_us = 1e6 / _median([r.throughput for r in bare])
    p95_on = _median([r.p95_ms for r in on])
    rps_on = _median([r.throughput for r in on])
    medians = "   ".join(
        f"{side}: {_median([r.throughput for r in rs]):.0f} req/s, "
        f"p95 {_median([r.p95_ms for r in rs]):.1f} ms"
        for side, rs in runs.items()
    )
    load_after = os.getloadavg()
    lines += [
        "",
        f"median over {len(on)} rounds   {medians}",
        f"limiter throughput ratio (with / without, median of per-round ratios): {limiter:.2f}  "
        + verdict(limiter, TARGET_RATIO),
        f"digest throughput ratio (with / without Content-Digest, both with the limiter): "
        f"{digest:.3f}  " + verdict(digest, TARGET_DIGEST_RATIO),
        f"digest CPU per response (in-process): {cpu_us:.1f} us, "
        f"{cpu_us / per_request_us:.2%} of a request's {per_request_us:.0f} us without it",
        f"p95 with limiter: {p95_on:.1f} ms  target < {TARGET_P95_MS:.0f} ms  "
        f"{'met' if p95_on < TARGET_P95_MS else 'MISSED'}",
        f"closed loop (Little's law): mean latency = connections / throughput = "
        f"{connections / rps_on * 1000:.0f} ms with the limiter",
        f"machine load (1/5/15 min): {load_before:.2f} before, "
        + "/".join(f"{x:.2f}" for x in load_after)
        + " after; the bench itself keeps about 1.5 CPUs busy",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per side per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=100)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    env = backend_env(DATABASE, redis_db=2)
    fresh_database(env)
    limited = {
        **env,
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_PER_MINUTE": UNLIMITED,
        "RATE_LIMIT_PER_HOUR": UNLIMITED,
    }
    envs = {
        WITHOUT: {**env, "RATE_LIMIT_ENABLED": "false"},
        WITH: limited,
        NO_DIGEST: {**limited, "CONTENT_DIGEST_ENABLED": "false"},
    }
    runs = measure(
        envs,
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
    )
    print(report(runs, connections=args.connections, load_before=load_before))
    for name in runs:
        log = LOG_DIR / f"backend-{name.replace(' ', '-')}.log"
        errors = log.read_text().count("Traceback") + log.read_text().count("unhandled error")
        print(f"backend log ({name}): {log} ({errors} errors)")


if __name__ == "__main__":
    main()
