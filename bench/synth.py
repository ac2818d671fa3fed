"""Synthesis time of every env, with and without validation, beside an empty CDK app (one run).

Each synthesis is a fresh process, as `cdk synth` runs the app: `python -m cdk_app` with the
context the CLI would pass. Prints seconds (median of --repeat runs) and the ratio to the empty
app. Target: full validation (built-in + cdk-nag + cfn-lint) at most 3x the empty app.
Prints only; it never fails on the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cdk_app.config import known_envs  # noqa: E402
from stacks.node_runtime import quiet_jsii  # noqa: E402

EMPTY_APP = "import aws_cdk as cdk; app = cdk.App(); cdk.Stack(app, 'Empty'); app.synth()"
TARGET = 3.0


def _run(argv: list[str], *, context: dict[str, str], validation: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its node helper)."""
    with tempfile.TemporaryDirectory(prefix="ohmycoins-bench-") as outdir:
        env = {
            **os.environ,
            "CDK_OUTDIR": outdir,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "CDK_VALIDATION": "true" if validation else "false",
        }
        quiet_jsii(env)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(argv)} failed: {' / '.join(tail)}")
    return seconds, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median is shown)")
    args = parser.parse_args()
    python = sys.executable
    cases: list[tuple[str, list[str], dict[str, str], bool]] = [
        ("empty app (CDK defaults)", [python, "-c", EMPTY_APP], {}, True),
        ("empty app, no validation", [python, "-c", EMPTY_APP], {}, False),
    ]
    for env in known_envs():
        module = [python, "-m", "cdk_app"]
        cases.append((f"{env}: full validation", module, {"env": env}, True))
        cases.append((f"{env}: no validation", module, {"env": env}, False))
    _run(cases[0][1], context={}, validation=True)  # warm-up: disk caches, CDK's cache dir
    wall: dict[str, list[float]] = {name: [] for name, *_ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, *_ in cases}
    for _ in range(args.repeat):  # interleaved, so a busy moment hits every case alike
        for name, argv, context, validation in cases:
            seconds, cpu_seconds = _run(argv, context=context, validation=validation)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    empty, empty_cpu = statistics.median(wall[cases[0][0]]), statistics.median(cpu[cases[0][0]])
    print(f"synth, median of {args.repeat} run(s), {os.cpu_count()} cores, load {_load()}")
    print(f"  {'case':<32} {'wall':>7} {'ratio':>6}   {'cpu':>7} {'ratio':>6}")
    for name, *_ in cases:
        seconds, cpu_seconds = statistics.median(wall[name]), statistics.median(cpu[name])
        ratio = seconds / empty
        mark = ""
        if name.endswith("full validation"):
            mark = f"  target <= {TARGET:.1f}x: " + ("met" if ratio <= TARGET else "NOT met")
        print(
            f"  {name:<32} {seconds:6.2f}s {ratio:5.2f}x   {cpu_seconds:6.2f}s "
            f"{cpu_seconds / empty_cpu:5.2f}x{mark}"
        )
    return 0


def _load() -> str:
    """The 1-minute load average: other work on the machine skews the wall times."""
    return f"{os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    sys.exit(main())
