"""`ops park` / `ops unpark`: scale to zero and deploy the parked stacks, and back.

Parking removes resources that other stacks import (the ALB's and Redis's names feed the alarms),
and CloudFormation refuses to delete an export still in use. So `park` deploys the stacks one at a
time in reverse dependency order (Monitoring, Service, Data, Network), each with `--exclusively`;
`unpark` deploys them all in the normal order (exports appear before their importers).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.checkout import require_checkout
from ops.cost.estimate import Estimate
from ops.errors import OpsError
from ops.load_balancer import lift_deletion_protection
from ops.results import Report
from ops.scale import engine as scale
from ops.scale import state as scale_state
from ops.scale.state import Actor
from stacks.contract import names

ROOT = Path(__file__).resolve().parents[2]
Runner = Callable[[Sequence[str]], int]
Burn = Callable[[], Estimate]
DNS_WARNING = (
    "plain HTTP (edge.cloudfront: false): the load balancer is created anew and its DNS name "
    "(stack outputs PublicUrl, LoadBalancerDnsName) has changed; point any CNAME at {url}"
)
URL_KEPT = "public URL unchanged (CloudFront): {url}"


def _base(env: str, *, parked: bool) -> list[str]:
    return ["-c", f"env={env}", "-c", f"parked={'true' if parked else 'false'}"]


def deploy_commands(env: str, *, parked: bool) -> list[list[str]]:
    """The `cdk deploy` command lines, in the order they must run."""
    approve = ["--require-approval", "never"]
    if not parked:
        return [["npx", "cdk", "deploy", "--all", *_base(env, parked=False), *approve]]
    return [
        ["npx", "cdk", "deploy", "--exclusively", names.stack_name(env, part)]
        + _base(env, parked=True)
        + approve
        for part in reversed(names.STACK_PARTS)
    ]


def run_cdk(command: Sequence[str]) -> int:
    """Run one CDK command from the project root; its output goes to stderr (stdout stays JSON)."""
    path = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
    try:
        return subprocess.run(
            list(command),
            cwd=ROOT,
            env={**os.environ, "PATH": path},
            stdout=sys.stderr,
            check=False,
        ).returncode
    except FileNotFoundError as exc:
        raise OpsError(f"cannot run the CDK CLI ({exc}); run `make setup`") from None


def _require_cdk() -> None:
    """Refuse before changing anything when the deploy step could not run."""
    require_checkout("park|unpark")
    if shutil.which("npx") is None or not (ROOT / "node_modules" / ".bin" / "cdk").exists():
        raise OpsError("the CDK CLI is not installed (run `make setup`); nothing changed")


def _deploy(env: str, report: Report, *, parked: bool, dry_run: bool, run: Runner) -> bool:
    mode = "parked" if parked else "unparked"
    for command in deploy_commands(env, parked=parked):
        target = command[4] if "--exclusively" in command else "all stacks"
        shown = " ".join(command)
        if dry_run:
            report.add(target, f"would deploy {mode}", detail=shown)
            continue
        status = run(command)
        if status != 0:
            report.fail(target, f"deploy {mode}", f"exit status {status}: {shown}")
            return False
        report.add(target, f"deploy {mode}", detail=shown)
    return True


def _cost(report: Report, when: str, burn: Burn) -> Estimate | None:
    try:
        est = burn()
    except (OpsError, ValueError) as exc:
        report.add("monthly cost", when, detail=f"not estimated: {exc}")
        return None
    report.add("monthly cost", when, detail=f"${est.total_usd:,.2f} ({est.state})")
    return est


def _mark_parked(aws: Aws, env: str, parked: bool) -> str:
    with scale_state.ScaleLock(aws, env):  # no other writer between reading and saving
        return scale_state.mark_parked(aws, env, parked)


def park(
    aws: Aws,
    outputs: StackOutputs,
    env: str,
    *,
    before: Burn,
    after: Burn,
    dry_run: bool = False,
    wait: bool = True,
    run: Runner | None = None,
    poll_seconds: float | None = None,
) -> Report:
    """Scale to zero (saving the state), then deploy the parked stacks; cost before and after."""
    if run is None:
        run = run_cdk
        if not dry_run:
            _require_cdk()
    report = Report(operation="park", env=env, dry_run=dry_run)
    _cost(report, "before", before)
    extra = {} if poll_seconds is None else {"poll_seconds": poll_seconds}
    zero = scale.to_zero(
        aws, outputs, env, actor=Actor.PARK, reason="ops park", dry_run=dry_run, wait=wait, **extra
    )
    report.steps += zero.steps
    if not zero.ok:
        return report
    if not dry_run and not report.attempt(
        names.scale_state_parameter(env),
        "mark parked",  # `ops scale --to restore` now refuses: the stacks need `ops unpark`
        lambda: _mark_parked(aws, env, True),
    ):
        return report
    # A protected ALB cannot be deleted by the parked deploy: lift the protection first.
    lifted = report.attempt(
        "load balancer",
        "allow removal",
        lambda: lift_deletion_protection(aws, env, dry_run=dry_run),
    )
    if lifted and _deploy(env, report, parked=True, dry_run=dry_run, run=run):
        _cost(report, "after (estimated)" if dry_run else "after", after)
    return report


def unpark(
    aws: Aws,
    env: str,
    *,
    before: Burn,
    after: Burn,
    dry_run: bool = False,
    wait: bool = True,
    run: Runner | None = None,
    poll_seconds: float | None = None,
) -> Report:
    """Deploy the unparked stacks, then restore the saved scale state; refuse without one."""
    state = scale_state.load(aws, env)
    parameter = names.scale_state_parameter(env)
    if state is None or not state.pending:
        why = "none is saved" if state is None else f"it was restored at {state.restored_at}"
        raise OpsError(
            f"refusing to unpark {env}: no saved scale state to restore at {parameter} ({why}); "
            f"park with `ops park` first, or deploy and scale by hand; nothing changed"
        )
    if run is None:
        run = run_cdk
        if not dry_run:
            _require_cdk()
    report = Report(operation="unpark", env=env, dry_run=dry_run)
    _cost(report, "before", before)
    if not _deploy(env, report, parked=False, dry_run=dry_run, run=run):
        return report
    if not dry_run and not report.attempt(
        names.scale_state_parameter(env),
        "mark unparked",  # the stacks run again: a failed restore can be finished by `ops scale`
        lambda: _mark_parked(aws, env, False),
    ):
        return report
    extra = {} if poll_seconds is None else {"poll_seconds": poll_seconds}
    restored = scale.restore(aws, env, actor=Actor.PARK, dry_run=dry_run, wait=wait, **extra)
    report.steps += restored.steps
    if restored.ok:
        _cost(report, "after (estimated)" if dry_run else "after", after)
        report.add("public URL", "note", detail=url_note(aws, env))
    return report


def url_note(aws: Aws, env: str) -> str:
    """Whether the public URL survived unparking: always behind CloudFront (stacks/edge.py)."""
    try:
        service = StackOutputs(aws, env).of_stack(names.SERVICE)
    except OpsError as exc:
        return f"not read: {exc.message}"
    url = service.get(names.Outputs.PUBLIC_URL, "(no PublicUrl output: redeploy the stacks)")
    if names.Outputs.DISTRIBUTION_ID in service:
        return URL_KEPT.format(url=url)
    return DNS_WARNING.format(url=url)
