"""RDS: status with how long the instance has been stopped, stop and start with polling."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple, assert_never

from ops.aws.session import Aws
from ops.errors import OpsError
from ops.waiting import POLL_SECONDS, poll

AUTO_START_DAYS = 7  # RDS starts a stopped instance again after seven days
WARN_FROM_DAY = 6
EVENT_LOOKBACK_MINUTES = 14 * 24 * 60  # RDS keeps events for 14 days
FAILED_STATES = {"failed", "incompatible-parameters", "incompatible-restore", "storage-full"}
WHY_NOT = {
    "modifying": "a modification is being applied; wait until it is 'available'",
    "backing-up": "a backup is running; wait until it is 'available'",
    "rebooting": "it is rebooting; wait until it is 'available'",
    "creating": "it is still being created",
    "starting": "it is starting; wait until it is 'available'",
    "stopping": "it is already stopping",
    "storage-optimization": "storage optimization is running (can take hours); RDS refuses",
    "upgrading": "an engine upgrade is running; wait until it is 'available'",
    "maintenance": "maintenance is being applied; wait until it is 'available'",
}


class Phase(Enum):
    """The few states of an RDS instance that `ops` decides on (every status maps to one)."""

    AVAILABLE = "available"  # up, and RDS can stop it now
    BUSY = "busy"  # up, in a step that ends `available` (backing-up, modifying, starting...)
    STOPPING = "stopping"
    STOPPED = "stopped"
    BROKEN = "broken"  # needs a person (failed, storage-full, incompatible-*, deleting)


BROKEN_STATUSES = FAILED_STATES | {"deleting", "inaccessible-encryption-credentials"}


def phase(status: str) -> Phase:
    """Map a `DBInstanceStatus` onto a Phase; any status not listed is a transition (BUSY)."""
    if status == "available":
        return Phase.AVAILABLE
    if status in ("stopping", "stopped"):
        return Phase(status)
    if status in BROKEN_STATUSES or status.startswith("inaccessible-encryption-credentials"):
        return Phase.BROKEN
    return Phase.BUSY


def is_up(found: Phase) -> bool:
    """True when the instance runs or is on its way back to running: meant to be up."""
    match found:
        case Phase.AVAILABLE | Phase.BUSY | Phase.BROKEN:
            return True
        case Phase.STOPPING | Phase.STOPPED:
            return False
        case _:
            assert_never(found)


@dataclass
class RdsStatus:
    """What `ops rds status` shows."""

    instance_id: str
    status: str
    stopped_since: datetime | None = None
    stopped_days: float | None = None
    auto_start_at: datetime | None = None
    warning: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(aws: Aws, instance_id: str) -> dict[str, Any]:
    """The instance's description; a clear error if it does not exist."""
    from botocore.exceptions import ClientError

    try:
        found = aws.client("rds").describe_db_instances(DBInstanceIdentifier=instance_id)
    except ClientError as exc:
        if "DBInstanceNotFound" in str(exc):
            raise OpsError(f"RDS instance {instance_id} not found") from exc
        raise
    return dict(found["DBInstances"][0])


def _is_stop(message: str) -> bool:
    """'DB instance stopped' / 'The DB instance has been stopped', not the 7-day auto-start notice
    ('... being started due to it exceeding the maximum allowed time being stopped')."""
    text = message.lower()
    return "stopped" in text and "start" not in text


def stopped_since(aws: Aws, instance_id: str) -> datetime | None:
    """When the instance last stopped, from its RDS events (None if not found in 14 days)."""
    events = aws.client("rds").describe_events(
        SourceIdentifier=instance_id,
        SourceType="db-instance",
        Duration=EVENT_LOOKBACK_MINUTES,
        EventCategories=["notification"],
    )["Events"]
    stops = [e["Date"] for e in events if _is_stop(e.get("Message", ""))]
    return max(stops) if stops else None


def status(aws: Aws, instance_id: str, *, now: datetime | None = None) -> RdsStatus:
    """State, and for a stopped instance how long and when RDS will start it by itself."""
    state = describe(aws, instance_id)["DBInstanceStatus"]
    result = RdsStatus(instance_id=instance_id, status=state)
    if state != "stopped":
        return result
    since = stopped_since(aws, instance_id)
    if since is None:
        result.warning = "stopped for an unknown time (no stop event in the last 14 days)"
        return result
    now = now or datetime.now(UTC)
    result.stopped_since = since
    result.stopped_days = round((now - since).total_seconds() / 86400, 2)
    result.auto_start_at = since + timedelta(days=AUTO_START_DAYS)
    if result.stopped_days >= WARN_FROM_DAY:
        result.warning = (
            f"stopped for {result.stopped_days:.1f} days: RDS starts it automatically at "
            f"{result.auto_start_at:%Y-%m-%d %H:%M} UTC (7-day limit); stop it again after that "
            f"or keep_rds_stopped in the environment config"
        )
    return result


def _check_stoppable(instance: dict[str, Any]) -> None:
    name = instance["DBInstanceIdentifier"]
    source = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    if source:
        raise OpsError(f"{name} is a read replica of {source}: RDS cannot stop read replicas")
    replicas = instance.get("ReadReplicaDBInstanceIdentifiers") or []
    if replicas:
        raise OpsError(
            f"{name} has read replicas ({', '.join(replicas)}): RDS cannot stop the source of "
            f"a read replica; delete the replicas first or leave it running"
        )
    if instance.get("DBClusterIdentifier"):
        raise OpsError(f"{name} belongs to cluster {instance['DBClusterIdentifier']}: stop that")


def wait_for(aws: Aws, instance_id: str, target: str, *, poll_seconds: float = POLL_SECONDS) -> str:
    """Poll until the instance reaches `target` ('stopped' has no boto3 waiter)."""

    def check() -> tuple[bool, str]:
        state = describe(aws, instance_id)["DBInstanceStatus"]
        if state in FAILED_STATES:
            raise OpsError(f"RDS instance {instance_id} is {state!r}")
        return state == target, state

    return poll(check, what=f"RDS {instance_id}", poll_seconds=poll_seconds)


class _Move(NamedTuple):
    """One direction: `verb` acts on a `source` instance, which passes `moving` to reach `done`."""

    verb: str
    source: str
    moving: str
    done: str
    refusal: str  # why nothing else can be moved, when WHY_NOT does not say


_STOP = _Move(
    "stop", "available", "stopping", "stopped", "RDS can stop only an 'available' instance"
)
_START = _Move(
    "start", "stopped", "starting", "available", "RDS can start only a 'stopped' instance"
)


def _move(
    aws: Aws,
    instance_id: str,
    state: str,
    move: _Move,
    *,
    dry_run: bool,
    wait: bool,
    poll_seconds: float,
) -> str:
    """Take the instance, now in `state`, in the direction `move`. Returns what was done."""
    if state == move.done:
        return f"already {move.done}"
    if state not in (move.source, move.moving):
        reason = WHY_NOT.get(state, move.refusal)
        raise OpsError(f"cannot {move.verb} {instance_id}: it is {state!r}: {reason}")
    if dry_run:
        return f"would {move.verb}" if state == move.source else f"is {move.moving}"
    if state == move.source:
        rds = aws.client("rds")
        call = rds.stop_db_instance if move is _STOP else rds.start_db_instance
        call(DBInstanceIdentifier=instance_id)
    if wait:
        wait_for(aws, instance_id, move.done, poll_seconds=poll_seconds)
        return move.done
    return move.moving


def stop(
    aws: Aws,
    instance_id: str,
    *,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> str:
    """Stop the instance; 'already stopped' is success. Returns what was done."""
    instance = describe(aws, instance_id)
    _check_stoppable(instance)
    state = instance["DBInstanceStatus"]
    return _move(
        aws, instance_id, state, _STOP, dry_run=dry_run, wait=wait, poll_seconds=poll_seconds
    )


def start(
    aws: Aws,
    instance_id: str,
    *,
    dry_run: bool = False,
    wait: bool = True,
    poll_seconds: float = POLL_SECONDS,
) -> str:
    """Start the instance; 'already available' is success. Returns what was done."""
    state = describe(aws, instance_id)["DBInstanceStatus"]
    return _move(
        aws, instance_id, state, _START, dry_run=dry_run, wait=wait, poll_seconds=poll_seconds
    )
