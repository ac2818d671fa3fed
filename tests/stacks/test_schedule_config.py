"""The `schedule` config key: its syntax, the cron it becomes, hours up, next times, errors."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from cdk_app.config import ENVIRONMENTS_DIR, ConfigError, load
from stacks.contract.schedule import ScheduleError, WeeklySchedule, parse_recurrence

SYDNEY = ZoneInfo("Australia/Sydney")


@pytest.fixture()
def env_dir(tmp_path: Path) -> Path:
    target = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, target)
    return target


def _set_schedule(env_dir: Path, schedule: Any) -> None:
    path = env_dir / "staging.yaml"
    data = yaml.safe_load(path.read_text())
    data["schedule"] = schedule
    path.write_text(yaml.safe_dump(data))


def test_production_has_none_and_staging_an_office_hours_example() -> None:
    assert load("production").schedule is None
    staging = load("staging").schedule
    assert staging is not None and staging.enabled
    assert staging.weekly().timezone == "Australia/Sydney"


@pytest.mark.parametrize(
    ("text", "days", "cron"),
    [
        ("Mon-Fri 08:00", (0, 1, 2, 3, 4), "cron(0 8 ? * MON,TUE,WED,THU,FRI *)"),
        ("daily 19:30", tuple(range(7)), "cron(30 19 ? * MON,TUE,WED,THU,FRI,SAT,SUN *)"),
        ("fri-mon 7:05", (0, 4, 5, 6), "cron(5 7 ? * MON,FRI,SAT,SUN *)"),
        ("Mon-Wed,Sat 23:59", (0, 1, 2, 5), "cron(59 23 ? * MON,TUE,WED,SAT *)"),
    ],
)
def test_recurrence_syntax_and_its_cron(text: str, days: tuple[int, ...], cron: str) -> None:
    recurrence = parse_recurrence(text, field="up")
    assert recurrence.days == days
    assert recurrence.cron() == cron


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Mon-Fri", "expected 'DAYS HH:MM'"),
        ("Mon-Fry 08:00", "unknown day 'Fry'"),
        ("Mon 24:00", "not a time of day"),
        ("Mon 08:60", "not a time of day"),
        ("cron(0 8 * * ? *)", "expected 'DAYS HH:MM'"),
    ],
)
def test_bad_recurrence_names_its_field(text: str, problem: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_recurrence(text, field="down")
    assert caught.value.field == "down"
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("up", "down", "hours"),
    [
        ("Mon-Fri 08:00", "Mon-Fri 18:00", 5 * 10),
        ("Mon 08:00", "Fri 18:00", 4 * 24 + 10),  # up all week, down at the weekend
        ("daily 20:00", "daily 02:00", 7 * 6),  # across midnight
        ("Sun 22:00", "Mon 06:00", 8),  # across the week's end
        ("Mon-Fri 08:00", "Mon-Fri 07:00", 7 * 24 - 5),  # down one hour each weekday
    ],
)
def test_hours_up_per_week(up: str, down: str, hours: float) -> None:
    schedule = WeeklySchedule.parse(timezone="UTC", up=up, down=down)
    assert schedule.hours_up_per_week() == hours


def test_next_and_previous_times_follow_daylight_saving() -> None:
    schedule = WeeklySchedule.parse(
        timezone="Australia/Sydney", up="Mon-Fri 08:00", down="Mon-Fri 18:00"
    )
    # Sydney moves to UTC+11 on Sunday 4 October 2026.
    friday_night = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)  # Fri 19:00 AEST
    up = schedule.next_time("up", friday_night)
    assert up == datetime(2026, 10, 5, 8, 0, tzinfo=SYDNEY)
    assert up.utcoffset() is not None and up.utcoffset().total_seconds() == 11 * 3600
    assert schedule.previous_time("down", friday_night) == datetime(
        2026, 10, 2, 18, 0, tzinfo=SYDNEY
    )
    exactly = datetime(2026, 10, 5, 8, 0, tzinfo=SYDNEY)
    assert schedule.next_time("up", exactly) == datetime(2026, 10, 6, 8, 0, tzinfo=SYDNEY)
    assert schedule.previous_time("up", exactly) == exactly


@pytest.mark.parametrize(
    ("schedule", "key", "problem"),
    [
        ({"timezone": "Mars/Olympus", "up": "Mon 08:00", "down": "Mon 18:00"}, "schedule.timezone",
         "unknown IANA time zone"),
        ({"timezone": "UTC", "up": "Monday 8", "down": "Mon 18:00"}, "schedule.up", "DAYS HH:MM"),
        ({"timezone": "UTC", "up": "Mon 08:00", "down": "Mon 08:00"}, "schedule.down",
         "same time (Mon 08:00)"),
        ({"timezone": "UTC", "up": "Mon 08:00"}, "schedule.down", "missing required key"),
        ({"timezone": "UTC", "up": "Mon 08:00", "down": "Mon 18:00", "at": 1}, "schedule.at",
         "unknown key"),
        ({"timezone": "UTC", "up": "Mon 08:00", "down": "Mon 18:00", "enabled": "yes"},
         "schedule.enabled", "expected bool, got str"),
        ("Mon-Fri 08:00", "schedule", "expected mapping, got str"),
    ],
)  # fmt: skip
def test_schedule_errors_name_the_file_and_the_key(
    env_dir: Path, schedule: Any, key: str, problem: str
) -> None:
    _set_schedule(env_dir, schedule)
    with pytest.raises(ConfigError) as caught:
        load("staging", directory=env_dir)
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(caught.value).startswith(str(env_dir / "staging.yaml"))


def test_null_schedule_and_disabled_schedule_load(env_dir: Path) -> None:
    _set_schedule(env_dir, None)
    assert load("staging", directory=env_dir).schedule is None
    _set_schedule(
        env_dir, {"timezone": "UTC", "up": "Mon 8:00", "down": "Mon 9:00", "enabled": False}
    )
    config = load("staging", directory=env_dir)
    assert config.schedule is not None and not config.schedule.enabled
