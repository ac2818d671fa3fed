"""What a scheduled run does, decided from the config, the requests and the saved scale state.

Pure: no AWS call. The rules are written down in docs/design.md, "Scheduled scaling".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from ops.scale.state import Actor, ScaleState
from ops.schedule.requests import Requests
from stacks.contract.schedule import DOWN, UP

# A skip names one occurrence; a run this close to it is that occurrence.
SKIP_TOLERANCE = timedelta(minutes=30)
# A run delivered this long after its time (e.g. held back by the emergency stop) does nothing.
STALE_AFTER = timedelta(minutes=30)


class Decision(Enum):
    """The outcome of the decision; only RUN changes anything."""

    RUN = "run"
    DISABLED = "disabled"  # schedule.enabled: false
    PARKED = "parked"  # the environment is parked: the schedule does nothing
    STALE = "stale"  # delivered long after its time: the moment has passed
    HELD = "held"  # `ops schedule hold` until a later time
    SKIPPED = "skipped"  # `ops schedule skip --next <this direction>`
    KEPT_DOWN = "kept down"  # a person (or park) scaled it down: the schedule leaves it
    ALREADY_UP = "already up"  # up with nothing to restore


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    detail: str = ""

    @property
    def runs(self) -> bool:
        return self.decision is Decision.RUN


def skip_matches(requests: Requests, action: str, when: datetime) -> bool:
    """True when `requests` skips the occurrence of `action` at `when`."""
    at = requests.skip.get(action)
    return at is not None and abs(datetime.fromisoformat(at) - when) <= SKIP_TOLERANCE


def _held_by_person(state: ScaleState | None) -> bool:
    return state is not None and state.pending and state.actor is not Actor.SCHEDULE


def _describe(state: ScaleState) -> str:
    why = f": {state.reason}" if state.reason else ""
    return f"scaled down by {state.actor.value} ({state.saved_by}) at {state.saved_at}{why}"


def decide(
    action: str,
    *,
    when: datetime,
    now: datetime,
    enabled: bool,
    parked: bool,
    requests: Requests,
    state: ScaleState | None,
) -> Verdict:
    """The decision for a run of `action` (up or down) scheduled at `when`, run at `now`."""
    if not enabled:
        return Verdict(Decision.DISABLED, "schedule.enabled is false")
    if parked or (state is not None and state.pending and state.actor is Actor.PARK):
        return Verdict(Decision.PARKED, "the environment is parked; `ops unpark` brings it back")
    if now - when > STALE_AFTER:
        return Verdict(Decision.STALE, f"scheduled at {when.isoformat()}, delivered at {now}")
    if requests.held_at(when):
        return Verdict(Decision.HELD, f"held until {requests.hold_until} by {requests.hold_by}")
    if skip_matches(requests, action, when):
        return Verdict(Decision.SKIPPED, f"skip requested for {requests.skip[action]}")
    match action:
        case "down":
            if _held_by_person(state) and state is not None and state.down:
                return Verdict(Decision.KEPT_DOWN, _describe(state))
            return Verdict(Decision.RUN)
        case "up":
            if state is None or not state.pending:
                return Verdict(Decision.ALREADY_UP, "no scale-down to restore")
            if _held_by_person(state):
                return Verdict(Decision.KEPT_DOWN, _describe(state))
            return Verdict(Decision.RUN)
        case _:
            raise ValueError(f"unknown action {action!r}; expected {UP} or {DOWN}")
