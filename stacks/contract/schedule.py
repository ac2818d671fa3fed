"""The scale schedule's syntax: parsing, EventBridge Scheduler cron, next times, hours up a week.

A schedule names the days and the local time of each direction, e.g. `Mon-Fri 08:00`:
- days: a day (`Mon`), a range (`Mon-Fri`, wrapping allowed: `Fri-Mon`), a comma list of
  either (`Mon-Wed,Fri`), or `daily`; day names are the first three letters, any case;
- time: `HH:MM`, 24-hour, in the schedule's IANA time zone (so daylight saving is followed).

CDK-free and boto3-free: the config checks, the stacks, `ops schedule` and `ops cost` import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS: tuple[str, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
UP = "up"
DOWN = "down"
DIRECTIONS: tuple[str, ...] = (UP, DOWN)
MINUTES_PER_WEEK = 7 * 24 * 60
# A parking schedule's function finds the four stacks' staged templates in this environment
# variable: JSON {"running": {stack name: URL}, "parked": {...}} (stacks/park_templates.py).
TEMPLATES_VARIABLE = "OHMYCOINS_STACK_TEMPLATES"
RUNNING_TEMPLATES = "running"
PARKED_TEMPLATES = "parked"
_SPEC = re.compile(r"^\s*(?P<days>\S+)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$")


class ScheduleError(ValueError):
    """A schedule that cannot be parsed; `field` is the key it came from (up, down, timezone)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class Recurrence:
    """One direction's weekly times: the days (indexes into DAYS) and the local time of day."""

    days: tuple[int, ...]
    at: time

    def cron(self) -> str:
        """The EventBridge Scheduler expression, e.g. `cron(0 8 ? * MON,TUE,WED,THU,FRI *)`."""
        days = ",".join(DAYS[day] for day in self.days)
        return f"cron({self.at.minute} {self.at.hour} ? * {days} *)"

    def minutes_of_week(self) -> list[int]:
        """Minutes since Monday 00:00 (local) of each occurrence in a week."""
        return [day * 1440 + self.at.hour * 60 + self.at.minute for day in self.days]


def _day(name: str, field: str) -> int:
    upper = name.strip().upper()
    if upper not in DAYS:
        raise ScheduleError(field, f"unknown day {name!r} (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)")
    return DAYS.index(upper)


def _days(text: str, field: str) -> tuple[int, ...]:
    if text.lower() == "daily":
        return tuple(range(7))
    chosen: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        start = _day(first, field)
        end = _day(last, field) if last else start
        span = (end - start) % 7
        chosen.update((start + offset) % 7 for offset in range(span + 1))
    return tuple(sorted(chosen))


def parse_recurrence(text: str, *, field: str) -> Recurrence:
    """`Mon-Fri 08:00` -> Recurrence; ScheduleError naming `field` when it does not parse."""
    match = _SPEC.match(text)
    if match is None:
        raise ScheduleError(field, f"expected 'DAYS HH:MM' (e.g. 'Mon-Fri 08:00'), got {text!r}")
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ScheduleError(field, f"{match['hour']}:{match['minute']} is not a time of day")
    return Recurrence(days=_days(match["days"], field), at=time(hour, minute))


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ScheduleError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("timezone", f"unknown IANA time zone {name!r}") from None


@dataclass(frozen=True)
class WeeklySchedule:
    """Both directions and the zone they are read in."""

    timezone: str
    up: Recurrence
    down: Recurrence

    @classmethod
    def parse(cls, *, timezone: str, up: str, down: str) -> WeeklySchedule:
        """Parse and check: a known zone, and no minute that is both an up and a down."""
        zone(timezone)
        schedule = cls(
            timezone=timezone,
            up=parse_recurrence(up, field=UP),
            down=parse_recurrence(down, field=DOWN),
        )
        clash = set(schedule.up.minutes_of_week()) & set(schedule.down.minutes_of_week())
        if clash:
            when = min(clash)
            day, minute = DAYS[when // 1440].title(), when % 1440
            raise ScheduleError(
                DOWN, f"up and down at the same time ({day} {minute // 60:02d}:{minute % 60:02d})"
            )
        return schedule

    def recurrence(self, direction: str) -> Recurrence:
        return self.up if direction == UP else self.down

    def hours_up_per_week(self) -> float:
        """Hours a week between each up and the next down (local time, daylight saving ignored)."""
        events = sorted(
            [(m, UP) for m in self.up.minutes_of_week()]
            + [(m, DOWN) for m in self.down.minutes_of_week()]
        )
        is_up = events[-1][1] == UP  # the state the previous week ended in
        up_minutes, since = 0, 0
        for minute, direction in events:
            if is_up:
                up_minutes += minute - since
            is_up, since = direction == UP, minute
        if is_up:
            up_minutes += MINUTES_PER_WEEK - since
        return up_minutes / 60

    def next_time(self, direction: str, after: datetime) -> datetime:
        """The first `direction` time strictly after `after` (aware), in the schedule's zone."""
        tz = zone(self.timezone)
        local = after.astimezone(tz)
        recurrence = self.recurrence(direction)
        for offset in range(8):
            day: date = local.date() + timedelta(days=offset)
            if day.weekday() not in recurrence.days:
                continue
            candidate = datetime.combine(day, recurrence.at, tzinfo=tz)
            if candidate > local:
                return candidate
        raise AssertionError("a weekly recurrence always occurs within 8 days")

    def previous_time(self, direction: str, before: datetime) -> datetime:
        """The last `direction` time at or before `before`, in the schedule's zone."""
        tz = zone(self.timezone)
        local = before.astimezone(tz)
        recurrence = self.recurrence(direction)
        for offset in range(8):
            day: date = local.date() - timedelta(days=offset)
            if day.weekday() not in recurrence.days:
                continue
            candidate = datetime.combine(day, recurrence.at, tzinfo=tz)
            if candidate <= local:
                return candidate
        raise AssertionError("a weekly recurrence always occurs within 8 days")
