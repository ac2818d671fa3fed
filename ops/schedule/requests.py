"""What people asked of the schedule (skip the next up or down, hold until a time) and its last run.

Two SSM parameters (stacks.contract.names): the requests, written by `ops schedule skip|hold` and
consumed by the scheduled run; the last run, written by the scheduled run only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ops.aws import parameters
from ops.aws.session import Aws
from ops.errors import OpsError
from stacks.contract import names
from stacks.contract.schedule import DIRECTIONS

VERSION = 1


@dataclass(frozen=True)
class Requests:
    """Skips (direction -> the ISO time of the occurrence to skip) and a hold (ISO, aware)."""

    skip: dict[str, str] = field(default_factory=dict)
    hold_until: str | None = None
    hold_by: str = ""

    def held_at(self, when: datetime) -> bool:
        """True when `when` falls before the end of the hold."""
        return self.hold_until is not None and when < datetime.fromisoformat(self.hold_until)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "skip": dict(self.skip),
            "hold_until": self.hold_until,
            "hold_by": self.hold_by,
        }


@dataclass(frozen=True)
class LastRun:
    """One scheduled run: what it was asked, what it decided, and whether it succeeded."""

    action: str
    scheduled_time: str
    finished_at: str
    decision: str
    ok: bool
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "action": self.action,
            "scheduled_time": self.scheduled_time,
            "finished_at": self.finished_at,
            "decision": self.decision,
            "ok": self.ok,
            "detail": self.detail,
        }


def _read(aws: Aws, name: str) -> dict[str, Any] | None:
    raw = parameters.read(aws, name)
    if raw is None:
        return None
    try:
        document = json.loads(raw)
        if not isinstance(document, dict) or document.get("version") != VERSION:
            raise ValueError(f"expected a JSON object with version {VERSION}")
    except ValueError as exc:
        raise OpsError(
            f"{name} is unreadable ({exc}); repair it or delete it (`aws ssm delete-parameter "
            f"--name {name}`)"
        ) from exc
    return document


def _parse_requests(document: dict[str, Any]) -> Requests:
    skip = document.get("skip", {})
    if not isinstance(skip, dict) or not set(skip) <= set(DIRECTIONS):
        raise ValueError(f"invalid 'skip': expected {' or '.join(DIRECTIONS)} -> time")
    for value in (*skip.values(), document.get("hold_until") or "1970-01-01T00:00:00+00:00"):
        if datetime.fromisoformat(str(value)).tzinfo is None:
            raise ValueError(f"time without a zone: {value!r}")
    return Requests(
        skip={str(k): str(v) for k, v in skip.items()},
        hold_until=document.get("hold_until") or None,
        hold_by=str(document.get("hold_by", "")),
    )


def load_requests(aws: Aws, env: str) -> Requests:
    """The pending requests (none when the parameter does not exist)."""
    name = names.schedule_parameter(env)
    document = _read(aws, name)
    if document is None:
        return Requests()
    try:
        return _parse_requests(document)
    except ValueError as exc:
        raise OpsError(f"{name} is unreadable ({exc}); repair or delete it") from exc


def save_requests(aws: Aws, env: str, requests: Requests) -> None:
    aws.client("ssm").put_parameter(
        Name=names.schedule_parameter(env),
        Value=json.dumps(requests.to_json(), sort_keys=True),
        Type="String",
        Overwrite=True,
        Description="Skip and hold requests of the scale schedule (`ops schedule`).",
    )


def load_last_run(aws: Aws, env: str) -> LastRun | None:
    """The last scheduled run, None before the first."""
    document = _read(aws, names.schedule_last_run_parameter(env))
    if document is None:
        return None
    return LastRun(
        action=str(document.get("action", "")),
        scheduled_time=str(document.get("scheduled_time", "")),
        finished_at=str(document.get("finished_at", "")),
        decision=str(document.get("decision", "")),
        ok=bool(document.get("ok", False)),
        detail=str(document.get("detail", "")),
    )


def save_last_run(aws: Aws, env: str, run: LastRun) -> None:
    aws.client("ssm").put_parameter(
        Name=names.schedule_last_run_parameter(env),
        Value=json.dumps(run.to_json(), sort_keys=True),
        Type="String",
        Overwrite=True,
        Description="The scale schedule's last run (written by the scheduled-scale function).",
    )
