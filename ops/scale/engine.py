"""`ops scale`: an environment to zero and back (docs/design.md, "The ops state machine").

Plain functions taking an `Aws` (and the stack outputs) and returning a `Report`, called alike by
the click command, `ops park` and the scheduled scale. Every writer takes the scale lock and reads
the saved state inside it.
"""

from __future__ import annotations

from dataclasses import replace

from ops import alarms, collectors, db_rotation, rds, services
from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.errors import OpsError, describe_aws_error, is_aws_error
from ops.results import Report
from ops.scale import state as scale_state
from ops.scale.state import Actor, Phase, SavedService, ScaleState
from ops.waiting import POLL_SECONDS
from stacks.contract import names

NO_SUSPENSION = {key: False for key in services.SUSPEND_ALL}


def capture(aws: Aws, outputs: StackOutputs, env: str, *, actor: Actor, reason: str) -> ScaleState:
    """What `restore` needs: counts, bounds, alarm actions, collector rules, database status."""
    cluster, views = services.read_all(aws, outputs)
    saved_services = {
        role: SavedService(
            name=view.name,
            desired=view.ecs["desiredCount"],
            min=view.bound("MinCapacity"),
            max=view.bound("MaxCapacity"),
            suspended=services.suspended_flags(view.target) if view.target else None,
        )
        for role, view in views.items()
    }
    alarm_rows = alarms.describe(aws, env)
    instance_id = outputs.value(names.Outputs.DATABASE_INSTANCE_ID)
    return ScaleState(
        env=env,
        phase=Phase.DOWN,
        actor=actor,
        reason=reason,
        saved_at=scale_state.now_iso(),
        saved_by=scale_state.holder(),
        cluster=cluster,
        services=saved_services,
        alarms={row["name"]: row["actions_enabled"] for row in alarm_rows if row["exists"]},
        collectors=collectors.enabled_map(aws, outputs),
        database=scale_state.SavedDatabase(
            id=instance_id, status=rds.describe(aws, instance_id)["DBInstanceStatus"]
        ),
    )


def _down_again(state: ScaleState, *, actor: Actor, reason: str) -> ScaleState:
    """A pending state back to DOWN, with the values saved first. A person's reason replaces the
    schedule's; the schedule never replaces a person's (it must not restore what a person
    scaled down)."""
    down = state.with_phase(Phase.DOWN)
    if actor is Actor.SCHEDULE and state.actor is not Actor.SCHEDULE:
        return down
    return replace(down, actor=actor, reason=reason)


def _zero_steps(aws: Aws, state: ScaleState, report: Report, *, dry_run: bool) -> None:
    enabled = sorted(name for name, on in state.alarms.items() if on)
    verb = "would " if dry_run else ""
    report.attempt(
        f"alarms ({len(enabled)} with actions)",
        f"{verb}disable actions",
        lambda: None if dry_run else alarms.apply_actions(aws, enabled, enabled=False),
    )
    collectors.steps(aws, state.collectors, report, restore=False, dry_run=dry_run)
    for role, saved in state.services.items():

        def zero(saved: SavedService = saved) -> str:
            if dry_run:
                return f"desired {saved.desired} -> 0"
            if saved.min is not None:
                services.set_bounds(
                    aws, state.cluster, saved.name, low=0, high=0, suspended=services.SUSPEND_ALL
                )
            services.set_desired(aws, state.cluster, saved.name, 0)
            return "min=max=0, scaling suspended, desired 0"

        report.attempt(f"service {role} ({saved.name})", f"{verb}scale to 0", zero)


def _state_for_zero(
    aws: Aws, outputs: StackOutputs, env: str, report: Report, *, actor: Actor, reason: str
) -> tuple[ScaleState, bool]:
    """The state `--to 0` works from, and whether it must be saved (new or changed)."""
    parameter = names.scale_state_parameter(env)
    state = scale_state.load(aws, env)
    if state is None or state.phase is Phase.RESTORED:
        fresh = capture(aws, outputs, env, actor=actor, reason=reason)
        report.add(parameter, "save state", detail=f"{fresh.saved_at} ({actor.value})")
        return fresh, True
    changed = False
    if state.phase is Phase.RESTORING:  # a restore began: the values saved first still hold
        state, changed = _down_again(state, actor=actor, reason=reason), True
        report.add(parameter, "back to down", detail=f"values saved {state.saved_at}")
    elif actor is not Actor.SCHEDULE and state.actor is Actor.SCHEDULE:
        # A person scaling down what the schedule scaled down takes it over: the scheduled up
        # must then leave it down (docs/design.md, "Scheduled scaling").
        state, changed = replace(state, actor=actor, reason=reason), True
        report.add(parameter, "keep saved state", detail=f"{state.saved_at}, now {actor.value}")
    else:
        report.add(parameter, "keep saved state", detail=state.saved_at)
    if state.collectors is None:  # saved before the rules were recorded: never paused
        state = replace(state, collectors=collectors.enabled_map(aws, outputs))
        report.add(parameter, "add collector rules to state")
        changed = True
    return state, changed


def to_zero(
    aws: Aws,
    outputs: StackOutputs,
    env: str,
    *,
    actor: Actor = Actor.MANUAL,
    reason: str = "",
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> Report:
    """Save the state; mute alarms, pause collectors, pin autoscaling 0/0, desired 0, stop RDS."""
    report = Report(operation="scale to 0", env=env, dry_run=dry_run)
    if dry_run:
        state, _ = _state_for_zero(aws, outputs, env, Report("", env), actor=actor, reason=reason)
        _zero_steps(aws, state, report, dry_run=True)
        instance = state.database.id
        report.attempt(f"rds {instance}", "stop", lambda: rds.stop(aws, instance, dry_run=True))
        return report
    with scale_state.ScaleLock(aws, env):
        state, changed = _state_for_zero(aws, outputs, env, report, actor=actor, reason=reason)
        if changed:
            scale_state.save(aws, env, state, overwrite=True)
        _zero_steps(aws, state, report, dry_run=False)
        service_names = [s.name for s in state.services.values()]
        if wait and report.ok:
            report.attempt(
                "services",
                "wait drained",
                lambda: services.wait_steady(
                    aws, state.cluster, service_names, poll_seconds=poll_seconds
                ),
            )
        instance = state.database.id
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
    actor: Actor = Actor.MANUAL,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> Report:
    """Reverse `to_zero` in order: RDS, bounds + suspension, desired, steady, collectors, alarms.

    The state goes to RESTORING before anything starts (the keep-RDS-stopped guard then leaves
    the database alone) and to RESTORED only when every step succeeded. The schedule
    (`actor=SCHEDULE`) restores only what the schedule scaled down."""
    report = Report(operation="scale restore", env=env, dry_run=dry_run)
    if dry_run:
        state = _pending(aws, env, report, actor=actor)
        if state is not None:
            _restore_steps(aws, state, report, dry_run=True, wait=False, poll_seconds=poll_seconds)
        return report
    if _pending(aws, env, report, actor=actor) is None:  # refused or done: no lock taken
        return report
    parameter = names.scale_state_parameter(env)
    with scale_state.ScaleLock(aws, env):
        state = _pending(aws, env, report, actor=actor)  # again: another run may have changed it
        if state is None:
            return report
        if actor is Actor.SCHEDULE and state.actor is not Actor.SCHEDULE:
            why = f": {state.reason}" if state.reason else ""
            detail = f"scaled down by {state.actor.value} at {state.saved_at}{why}"
            report.add(parameter, "keep down", detail=detail)
            return report
        if state.phase is Phase.DOWN:
            state = state.with_phase(Phase.RESTORING)
            if not report.attempt(
                parameter,
                "mark restoring",
                lambda: scale_state.save(aws, env, state, overwrite=True),
            ):
                return report
        _restore_steps(aws, state, report, dry_run=False, wait=wait, poll_seconds=poll_seconds)
        if report.ok:
            done = state.with_phase(Phase.RESTORED, at=scale_state.now_iso())

            def mark() -> str:
                scale_state.save(aws, env, done, overwrite=True)
                return done.restored_at or ""

            report.attempt(parameter, "mark restored", mark)
    return report


def _pending(aws: Aws, env: str, report: Report, *, actor: Actor) -> ScaleState | None:
    """The saved state still to restore; None (and a report line) when already restored.

    A parked environment is refused to a person: its services would start without their load
    balancer, cache and NAT (`ops unpark` deploys the stacks first, then restores)."""
    parameter = names.scale_state_parameter(env)
    state = scale_state.load(aws, env)
    if state is None:
        raise OpsError(
            f"no saved scale state at {parameter}: nothing to restore (was the environment "
            f"scaled to 0 with `ops scale --to 0`?); nothing changed"
        )
    if state.parked and state.pending and actor is Actor.MANUAL:
        raise OpsError(
            f"{env} is parked ({state.actor.value}, {state.saved_at}): `ops unpark --env {env}` "
            f"deploys its stacks and restores; nothing changed"
        )
    if state.phase is Phase.RESTORED:
        report.add(parameter, "already restored", detail=state.restored_at or "")
        return None
    return state


def _restore_database(
    aws: Aws, state: ScaleState, report: Report, *, dry_run: bool, wait: bool, poll_seconds: float
) -> bool:
    """Start the database unless it was down when saved; False when it did not start."""
    database, verb = state.database, ("would " if dry_run else "")
    if not database.was_up:
        report.add(
            f"rds {database.id}",
            f"{verb}leave as is",
            detail=f"it was {database.status!r} when the state was saved",
        )
        return True

    def start() -> str:
        done = rds.start(aws, database.id, dry_run=dry_run, wait=wait, poll_seconds=poll_seconds)
        if not dry_run:
            scale_state.clear_rds_stop(aws, state.env)
        return f"{done} (was {database.status!r} when saved)"

    return report.attempt(f"rds {database.id}", f"{verb}start", start)


def _restore_steps(
    aws: Aws,
    state: ScaleState,
    report: Report,
    *,
    dry_run: bool,
    wait: bool,
    poll_seconds: float,
) -> None:
    verb = "would " if dry_run else ""
    if not _restore_database(
        aws, state, report, dry_run=dry_run, wait=wait, poll_seconds=poll_seconds
    ):  # services without their database would only crash-loop
        report.fail("services, collectors and alarms", "skipped", "database not started; rerun")
        return
    for role, saved in state.services.items():

        def bring_back(saved: SavedService = saved) -> str:
            detail = f"desired {saved.desired}"
            if saved.min is not None and saved.max is not None:
                detail = f"min {saved.min}, max {saved.max}, {detail}"
            if dry_run:
                return detail
            if saved.min is not None and saved.max is not None:
                services.set_bounds(
                    aws,
                    state.cluster,
                    saved.name,
                    low=saved.min,
                    high=saved.max,
                    suspended=saved.suspended or NO_SUSPENSION,
                )
            services.set_desired(aws, state.cluster, saved.name, saved.desired)
            return detail

        report.attempt(f"service {role} ({saved.name})", f"{verb}restore", bring_back)
    if wait and not dry_run and report.ok:
        names_ = [s.name for s in state.services.values()]
        report.attempt(
            "services",
            "wait steady",
            lambda: services.wait_steady(aws, state.cluster, names_, poll_seconds=poll_seconds),
        )
    collectors.steps(aws, state.collectors, report, restore=True, dry_run=dry_run)
    enabled = sorted(name for name, on in state.alarms.items() if on)
    report.attempt(
        f"alarms ({len(enabled)} had actions)",
        f"{verb}enable actions",
        lambda: None if dry_run else alarms.apply_actions(aws, enabled, enabled=True),
    )
    if report.ok:
        _catch_up_rotation(aws, state.env, report, dry_run=dry_run)


def _catch_up_rotation(aws: Aws, env: str, report: Report, *, dry_run: bool) -> None:
    """A database rotation that waited for the database starts now. Its failure is reported but
    does not fail the restore: the old credentials stay valid and the schedule retries."""
    resource, verb = "database credentials", "would " if dry_run else ""
    try:
        report.add(resource, f"{verb}rotate if overdue", detail=db_rotation.catch_up(
            aws, env, dry_run=dry_run))  # fmt: skip
    except Exception as exc:
        if not is_aws_error(exc):
            raise
        detail = f"{describe_aws_error(exc)}; rotate later with `aws secretsmanager rotate-secret`"
        report.add(resource, f"{verb}rotate if overdue", detail=detail)
