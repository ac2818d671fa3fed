"""Changes by hand the scale state must know of: `ops rds stop|start`, `ops alarms mute|unmute`.

Each takes the scale lock, so it never lands between a `--to 0`'s reading and its saving. While
the environment is scaled to zero, muting or unmuting changes what `restore` puts back (the saved
state): the alarms themselves stay muted until the restore.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ops import alarms, rds
from ops.aws.session import Aws
from ops.scale import state as scale_state
from ops.waiting import POLL_SECONDS


@dataclass
class Outcome:
    """What a change by hand did, and what a person should know about it."""

    result: str
    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def stop_database(
    aws: Aws,
    env: str,
    instance_id: str,
    *,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> Outcome:
    """Stop the database and mark it meant to stay stopped (the RDS guard honours the mark)."""
    if dry_run:
        return Outcome(rds.stop(aws, instance_id, dry_run=True))
    with scale_state.ScaleLock(aws, env):
        done = rds.stop(aws, instance_id, wait=wait, poll_seconds=poll_seconds)
        scale_state.mark_rds_stop(aws, env)  # after: a refused stop leaves no mark
        return Outcome(done)


def start_database(
    aws: Aws,
    env: str,
    instance_id: str,
    *,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> Outcome:
    """Clear the stop mark and start the database; say so when the environment is scaled down."""
    notes = []
    if dry_run:
        done = rds.start(aws, instance_id, dry_run=True)
        state = scale_state.load(aws, env)
    else:
        with scale_state.ScaleLock(aws, env):
            state = scale_state.load(aws, env)
            scale_state.clear_rds_stop(aws, env)
            done = rds.start(aws, instance_id, wait=wait, poll_seconds=poll_seconds)
    if state is not None and state.down:
        notes.append(
            f"{env} is scaled to zero ({state.actor.value}, since {state.saved_at}): its services "
            "stay at 0 and the keep-RDS-stopped guard may stop the database after an automatic "
            "start; `ops scale --to restore` brings the environment back"
        )
    return Outcome(done, notes=notes)


def set_alarm_actions(
    aws: Aws, env: str, ids: tuple[str, ...] = (), *, enabled: bool, dry_run: bool = False
) -> Outcome:
    """Mute or unmute; while scaled to zero, change what restore puts back instead."""
    if dry_run:
        return _set_alarm_actions(aws, env, ids, enabled=enabled, dry_run=True)
    with scale_state.ScaleLock(aws, env):
        return _set_alarm_actions(aws, env, ids, enabled=enabled, dry_run=False)


def _set_alarm_actions(
    aws: Aws, env: str, ids: tuple[str, ...], *, enabled: bool, dry_run: bool
) -> Outcome:
    state = scale_state.load(aws, env)
    if state is None or not state.pending:
        changed = alarms.set_actions(aws, env, ids, enabled=enabled, dry_run=dry_run)
        return Outcome("changed", changed=changed)
    rows = alarms.describe(aws, env, ids)
    alarms.require_deployed(rows)
    wanted = {row["name"]: enabled for row in rows}
    changed = sorted(name for name, on in wanted.items() if state.alarms.get(name) != on)
    verb = "unmute" if enabled else "mute"
    notes = [
        f"{env} is scaled to zero: the restore will {verb} these alarms (saved state updated, "
        f"{len(changed)} changed); their actions stay off until the restore"
    ]
    if not dry_run:
        if changed:
            updated = replace(state, alarms={**state.alarms, **wanted})
            scale_state.save(aws, env, updated, overwrite=True)
        live = [row["name"] for row in rows if row["actions_enabled"]]
        if not enabled and live:  # muting is also immediate
            alarms.apply_actions(aws, live, enabled=False)
    return Outcome("saved for restore", changed=changed, notes=notes)
