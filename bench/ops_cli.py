"""`ops` benchmarks, printed as ratios.

1. `ops --help` cold start (median of several runs) beside `aws --version`.
2. `ops scale --to 0` then `--to restore` against a local moto server, beside the same effect done
   the way the old runbook did it: one `aws` CLI process per call (update-service x2,
   stop-db-instance, then start-db-instance, update-service x2). ops does more (saves state,
   mutes alarms, pins autoscaling, takes a lock) in two processes.
Timings are noisy on a loaded machine: the load average is printed alongside.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "ops"))
if TYPE_CHECKING:
    from moto_env import Deployed
HELP_TARGET_SECONDS = 0.3
RUNS = 7


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - started


def _median(cmd: list[str], env: dict[str, str] | None = None) -> float:
    _timed(cmd, env)  # warm the OS file cache; "cold" means a new process each time
    return statistics.median(_timed(cmd, env) for _ in range(RUNS))


def _ops() -> list[str]:
    script = Path(sys.executable).parent / "ops"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ops"]


def bench_help() -> None:
    ops_help = _median([*_ops(), "--help"])
    verdict = "met" if ops_help <= HELP_TARGET_SECONDS else "NOT met"
    aws = shutil.which("aws")
    if aws:
        aws_version = _median([aws, "--version"])
        print(f"ops --help cold start: {ops_help / aws_version:.2f}x the time of `aws --version` "
              f"(median of {RUNS}; target <= {HELP_TARGET_SECONDS} s: {verdict})")  # fmt: skip
    else:
        print(f"ops --help cold start: `aws` is not installed, no ratio "
              f"(target <= {HELP_TARGET_SECONDS} s: {verdict})")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_scale() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://localhost:{port}"
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "PYTHONPATH": str(ROOT)}  # fmt: skip
    env.pop("AWS_PROFILE", None)
    os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                                           "AWS_SECRET_ACCESS_KEY")})  # fmt: skip
    try:
        from moto_env import build

        deployed = build()
        ops = [*_ops(), "scale", "--env", deployed.env, "--yes", "--json"]
        started = time.perf_counter()
        subprocess.run([*ops, "--to", "0", "--wait"], check=True, capture_output=True, env=env)
        subprocess.run([*ops, "--to", "restore", "--no-wait"], check=True, capture_output=True,
                       env=env)  # fmt: skip
        ops_seconds = time.perf_counter() - started
        old_seconds = _old_way(deployed, env, endpoint)
        if old_seconds is None:
            print(f"scale to 0 + restore: {ops_seconds:.2f} s; `aws` is not installed, no ratio")
            return
        print(f"scale to 0 + restore: ops takes {ops_seconds / old_seconds:.2f}x the time of "
              f"separate `aws` calls (ratio old/ops = {old_seconds / ops_seconds:.2f}), while "
              f"also saving state, muting alarms and pinning autoscaling")  # fmt: skip
    finally:
        server.stop()


def _old_way(deployed: Deployed, env: dict[str, str], endpoint: str) -> float | None:
    """The same effect with one `aws` CLI process per call; None without the `aws` CLI."""
    aws = shutil.which("aws")
    if not aws:
        return None
    ids = deployed.ids
    region = ["--region", deployed.region, "--endpoint-url", endpoint]
    calls = [
        ["ecs", "update-service", "--cluster", ids["cluster"], "--service", ids["backend"],
         "--desired-count", "0"],
        ["ecs", "update-service", "--cluster", ids["cluster"], "--service", ids["frontend"],
         "--desired-count", "0"],
        ["rds", "stop-db-instance", "--db-instance-identifier", ids["db"]],
        ["rds", "start-db-instance", "--db-instance-identifier", ids["db"]],
        ["ecs", "update-service", "--cluster", ids["cluster"], "--service", ids["backend"],
         "--desired-count", "1"],
        ["ecs", "update-service", "--cluster", ids["cluster"], "--service", ids["frontend"],
         "--desired-count", "1"],
    ]  # fmt: skip
    started = time.perf_counter()
    for call in calls:
        subprocess.run([aws, *call, *region], check=True, capture_output=True, env=env)
    return time.perf_counter() - started


if __name__ == "__main__":
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    bench_help()
    bench_scale()
