"""`python -m cdk_app.summary`: synthesize and fully validate every environment, print a summary.

Exits non-zero if any environment fails to load, synthesize or validate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cdk_app.config import known_envs, load

ALARM_TYPE = "AWS::CloudWatch::Alarm"


@dataclass(frozen=True, kw_only=True)
class EnvSummary:
    """What one environment synthesized to."""

    env: str
    seconds: float
    resources: dict[str, int] = field(default_factory=dict)  # stack name -> resource count
    alarms: tuple[str, ...] = ()
    linted: tuple[str, ...] = ()  # templates cfn-lint checked (validated runs)
    lint_findings: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def summarize(env: str, *, outdir: Path) -> EnvSummary:
    """Synthesize `env` with full validation and count what came out."""
    from cdk_app.synth import synthesize_validated  # loads the CDK: slow import

    start = time.perf_counter()
    try:
        validated = synthesize_validated(load(env), outdir=str(outdir))
    except Exception as error:  # report every failure, then go on to the next env
        message = str(error).strip().splitlines()
        return EnvSummary(
            env=env, seconds=time.perf_counter() - start, error=message[0] if message else "?"
        )
    resources: dict[str, int] = {}
    alarms: list[str] = []
    for stack in validated.assembly.stacks:
        template = stack.template.get("Resources", {})
        resources[stack.stack_name] = len(template)
        alarms += [
            res["Properties"]["AlarmName"] for res in template.values() if res["Type"] == ALARM_TYPE
        ]
    return EnvSummary(
        env=env,
        seconds=time.perf_counter() - start,
        resources=resources,
        alarms=tuple(sorted(alarms)),
        linted=validated.linted,
        lint_findings=tuple(str(finding) for finding in validated.lint_findings),
    )


def render(summary: EnvSummary) -> str:
    """A compact block of text for one environment."""
    if not summary.ok:
        return f"{summary.env}: FAILED after {summary.seconds:.1f}s\n  {summary.error}"
    lines = [
        f"{summary.env}: OK ({summary.seconds:.1f}s, synthesized and validated: "
        f"built-in, cdk-nag AwsSolutions, cfn-lint)"
    ]
    for stack, count in summary.resources.items():
        lines.append(f"  {stack:<32} {count:>3} resources")
    kinds = Counter(name.split("-")[2] for name in summary.alarms)
    detail = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    lines.append(f"  {len(summary.alarms)} alarms ({detail})")
    if summary.linted:
        lines.append(
            f"  cfn-lint: {len(summary.linted)} templates, {len(summary.lint_findings)} findings"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("envs", nargs="*", help="environments (default: every one)")
    args = parser.parse_args(argv)
    envs = args.envs or list(known_envs())
    failed = 0
    with tempfile.TemporaryDirectory(prefix="ohmycoins-synth-") as tmp:
        for env in envs:
            summary = summarize(env, outdir=Path(tmp) / env)
            print(render(summary), flush=True)
            failed += not summary.ok
    print(f"{len(envs) - failed}/{len(envs)} environments OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
