"""`ops scale`: an environment to zero and back, or one service to N tasks (DESIGN.md section 5)."""

from __future__ import annotations

from typing import Any

from ops import alarms, collectors, rds, services
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError
from ops.results import Report
from ops.scale import state as scale_state
from ops.waiting import POLL_SECONDS
from stacks.contract import names

NO_SUSPENSION = {key: False for key in services.SUSPEND_ALL}


def capture(aws: Aws, outputs: StackOutputs, env: str) -> dict[str, Any]:
    """What `restore` needs: counts, bounds, alarm actions, collector rules, database state."""
    cluster, views = services.read_all(aws, outputs)
    saved_services = {
        role: {
            "name": view.name,
            "desired": view.ecs["desiredCount"],
            "min": view.bound("MinCapacity"),
            "max": view.bound("MaxCapacity"),
            "suspended": view.target.get("SuspendedState", NO_SUSPENSION) if view.target else None,
        }
        for role, view in views.items()
    }
    alarm_rows = alarms.describe(aws, env)
    instance_id = outputs.value(names.Outputs.DATABASE_INSTANCE_ID)
    return {
        "version": scale_state.STATE_VERSION,
        "env": env,
        "saved_at": scale_state.now_iso(),
        "saved_by": scale_state.holder(),
        "cluster": cluster,
        "services": saved_services,
        "alarms": {row["name"]: row["actions_enabled"] for row in alarm_rows if row["exists"]},
        "collectors": collectors.enabled_map(aws, outputs),
        "rds": {"id": instance_id, "status": rds.describe(aws, instance_id)["DBInstanceStatus"]},
    }


def _zero_steps(aws: Aws, state: dict[str, Any], report: Report, *, dry_run: bool) -> None:
    cluster = state["cluster"]
    enabled = sorted(name for name, on in state["alarms"].items() if on)
    verb = "would " if dry_run else ""
    report.attempt(
        f"alarms ({len(enabled)} with actions)",
        f"{verb}disable actions",
        lambda: None if dry_run else alarms.apply_actions(aws, enabled, enabled=False),
    )
    collectors.steps(aws, state, report, restore=False, dry_run=dry_run)
    for role, saved in state["services"].items():
        name = saved["name"]

        def zero(name: str = name, saved: dict[str, Any] = saved) -> str:
            if dry_run:
                return f"desired {saved['desired']} -> 0"
            if saved["min"] is not None:
                services.set_bounds(
                    aws, cluster, name, low=0, high=0, suspended=services.SUSPEND_ALL
                )
            services.set_desired(aws, cluster, name, 0)
            return "min=max=0, scaling suspended, desired 0"

        report.attempt(f"service {role} ({name})", f"{verb}scale to 0", zero)


def to_zero(
    aws: Aws,
    outputs: StackOutputs,
    env: str,
    *,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> Report:
    """Save the state; mute alarms, pause collectors, pin autoscaling 0/0, desired 0, stop RDS."""
    report = Report(operation="scale to 0", env=env, dry_run=dry_run)
    if dry_run:
        state = scale_state.load(aws, env)
        if state is None or state.get("restored_at"):
            state = capture(aws, outputs, env)
        collectors.add_to_state(aws, outputs, state)
        _zero_steps(aws, state, report, dry_run=True)
        instance = state["rds"]["id"]
        report.attempt(f"rds {instance}", "stop", lambda: rds.stop(aws, instance, dry_run=True))
        return report
    with scale_state.ScaleLock(aws, env):
        state = scale_state.load(aws, env)
        if state is None or state.get("restored_at"):
            state = capture(aws, outputs, env)
            scale_state.save(aws, env, state, overwrite=True)
            report.add(names.scale_state_parameter(env), "save state", detail=state["saved_at"])
        else:
            report.add(
                names.scale_state_parameter(env), "keep saved state", detail=state["saved_at"]
            )
            if collectors.add_to_state(aws, outputs, state):
                scale_state.save(aws, env, state, overwrite=True)
                report.add(names.scale_state_parameter(env), "add collector rules to state")
        _zero_steps(aws, state, report, dry_run=False)
        cluster, service_names = state["cluster"], [s["name"] for s in state["services"].values()]
        if wait and report.ok:
            report.attempt(
                "services",
                "wait drained",
                lambda: services.wait_steady(
                    aws, cluster, service_names, poll_seconds=poll_seconds
                ),
            )
        instance = state["rds"]["id"]
        report.attempt(
            f"rds {instance}",
            "stop",
            lambda: rds.stop(aws, instance, wait=wait, poll_seconds=poll_seconds),
        )
    return report


def restore(
    aws: Aws,
    env: str,
    *,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> Report:
    """Reverse `to_zero` in order: RDS, bounds + suspension, desired, steady, collectors, alarms."""
    report = Report(operation="scale restore", env=env, dry_run=dry_run)
    parameter = names.scale_state_parameter(env)
    state = scale_state.load(aws, env)
    if state is None:
        raise OpsError(
            f"no saved scale state at {parameter}: nothing to restore (was the environment "
            f"scaled to 0 with `ops scale --to 0`?); nothing changed"
        )
    if state.get("restored_at"):
        report.add(parameter, "already restored", detail=state["restored_at"])
        return report
    if dry_run:
        _restore_steps(aws, state, report, dry_run=True, wait=False, poll_seconds=poll_seconds)
        return report
    with scale_state.ScaleLock(aws, env):
        _restore_steps(aws, state, report, dry_run=False, wait=wait, poll_seconds=poll_seconds)
        if report.ok:
            state["restored_at"] = scale_state.now_iso()
            scale_state.save(aws, env, state, overwrite=True)
            report.add(parameter, "mark restored", detail=state["restored_at"])
    return report


def _restore_steps(
    aws: Aws,
    state: dict[str, Any],
    report: Report,
    *,
    dry_run: bool,
    wait: bool,
    poll_seconds: float,
) -> None:
    verb = "would " if dry_run else ""
    instance = state["rds"]["id"]
    if state["rds"]["status"] == "available":
        started = report.attempt(
            f"rds {instance}",
            f"{verb}start",
            lambda: rds.start(aws, instance, dry_run=dry_run, wait=wait, poll_seconds=poll_seconds),
        )
        if not started:  # services without their database would only crash-loop
            report.fail(
                "services, collectors and alarms", "skipped", "database not started; rerun restore"
            )
            return
    cluster = state["cluster"]
    for role, saved in state["services"].items():
        name = saved["name"]

        def bring_back(saved: dict[str, Any] = saved, name: str = name) -> str:
            detail = f"desired {saved['desired']}"
            if saved["min"] is not None:
                detail = f"min {saved['min']}, max {saved['max']}, {detail}"
            if dry_run:
                return detail
            if saved["min"] is not None:
                services.set_bounds(
                    aws,
                    cluster,
                    name,
                    low=saved["min"],
                    high=saved["max"],
                    suspended=saved["suspended"],
                )
            services.set_desired(aws, cluster, name, saved["desired"])
            return detail

        report.attempt(f"service {role} ({name})", f"{verb}restore", bring_back)
    if wait and not dry_run and report.ok:
        names_ = [s["name"] for s in state["services"].values()]
        report.attempt(
            "services",
            "wait steady",
            lambda: services.wait_steady(aws, cluster, names_, poll_seconds=poll_seconds),
        )
    collectors.steps(aws, state, report, restore=True, dry_run=dry_run)
    enabled = sorted(name for name, on in state["alarms"].items() if on)
    report.attempt(
        f"alarms ({len(enabled)} had actions)",
        f"{verb}enable actions",
        lambda: None if dry_run else alarms.apply_actions(aws, enabled, enabled=True),
    )


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
    state = scale_state.load(aws, env)
    if state is not None and not state.get("restored_at"):
        raise OpsError(f"{env} is scaled to zero: run `ops scale --to restore` first")
    report = Report(operation=f"scale to {count}", env=env, dry_run=dry_run)
    cluster = outputs.value(names.Outputs.CLUSTER_NAME)
    by_role = outputs.service_names()
    chosen = {role: by_role[role] for role in roles}
    targets = services.scalable_targets(aws, cluster, list(chosen.values()))
    services.describe(aws, cluster, list(chosen.values()))
    for role, name in chosen.items():

        def apply(name: str = name) -> str:
            target = targets.get(name)
            if target and not target["MinCapacity"] <= count <= target["MaxCapacity"]:
                raise OpsError(
                    f"{count} is outside its autoscaling bounds "
                    f"{target['MinCapacity']}..{target['MaxCapacity']}"
                )
            if not dry_run:
                services.set_desired(aws, cluster, name, count)
            return f"desired {count}"

        report.attempt(f"service {role} ({name})", ("would set" if dry_run else "set"), apply)
    return report
