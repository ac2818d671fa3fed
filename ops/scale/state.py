"""The saved scale state and the scale lock, both SSM parameters named by stacks.contract.names."""

from __future__ import annotations

import getpass
import json
import os
import socket
from datetime import UTC, datetime
from typing import Any

from ops.aws.session import Aws
from ops.console import warn
from ops.errors import OpsError, error_code
from stacks.contract import names

STATE_VERSION = 1


def holder() -> str:
    """Who is running this `ops`: user@host and process id."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load(aws: Aws, env: str) -> dict[str, Any] | None:
    """The saved state, None if there is none; a corrupt state is an error (never overwritten)."""
    name = names.scale_state_parameter(env)
    from botocore.exceptions import ClientError

    try:
        raw = aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return None
        raise
    try:
        state = json.loads(raw)
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(f"expected a JSON object with version {STATE_VERSION}")
        for key in ("services", "alarms", "rds"):
            if not isinstance(state.get(key), dict):
                raise ValueError(f"missing or invalid {key!r}")
        # `collectors` (rule name -> was enabled) is absent from states saved before it existed.
        if not isinstance(state.get("collectors", {}), dict):
            raise ValueError("invalid 'collectors'")
    except ValueError as exc:
        raise OpsError(
            f"saved scale state {name} is unreadable ({exc}); nothing changed. Inspect it with "
            f"`aws ssm get-parameter --name {name}` and repair or delete it"
        ) from exc
    return state


def save(aws: Aws, env: str, state: dict[str, Any], *, overwrite: bool) -> None:
    """Write the state (JSON) to its SSM parameter."""
    aws.client("ssm").put_parameter(
        Name=names.scale_state_parameter(env),
        Value=json.dumps(state, sort_keys=True),
        Type="String",
        Overwrite=overwrite,
        Description="Saved by `ops scale --to 0`; read by `ops scale --to restore`.",
    )


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
