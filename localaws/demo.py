"""`python -m localaws.demo` (what `make demo` runs): the whole lifecycle without an AWS account.

Synthesizes and validates every environment, starts the local AWS, deploys `local` with the
real CDK CLI (from the validated assembly), operates it with `ops`, and stops the server.
Prints each step; exits 1 at the first failed step (the server is stopped either way).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from localaws import deploy, runner

ENV = deploy.LOCAL_ENV
SYNTH_DIR = runner.STATE_DIR / "synth"
DEMO_KEY_VALUE = "demo-value-not-a-real-key"
# Printed after a successful demo: from here to typing `ops` yourself (the server is stopped).
NEXT_STEPS = """\
Try ops yourself (the demo stopped its server):
  source .venv/bin/activate    # puts `ops` on PATH (or call .venv/bin/ops)
  ops local up                 # a local AWS in the background
  ops local deploy             # bootstrap + deploy `local`, verify every resource
  eval "$(ops local env)"      # endpoint, dummy credentials, AWS_REGION and AWS_DEFAULT_REGION
  ops status --env local
  ops schedule status --env local
  ops local down"""


class StepFailed(RuntimeError):
    """A demo step failed; the message says which and why."""


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[], None]


def synthesize_every_env() -> None:
    """Every environment synthesized with full validation (built-in, cdk-nag, cfn-lint)."""
    from cdk_app.config import known_envs
    from cdk_app.summary import render, summarize

    failed = []
    for env in known_envs():
        summary = summarize(env, outdir=SYNTH_DIR / env)
        print(render(summary), flush=True)
        if not summary.ok:
            failed.append(env)
    if failed:
        raise StepFailed(f"environments failed to synthesize or validate: {', '.join(failed)}")


def start_server() -> None:
    status = runner.start()
    assert status.endpoint is not None
    runner.reset(status.endpoint)  # a server left running by an earlier run starts empty too
    print(f"AWS_ENDPOINT_URL={status.endpoint}")


def _endpoint() -> str:
    endpoint = runner.status().endpoint
    if endpoint is None:
        raise StepFailed("the local AWS server is not running")
    return endpoint


def deploy_local() -> None:
    try:
        result = deploy.deploy(_endpoint(), env=ENV, assembly=SYNTH_DIR / ENV, stream=False)
    except Exception as error:  # CdkFailed, VerificationFailed: say what happened
        raise StepFailed(str(error)) from error
    print(
        f"{result.verified()} "
        f"(bootstrap {result.bootstrap_seconds:.1f} s, deploy {result.deploy_seconds:.1f} s)"
    )


def ops(*args: str, stdin: str | None = None) -> Callable[[], None]:
    """A step running `ops ARGS --env local` against the local server."""

    def run() -> None:
        endpoint = _endpoint()
        argv = [sys.executable, "-m", "ops", *args, "--env", ENV]
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv,
            env=deploy.cdk_environment(endpoint, deploy.local_region(ENV)),
            input=stdin,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StepFailed(f"`ops {' '.join(args)}` exited {result.returncode}")

    return run


def steps() -> list[Step]:
    from stacks.contract.alarm_catalog import ALARMS
    from stacks.contract.names import API_KEY_NAMES

    set_keys = [
        Step(
            f"ops secrets set {key} (a demo value, from stdin)",
            ops("secrets", "set", key, "--yes", stdin=DEMO_KEY_VALUE),
        )
        for key in API_KEY_NAMES
    ]
    return [
        Step("synthesize and validate every environment", synthesize_every_env),
        Step("start the local AWS", start_server),
        Step("deploy `local`: cdk bootstrap + cdk deploy --all, then verify", deploy_local),
        Step("ops status", ops("status")),
        *set_keys,
        Step("ops secrets check", ops("secrets", "check")),
        Step("ops preflight (read-only checks before a deploy)", ops("preflight")),
        Step("ops scale --to 0 --yes", ops("scale", "--to", "0", "--yes")),
        Step("ops status", ops("status")),
        Step("ops scale --to restore --yes", ops("scale", "--to", "restore", "--yes")),
        Step("ops schedule status (the deployed scale schedule)", ops("schedule", "status")),
        Step(f"ops alarms test {ALARMS[0].id}", ops("alarms", "test", ALARMS[0].id, "--yes")),
    ]


def main() -> int:
    started = time.monotonic()
    plan = steps()
    try:
        for number, step in enumerate(plan, start=1):
            print(f"\n==> [{number}/{len(plan)}] {step.title}", flush=True)
            step_started = time.monotonic()
            step.run()
            print(f"    done in {time.monotonic() - step_started:.1f} s", flush=True)
    except StepFailed as failure:
        print(f"\nDEMO FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        print("\n==> stop the local AWS", flush=True)
        print("stopped" if runner.stop() else "was not running")
    print(f"\ndemo OK in {time.monotonic() - started:.0f} s\n\n{NEXT_STEPS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
