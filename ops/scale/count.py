"""`ops scale --to N [--service NAME]`: set services' desired counts, all of them or none.

Every named service must accept N (exist, and N within its autoscaling bounds) before any is
changed: one that refuses leaves all of them as they are, and `--dry-run` shows the same rows.
Only an AWS error while setting (after all accepted) can leave some set and some not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ops import services
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError
from ops.results import Report
from ops.scale import state as scale_state
from stacks.contract import names

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling.type_defs import ScalableTargetTypeDef


def refusal(count: int, target: ScalableTargetTypeDef | None) -> str | None:
    """Why a service with this scalable target cannot take `count` (None: it can)."""
    if target and not target["MinCapacity"] <= count <= target["MaxCapacity"]:
        return (
            f"{count} is outside its autoscaling bounds "
            f"{target['MinCapacity']}..{target['MaxCapacity']}"
        )
    return None


def _refuse_while_down(aws: Aws, env: str) -> None:
    state = scale_state.load(aws, env)
    if state is not None and state.pending:
        raise OpsError(
            f"{env} is scaled to zero ({state.phase.value} since {state.saved_at}, "
            f"{state.actor.value}): run `ops scale --to restore` first; nothing changed"
        )


def _steps(
    aws: Aws, outputs: StackOutputs, count: int, roles: tuple[str, ...], report: Report
) -> None:
    cluster = outputs.value(names.Outputs.CLUSTER_NAME)
    by_role = outputs.service_names()
    chosen = {role: by_role[role] for role in roles}
    services.describe(aws, cluster, list(chosen.values()))  # a missing service: nothing changes
    targets = services.scalable_targets(aws, cluster, list(chosen.values()))
    refused = {role: refusal(count, targets.get(name)) for role, name in chosen.items()}
    blockers = sorted(role for role, why in refused.items() if why)
    verb = "would set" if report.dry_run else "set"
    for role, name in chosen.items():
        resource = f"service {role} ({name})"
        why = refused[role]
        if why:
            report.fail(resource, verb, why)
        elif blockers:
            report.fail(
                resource, verb, f"not set: {', '.join(blockers)} refuses {count}; nothing changed"
            )
        elif report.dry_run:
            report.add(resource, verb, detail=f"desired {count}")
        else:

            def apply(name: str = name) -> str:
                services.set_desired(aws, cluster, name, count)
                return f"desired {count}"

            report.attempt(resource, verb, apply)


def to_count(
    aws: Aws,
    outputs: StackOutputs,
    env: str,
    count: int,
    *,
    roles: tuple[str, ...],
    dry_run: bool = False,
) -> Report:
    """Set the desired count of the given services, within their autoscaling bounds."""
    report = Report(operation=f"scale to {count}", env=env, dry_run=dry_run)
    if dry_run:
        _refuse_while_down(aws, env)
        _steps(aws, outputs, count, roles, report)
        return report
    with scale_state.ScaleLock(aws, env):
        _refuse_while_down(aws, env)
        _steps(aws, outputs, count, roles, report)
    return report
