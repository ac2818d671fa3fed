"""`ops schedule status|skip|hold` against moto; the function's IAM covers every call it makes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from moto_env import Deployed
from staged_templates import stage

from cdk_app.config import load
from ops.cli import cli
from ops.schedule import handler as entry
from ops.schedule import requests as stored

ENV = "staging"
SYDNEY = ZoneInfo("Australia/Sydney")


def _invoke(deployed: Deployed, *args: str) -> Any:
    return CliRunner().invoke(cli, ["schedule", *args, "--env", ENV], obj=deployed.context())


def test_status_shows_next_times_in_local_time_and_no_run_yet(deployed: Deployed) -> None:
    result = _invoke(deployed, "status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    weekly = load(ENV).schedule.weekly()
    for direction in ("up", "down"):
        at = datetime.fromisoformat(data["next"][direction]["at"])
        assert at.utcoffset() == at.astimezone(SYDNEY).utcoffset()  # local time, not UTC
        assert (at.hour, at.minute) == (weekly.recurrence(direction).at.hour, 0)
        assert at > datetime.now(UTC)
        assert at.weekday() in weekly.recurrence(direction).days
    assert data["deployed"] == {"up": "not deployed", "down": "not deployed"}
    assert data["last_run"] is None and data["hold"] is None
    assert data["parks"] is load(ENV).schedule.park
    text = _invoke(deployed, "status")
    assert "last run: none yet" in text.output
    assert ("the down parks" in text.output) is data["parks"]
    assert "AEDT" in text.output or "AEST" in text.output


def test_skip_dry_run_changes_nothing_then_skip_marks_the_next_down(deployed: Deployed) -> None:
    dry = _invoke(deployed, "skip", "--next", "down", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert deployed.mutating_calls() == []
    done = _invoke(deployed, "skip", "--next", "down", "--yes", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["at"] == json.loads(dry.stdout)["at"]
    status = json.loads(_invoke(deployed, "status", "--json").stdout)
    assert status["next"]["down"]["skipped"] and not status["next"]["up"]["skipped"]


def test_hold_until_a_local_date_then_clear(deployed: Deployed) -> None:
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    assert _invoke(deployed, "hold", "--until", day, "--dry-run").exit_code == 0
    assert deployed.mutating_calls() == []
    result = _invoke(deployed, "hold", "--until", day, "--yes", "--json")
    assert result.exit_code == 0, result.output
    until = datetime.fromisoformat(json.loads(result.stdout)["hold_until"])
    assert until == datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=SYDNEY)
    status = json.loads(_invoke(deployed, "status", "--json").stdout)
    assert status["hold"]["until"] == until.isoformat()
    assert status["next"]["down"]["held"] and status["next"]["up"]["held"]
    assert _invoke(deployed, "hold", "--clear", "--yes").exit_code == 0
    assert stored.load_requests(deployed.aws(), ENV).hold_until is None


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("hold", "--until", "2001-01-01", "--yes"), 1, "not in the future"),
        (("hold", "--until", "next tuesday", "--yes"), 1, "expected a date"),
        (("hold", "--yes"), 2, "exactly one of --until TIME and --clear"),
        (("skip", "--next", "sideways", "--yes"), 2, "sideways"),
    ],
)
def test_bad_usage(deployed: Deployed, args: tuple[str, ...], code: int, message: str) -> None:
    result = _invoke(deployed, *args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert deployed.mutating_calls() == []


def test_production_has_no_schedule(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["schedule", "status", "--env", "production"], obj=deployed.context()
    )
    assert result.exit_code == 1
    assert "production has no schedule" in result.output


def test_status_shows_the_last_failed_run(deployed: Deployed) -> None:
    deployed.client("ssm").put_parameter(
        Name="/ohmycoins/staging/ops/scale-lock", Value="{}", Type="String"
    )
    entry.handle(
        {"action": "down", "scheduled_time": "2026-12-07T07:30:00+00:00"},
        aws=deployed.aws(),
        env=ENV,
        topic_arn=deployed.ids["topic"],
        parked=False,
        enabled=True,
        seconds=60,
        sleep=lambda _: None,
        now=datetime(2026, 12, 7, 7, 30, tzinfo=UTC),
    )
    text = _invoke(deployed, "status").output
    assert "last run: down at Mon 2026-12-07 18:30 AEDT, run, FAILED" in text


@pytest.mark.parametrize("parks", [False, True], ids=["scale", "park"])
def test_every_call_of_a_scheduled_round_trip_is_in_the_functions_policy(
    deployed: Deployed, parks: bool
) -> None:
    from stacks.schedule import ACTIONS, PARK_ACTIONS

    granted = {**ACTIONS, **PARK_ACTIONS} if parks else ACTIONS
    allowed = {action for actions in granted.values() for action in actions}
    service_prefix = {
        "cloudformation": "cloudformation",
        "ssm": "ssm",
        "ecs": "ecs",
        "application-autoscaling": "application-autoscaling",
        "rds": "rds",
        "cloudwatch": "cloudwatch",
        "events": "events",
        "sns": "sns",
        "secretsmanager": "secretsmanager",
        "s3": "s3",
        "elbv2": "elasticloadbalancing",
    }
    seen: set[str] = set()

    def record(model: Any, **_: Any) -> None:
        prefix = service_prefix[model.service_model.service_name]
        seen.add(f"{prefix}:{model.name}")

    aws = deployed.aws()
    aws.on("before-call", record)
    options: dict[str, Any] = {
        "aws": aws, "env": ENV, "topic_arn": deployed.ids["topic"], "parked": False,
    }  # fmt: skip
    if parks:
        options |= {"templates": stage(deployed), "parking_poll_seconds": 0}
    for action, when in (("down", "2026-12-07T07:30:00Z"), ("up", "2026-12-07T21:00:00Z")):
        result = entry.handle(
            {"action": action, "scheduled_time": when},
            enabled=True,
            seconds=600,
            poll_seconds=0,
            now=datetime.fromisoformat(when.replace("Z", "+00:00")),
            **options,
        )
        assert result["report"]["ok"], result
    entry.publish_failure(aws, deployed.ids["topic"], ENV, "down", entry.Report("x", ENV))
    assert seen - allowed == set()
    assert {"ecs:UpdateService", "rds:StopDBInstance", "rds:StartDBInstance"} <= seen
    assert ("cloudformation:UpdateStack" in seen) is parks
