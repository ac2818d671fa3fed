"""The saved scale state and the scale lock, both SSM parameters named by stacks.contract.names.

The state is what `--to 0` found before changing anything (what `restore` puts back), who scaled
down and why, and where the environment is in its life (docs/design.md, "The ops state machine").
Version 2 is written; version 1 and version-less states, saved by earlier `ops`, are read.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from ops import rds
from ops.aws import parameters
from ops.aws.session import Aws
from ops.console import warn
from ops.errors import OpsError, error_code
from stacks.contract import names
from stacks.contract.scale_phase import Phase

__all__ = ["Actor", "Phase", "SavedDatabase", "SavedService", "ScaleLock", "ScaleState"]

STATE_VERSION = 2
READABLE_VERSIONS = (None, 1, 2)  # None: saved before states carried a version


class Actor(Enum):
    """Who scaled the environment down."""

    MANUAL = "manual"  # a person, `ops scale --to 0`
    SCHEDULE = "schedule"  # the scheduled scale
    PARK = "park"  # `ops park`


@dataclass(frozen=True)
class SavedService:
    """One service as it was: desired count and autoscaling bounds (None when unregistered)."""

    name: str
    desired: int
    min: int | None
    max: int | None
    suspended: dict[str, bool] | None


@dataclass(frozen=True)
class SavedDatabase:
    """The RDS instance and its status when the state was saved."""

    id: str
    status: str

    @property
    def was_up(self) -> bool:
        """True unless it was stopped or stopping: restore must leave it running."""
        return rds.is_up(rds.phase(self.status))


@dataclass(frozen=True)
class ScaleState:
    """What `--to 0` saved, and the environment's phase since."""

    env: str
    phase: Phase
    actor: Actor
    reason: str
    saved_at: str
    saved_by: str
    cluster: str
    services: dict[str, SavedService]
    alarms: dict[str, bool]  # alarm name -> actions were enabled
    database: SavedDatabase
    collectors: dict[str, bool] | None = None  # rule name -> was enabled; None: not recorded
    restored_at: str | None = None
    parked: bool = False  # the stacks are (being) parked: `ops park` or a parking schedule
    version: int = STATE_VERSION

    @property
    def down(self) -> bool:
        """True while the environment is meant to be down (the saved values are still owed)."""
        return self.phase is Phase.DOWN

    @property
    def pending(self) -> bool:
        """True until a restore has finished: `--to 0` keeps these values, `--to N` refuses."""
        return self.phase is not Phase.RESTORED

    def with_phase(self, phase: Phase, *, at: str | None = None) -> ScaleState:
        """The same state in another phase (RESTORED records when)."""
        restored_at = at if phase is Phase.RESTORED else None
        parked = self.parked and phase is not Phase.RESTORED  # restored: running stacks again
        return replace(self, phase=phase, restored_at=restored_at, parked=parked)

    def to_json(self) -> dict[str, Any]:
        """The JSON document saved in SSM (the guard's state machine reads `phase`)."""
        document: dict[str, Any] = {
            "version": STATE_VERSION,
            "env": self.env,
            "phase": self.phase.value,
            "actor": self.actor.value,
            "reason": self.reason,
            "saved_at": self.saved_at,
            "saved_by": self.saved_by,
            "cluster": self.cluster,
            "services": {
                role: {
                    "name": s.name,
                    "desired": s.desired,
                    "min": s.min,
                    "max": s.max,
                    "suspended": s.suspended,
                }
                for role, s in self.services.items()
            },
            "alarms": dict(self.alarms),
            "rds": {"id": self.database.id, "status": self.database.status},
            "restored_at": self.restored_at,
            "parked": self.parked,
        }
        if self.collectors is not None:
            document["collectors"] = dict(self.collectors)
        return document


def _mapping(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"missing or invalid {key!r}")
    return value


def _flags(value: dict[str, Any], key: str) -> dict[str, bool]:
    if not all(isinstance(v, bool) for v in value.values()):
        raise ValueError(f"invalid {key!r}: expected name -> true/false")
    return {str(k): v for k, v in value.items()}


def _service(value: Any) -> SavedService:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise ValueError("invalid service entry")
    desired = value.get("desired")
    if not isinstance(desired, int):
        raise ValueError(f"invalid desired count of {value['name']}")
    suspended = value.get("suspended")
    return SavedService(
        name=value["name"],
        desired=desired,
        min=value.get("min"),
        max=value.get("max"),
        suspended=dict(suspended) if isinstance(suspended, dict) else None,
    )


def parse(document: Any) -> ScaleState:
    """The state from its JSON document (any readable version); ValueError when malformed."""
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    version = document.get("version")
    if version not in READABLE_VERSIONS:
        raise ValueError(f"version {version!r} is not one this ops reads {READABLE_VERSIONS[1:]}")
    services = {str(k): _service(v) for k, v in _mapping(document, "services").items()}
    database = _mapping(document, "rds")
    if not isinstance(database.get("id"), str) or not isinstance(database.get("status"), str):
        raise ValueError("invalid 'rds'")
    collectors = document.get("collectors")  # absent from states saved before it existed
    if collectors is not None and not isinstance(collectors, dict):
        raise ValueError("invalid 'collectors'")
    restored_at = document.get("restored_at") or None
    if version == STATE_VERSION:
        phase, actor = Phase(document.get("phase")), Actor(document.get("actor"))
    else:  # older states: restored or not, always by a person
        phase = Phase.RESTORED if restored_at else Phase.DOWN
        actor = Actor.MANUAL
    return ScaleState(
        env=str(document.get("env", "")),
        phase=phase,
        actor=actor,
        reason=str(document.get("reason", "")),
        saved_at=str(document.get("saved_at", "")),
        saved_by=str(document.get("saved_by", "")),
        cluster=str(document.get("cluster", "")),
        services=services,
        alarms=_flags(_mapping(document, "alarms"), "alarms"),
        database=SavedDatabase(id=database["id"], status=database["status"]),
        collectors=None if collectors is None else _flags(collectors, "collectors"),
        restored_at=restored_at,
        parked=document.get("parked") is True,
    )


def holder() -> str:
    """Who is running this `ops`: user@host and process id, or the scheduled-scale function."""
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if function:  # the sandbox's user and host name nobody
        return f"function {function} pid {os.getpid()}"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load(aws: Aws, env: str) -> ScaleState | None:
    """The saved state, None if there is none; a corrupt state is an error (never overwritten)."""
    name = names.scale_state_parameter(env)
    raw = parameters.read(aws, name)
    if raw is None:
        return None
    try:
        return parse(json.loads(raw))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise OpsError(
            f"saved scale state {name} is unreadable ({exc}); nothing changed. Inspect it with "
            f"`aws ssm get-parameter --name {name}` and repair or delete it"
        ) from exc


def save(aws: Aws, env: str, state: ScaleState, *, overwrite: bool) -> None:
    """Write the state (JSON) to its SSM parameter."""
    aws.client("ssm").put_parameter(
        Name=names.scale_state_parameter(env),
        Value=json.dumps(state.to_json(), sort_keys=True),
        Type="String",
        Overwrite=overwrite,
        Description="Saved by `ops scale --to 0`; read by `ops scale --to restore`.",
    )


def mark_parked(aws: Aws, env: str, parked: bool) -> str:
    """Record in the saved state that the stacks are (being) parked, or no longer are."""
    state = load(aws, env)
    if state is None:
        raise OpsError(f"no saved scale state at {names.scale_state_parameter(env)} to mark")
    if state.parked != parked:
        save(aws, env, replace(state, parked=parked), overwrite=True)
    return "parked" if parked else "unparked"


def mark_rds_stop(aws: Aws, env: str) -> None:
    """Record that a person stopped the database on purpose (`ops rds stop`)."""
    aws.client("ssm").put_parameter(
        Name=names.rds_stop_parameter(env),
        Value=json.dumps({"by": holder(), "at": now_iso()}),
        Type="String",
        Overwrite=True,
        Description="Set by `ops rds stop`, cleared by `ops rds start` and by a restore.",
    )


def clear_rds_stop(aws: Aws, env: str) -> bool:
    """Forget `mark_rds_stop`; False when there was no mark."""
    from botocore.exceptions import ClientError

    try:
        aws.client("ssm").delete_parameter(Name=names.rds_stop_parameter(env))
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return False
        raise
    return True


class ScaleLock:
    """An SSM parameter created without overwrite: only one `ops` scales an environment at once."""

    def __init__(self, aws: Aws, env: str) -> None:
        self.aws = aws
        self.name = names.scale_lock_parameter(env)

    def __enter__(self) -> ScaleLock:
        from botocore.exceptions import ClientError

        ssm = self.aws.client("ssm")
        value = json.dumps({"holder": holder(), "since": now_iso()})
        try:
            ssm.put_parameter(Name=self.name, Value=value, Type="String", Overwrite=False)
        except ClientError as exc:
            if error_code(exc) != "ParameterAlreadyExists":
                raise
            try:
                held = json.loads(ssm.get_parameter(Name=self.name)["Parameter"]["Value"])
                who = f"{held.get('holder', '?')} since {held.get('since', '?')}"
            except (ClientError, ValueError):
                who = "an unknown holder"
            raise OpsError(
                f"another ops run is scaling this environment: lock {self.name} is held by "
                f"{who}. If that run is gone, delete the parameter and retry"
            ) from exc
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.aws.client("ssm").delete_parameter(Name=self.name)
        except Exception as exc:  # keep the operation's own outcome; say what is left behind
            warn(f"could not release the lock {self.name} ({exc}); delete it before the next run")
