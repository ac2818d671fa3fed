"""API throughput with and without the rate limiter, side by side (prints only).

One uvicorn worker on loopback against the real PostgreSQL and Redis; 100 concurrent keep-alive
connections on an authenticated endpoint. With the limiter, the limits are raised so that every
request is admitted: the figure is the limiter's cost (one Redis round trip per request), not the
cost of answering 429. Targets: with/without >= 0.50, p95 with the limiter < 200 ms.

    .venv/bin/python bench/api.py [--duration 5] [--rounds 3] [--connections 100]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import ExitStack
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


def merge(results: list[LoadResult]) -> LoadResult:
    """Rounds of one side as one result (latencies pooled, wall time summed)."""
    merged = LoadResult()
    for result in results:
        merged.latencies += result.latencies
        merged.statuses.update(result.statuses)
        merged.errors += result.errors
        merged.elapsed += result.elapsed
    return merged


def measure(
    envs: dict[str, dict[str, str]],
    *,
    connections: int,
    duration: float,
    warmup: float,
    rounds: int,
) -> dict[str, LoadResult]:
    """Both servers up at once; rounds alternate between them so machine noise hits both alike."""
    with ExitStack() as stack:
        targets = {}
        for name, env in envs.items():
            log_file = LOG_DIR / f"backend-{name}-limiter.log"
            base = stack.enter_context(run_backend(env, log_file=log_file))
            host, port = base.removeprefix("http://").split(":")
            targets[name] = {"host": host, "port": int(port), "path": PATH, "headers": login(base)}
        for load in targets.values():
            asyncio.run(run_load(**load, connections=connections, duration=warmup))
        results: dict[str, list[LoadResult]] = {name: [] for name in targets}
        for round_no in range(1, rounds + 1):
            for name, load in targets.items():
                print(f"round {round_no}/{rounds}: {name} the limiter", file=sys.stderr)
                results[name].append(
                    asyncio.run(run_load(**load, connections=connections, duration=duration))
                )
    return {name: merge(parts) for name, parts in results.items()}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(off: LoadResult, on: LoadResult, *, connections: int) -> str:
    def non_2xx(r: LoadResult) -> int:
        return sum(n for status, n in r.statuses.items() if not 200 <= status < 300) + r.errors

    rows = [
        ("requests/s", f"{off.throughput:.0f}", f"{on.throughput:.0f}"),
        ("p50 latency (ms)", ms(off.percentile(50)), ms(on.percentile(50))),
        ("p95 latency (ms)", ms(off.percentile(95)), ms(on.percentile(95))),
        ("p99 latency (ms)", ms(off.percentile(99)), ms(on.percentile(99))),
        ("requests", str(len(off.latencies)), str(len(on.latencies))),
        ("non-2xx or errors", str(non_2xx(off)), str(non_2xx(on))),
    ]
    ratio = on.throughput / off.throughput if off.throughput else float("nan")
    p95_on = on.percentile(95) * 1000
    lines = [
        f"API: GET {PATH}, {connections} connections, 1 uvicorn worker each, loopback",
        f"{'':<20}{'without limiter':>18}{'with limiter':>16}",
        *(f"{name:<20}{a:>18}{b:>16}" for name, a, b in rows),
        "",
        f"throughput ratio (with / without): {ratio:.2f}  target >= {TARGET_RATIO:.2f}  "
        f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}",
        f"p95 with limiter: {p95_on:.1f} ms  target < {TARGET_P95_MS:.0f} ms  "
        f"{'met' if p95_on < TARGET_P95_MS else 'MISSED'}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per side per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=100)
    args = parser.parse_args()

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
    print(report(runs["without"], runs["with"], connections=args.connections))
    for name in runs:
        log = LOG_DIR / f"backend-{name}-limiter.log"
        errors = log.read_text().count("Traceback")
        print(f"backend log ({name} limiter): {log} ({errors} tracebacks)")


if __name__ == "__main__":
    main()
