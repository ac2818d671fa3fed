"""API throughput with and without the rate limiter, side by side (prints only).

One uvicorn worker on loopback against the real PostgreSQL and Redis; 100 concurrent keep-alive
connections on an authenticated endpoint. With the limiter, the limits are raised so that every
request is admitted: the figure is the limiter's cost (one Redis round trip per request), not the
cost of answering 429. Targets: with/without >= 0.50, p95 with the limiter < 200 ms. Prints each
round, the medians over rounds and the machine's load average (the machine may be shared: judge the
noise).

    .venv/bin/python bench/api.py [--duration 5] [--rounds 5] [--connections 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import LoadResult, run_load  # noqa: E402
from bench.local_backend import backend_env, fresh_database, run_backend  # noqa: E402

DATABASE = "ohmycoins_bench"
PATH = "/api/v1/users/me"
USER = {"email": "bench@example.com", "password": "bench-password-0123"}
UNLIMITED = str(10**9)
LOG_DIR = Path(__file__).resolve().parents[1] / ".local" / "bench"
TARGET_RATIO = 0.50
TARGET_P95_MS = 200.0


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
            log_file = LOG_DIR / f"backend-{name}-limiter.log"
            base = stack.enter_context(run_backend(env, log_file=log_file))
            host, port = base.removeprefix("http://").split(":")
            targets[name] = {"host": host, "port": int(port), "path": PATH, "headers": login(base)}
        for load in targets.values():
            asyncio.run(run_load(**load, connections=connections, duration=warmup))
        results: dict[str, list[Round]] = {name: [] for name in targets}
        names = list(targets)
        for round_no in range(1, rounds + 1):
            for name in names if round_no % 2 else names[::-1]:
                print(f"round {round_no}/{rounds}: {name} the limiter", file=sys.stderr)
                load = targets[name]
                results[name].append(
                    Round.of(
                        asyncio.run(run_load(**load, connections=connections, duration=duration))
                    )
                )
    return results


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(off: list[Round], on: list[Round], *, connections: int, load_before: float) -> str:
    """Per-round figures, then the medians over rounds and the targets."""
    lines = [
        f"API: GET {PATH}, {connections} connections, 1 uvicorn worker each, loopback, "
        f"{os.cpu_count()} CPUs",
        f"{'round':<7}{'side':<17}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'failed':>8}{'load1':>7}",
    ]
    for number, pair in enumerate(zip(off, on, strict=True), start=1):
        for side, r in zip(("without limiter", "with limiter"), pair, strict=True):
            lines.append(
                f"{number:<7}{side:<17}{r.throughput:>8.0f}{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}"
                f"{r.p99_ms:>9.1f}{r.failed:>8}{r.load1:>7.2f}"
            )
    ratios = [b.throughput / a.throughput for a, b in zip(off, on, strict=True) if a.throughput]
    ratio = _median(ratios)
    p95_off, p95_on = _median([r.p95_ms for r in off]), _median([r.p95_ms for r in on])
    rps_off, rps_on = _median([r.throughput for r in off]), _median([r.throughput for r in on])
    load_after = os.getloadavg()
    lines += [
        "",
        f"median over {len(on)} rounds   without limiter: {rps_off:.0f} req/s, p95 {p95_off:.1f} ms"
        f"   with limiter: {rps_on:.0f} req/s, p95 {p95_on:.1f} ms",
        f"throughput ratio (with / without, median of per-round ratios): {ratio:.2f}  "
        f"target >= {TARGET_RATIO:.2f}  {'met' if ratio >= TARGET_RATIO else 'MISSED'}",
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
    envs = {
        "without": {**env, "RATE_LIMIT_ENABLED": "false"},
        "with": {
            **env,
            "RATE_LIMIT_ENABLED": "true",
            "RATE_LIMIT_PER_MINUTE": UNLIMITED,
            "RATE_LIMIT_PER_HOUR": UNLIMITED,
        },
    }
    runs = measure(
        envs,
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
    )
    print(
        report(runs["without"], runs["with"], connections=args.connections, load_before=load_before)
    )
    for name in runs:
        log = LOG_DIR / f"backend-{name}-limiter.log"
        errors = log.read_text().count("Traceback")
        print(f"backend log ({name} limiter): {log} ({errors} tracebacks)")


if __name__ == "__main__":
    main()
