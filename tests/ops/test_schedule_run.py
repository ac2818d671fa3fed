"""Scheduled runs against moto: the handler calls the `ops scale` engine under the written rules."""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto_env import Deployed
from staged_templates import stage as _stage

from ops.aws.session import Aws
from ops.errors import OpsError
from ops.scale import engine
from ops.scale import state as scale_state
from ops.scale.state import Actor, Phase
from ops.schedule import handler as entry
from ops.schedule import requests as stored
from stacks.contract import alarm_catalog, names

ENV = "staging"
NONE = {key: False for key in engine.services.SUSPEND_ALL}
WHEN = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # a Monday, 18:30 in Sydney


def _snapshot(deployed: Deployed) -> dict[str, Any]:
    """Everything `ops scale` changes, read straight from moto."""
    cluster = deployed.ids["cluster"]
    services = deployed.client("ecs").describe_services(
        cluster=cluster, services=[deployed.ids["backend"], deployed.ids["frontend"]]
    )["services"]
    targets = deployed.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs"
    )["ScalableTargets"]
    alarms = deployed.client("cloudwatch").describe_alarms(
        AlarmNames=[names.alarm_name(ENV, a.id) for a in alarm_catalog.ALARMS]
    )["MetricAlarms"]
    rules = deployed.client("events").list_rules(NamePrefix=names.resource_name(ENV))["Rules"]
    db = deployed.client("rds").describe_db_instances(DBInstanceIdentifier=deployed.ids["db"])
    return {
        "desired": {s["serviceName"]: s["desiredCount"] for s in services},
        "targets": {  # AWS always returns SuspendedState; moto leaves it out until it is set
            t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"], t.get("SuspendedState", NONE))
            for t in targets
        },
        "alarms": {a["AlarmName"]: a["ActionsEnabled"] for a in alarms},
        "rules": {r["Name"]: r["State"] for r in rules},
        "db": db["DBInstances"][0]["DBInstanceStatus"],
    }


def _handle(
    deployed: Deployed,
    event: object,
    *,
    aws: Aws | None = None,
    parked: bool = False,
    enabled: bool = True,
    seconds: float = 600,
    **options: Any,
) -> dict[str, Any]:
    """The function's handler on `event`, against the moto environment."""
    return entry.handle(
        event,
        aws=aws or deployed.aws(),
        env=ENV,
        topic_arn=deployed.ids["topic"],
        parked=parked,
        enabled=enabled,
        seconds=seconds,
        **options,
    )


def _run(
    deployed: Deployed, action: str, *, when: datetime = WHEN, **options: Any
) -> dict[str, Any]:
    """A scheduled run of `action` at `when`, delivered on time, without real waits."""
    options.setdefault("poll_seconds", 0)
    options.setdefault("sleep", lambda _: None)
    options.setdefault("now", when + timedelta(seconds=5))  # delivered on time
    return _handle(deployed, {"action": action, "scheduled_time": when.isoformat()}, **options)


def _state(deployed: Deployed) -> scale_state.ScaleState | None:
    return scale_state.load(deployed.aws(), ENV)


def _published(deployed: Deployed) -> int:
    return deployed.calls.count("Publish")


def test_down_then_up_leaves_the_env_exactly_as_it_was(deployed: Deployed, capsys) -> None:
    before = _snapshot(deployed)
    down = _run(deployed, "down")
    assert down["decision"] == "run" and down["report"]["ok"], down
    assert down["report"]["operation"] == "scale to 0"  # the engine's own report
    after_down = _snapshot(deployed)
    assert set(after_down["desired"].values()) == {0}
    assert after_down["db"] == "stopped"
    assert not any(after_down["alarms"].values())
    state = _state(deployed)
    assert state is not None and state.actor is Actor.SCHEDULE and state.down
    assert "scheduled down" in state.reason
    up = _run(deployed, "up", when=WHEN + timedelta(hours=13, minutes=30))
    assert up["decision"] == "run" and up["report"]["ok"], up
    assert _snapshot(deployed) == before
    assert _published(deployed) == 0
    # every run printed its JSON line (the log group's record), the engine's report inside
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["report"]["operation"] for line in lines] == ["scale to 0", "scale restore"]
    last = stored.load_last_run(deployed.aws(), ENV)
    assert last is not None and (last.action, last.decision, last.ok) == ("up", "run", True)


def test_scheduled_down_keeps_a_persons_scale_down(deployed: Deployed) -> None:
    engine.to_zero(deployed.aws(), deployed.outputs(), ENV, reason="db work", poll_seconds=0)
    saved = _state(deployed)
    deployed.calls.clear()
    result = _run(deployed, "down")
    assert result["decision"] == "kept down"
    assert "manual" in result["report"]["steps"][0]["detail"]
    assert _state(deployed) == saved
    # nothing but the last run's record was written
    assert deployed.mutating_calls() == ["PutParameter"]


def test_scheduled_up_never_undoes_a_manual_down_after_the_scheduled_one(
    deployed: Deployed,
) -> None:
    _run(deployed, "down")
    engine.to_zero(deployed.aws(), deployed.outputs(), ENV, reason="keep for the audit")
    state = _state(deployed)
    assert state is not None and state.actor is Actor.MANUAL
    assert state.reason == "keep for the audit"
    result = _run(deployed, "up", when=WHEN + timedelta(hours=13))
    assert result["decision"] == "kept down"
    assert "keep for the audit" in result["report"]["steps"][0]["detail"]
    assert set(_snapshot(deployed)["desired"].values()) == {0}
    # a person restores it
    assert engine.restore(deployed.aws(), ENV, poll_seconds=0).ok
    assert _snapshot(deployed)["db"] == "available"


def test_engine_restore_for_the_schedule_refuses_a_persons_state_inside_the_lock(
    deployed: Deployed,
) -> None:
    engine.to_zero(deployed.aws(), deployed.outputs(), ENV, poll_seconds=0)
    report = engine.restore(deployed.aws(), ENV, actor=Actor.SCHEDULE, poll_seconds=0)
    assert [step.action for step in report.steps] == ["keep down"]
    assert _snapshot(deployed)["db"] == "stopped"


def test_a_parked_env_and_a_disabled_schedule_do_nothing(deployed: Deployed) -> None:
    before = _snapshot(deployed)
    for options in ({"parked": True}, {"enabled": False}, {"parked": True, "enabled": False}):
        deployed.calls.clear()
        for action in ("down", "up"):
            result = _run(deployed, action, **options)
            assert result["decision"] in ("parked", "disabled")
        assert deployed.mutating_calls() == ["PutParameter", "PutParameter"]  # last run only
    assert _snapshot(deployed) == before


def test_up_after_park_keeps_it_parked(deployed: Deployed) -> None:
    engine.to_zero(deployed.aws(), deployed.outputs(), ENV, actor=Actor.PARK, poll_seconds=0)
    result = _run(deployed, "up")
    assert result["decision"] == "parked"
    assert _snapshot(deployed)["db"] == "stopped"


def test_lock_held_retries_then_reports_and_publishes(deployed: Deployed) -> None:
    lock = names.scale_lock_parameter(ENV)
    holder = json.dumps({"holder": "alice@laptop pid 7", "since": "2026-12-07T07:00:00+00:00"})
    deployed.client("ssm").put_parameter(Name=lock, Value=holder, Type="String")
    sleeps: list[float] = []
    result = _run(deployed, "down", sleep=sleeps.append, lock_attempts=3, lock_retry_seconds=5)
    assert sleeps == [5, 5]
    (failed,) = [step for step in result["report"]["steps"] if not step["ok"]]
    assert failed["resource"] == lock
    assert "gave up after 3 attempts" in failed["detail"]
    assert "alice@laptop pid 7" in failed["detail"]
    assert _published(deployed) == 1
    assert deployed.client("ssm").get_parameter(Name=lock)["Parameter"]["Value"] == holder
    assert set(_snapshot(deployed)["desired"].values()) == {1}
    last = stored.load_last_run(deployed.aws(), ENV)
    assert last is not None and not last.ok and "gave up" in last.detail


def test_lock_freed_between_attempts_runs(deployed: Deployed) -> None:
    lock = names.scale_lock_parameter(ENV)
    ssm = deployed.client("ssm")
    ssm.put_parameter(Name=lock, Value="{}", Type="String")
    result = _run(deployed, "down", sleep=lambda _: ssm.delete_parameter(Name=lock))
    assert result["report"]["ok"], result
    assert _snapshot(deployed)["db"] == "stopped"


def test_a_failed_step_publishes_to_the_alarm_topic(deployed: Deployed) -> None:
    aws = deployed.aws()

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "StopDBInstance")

    aws.on("before-call.rds.StopDBInstance", deny)
    result = _run(deployed, "down", aws=aws)
    assert not result["report"]["ok"]
    assert _published(deployed) == 1
    assert "AccessDenied" in stored.load_last_run(deployed.aws(), ENV).detail


def test_throttling_is_retried_by_the_session(deployed: Deployed) -> None:
    aws = deployed.aws()
    throttled: list[int] = []

    def throttle_once(**_: Any) -> None:
        if not throttled:
            throttled.append(1)
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "DescribeServices")

    aws.on("before-call.ecs.DescribeServices", throttle_once)
    # the session's standard retry mode does not apply to errors raised by a hook: the run
    # reports the failure instead of crashing, and publishes it
    result = _run(deployed, "down", aws=aws)
    assert throttled and not result["report"]["ok"]
    assert _published(deployed) == 1
    assert names.scale_lock_parameter(ENV) not in _parameters(deployed)


def _parameters(deployed: Deployed) -> set[str]:
    found = deployed.client("ssm").describe_parameters()["Parameters"]
    return {p["Name"] for p in found}


def test_deadline_stops_the_run_releases_the_lock_and_reports(deployed: Deployed) -> None:
    aws = deployed.aws()

    def slow(**_: Any) -> None:  # the time budget runs out during the first UpdateService
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        time.sleep(1)

    aws.on("before-call.ecs.UpdateService", slow)
    result = _run(deployed, "down", aws=aws)
    assert result["decision"] == "error"
    assert "before the function's timeout" in result["report"]["steps"][0]["detail"]
    assert names.scale_lock_parameter(ENV) not in _parameters(deployed)
    assert _published(deployed) == 1
    # a person finishes the job: the saved state is the schedule's and restorable
    state = _state(deployed)
    assert state is not None and state.phase is Phase.DOWN


def test_skip_next_down_is_used_once(deployed: Deployed) -> None:
    aws = deployed.aws()
    stored.save_requests(aws, ENV, stored.Requests(skip={"down": WHEN.isoformat()}))
    result = _run(deployed, "down")
    assert result["decision"] == "skipped"
    assert stored.load_requests(aws, ENV).skip == {}
    assert set(_snapshot(deployed)["desired"].values()) == {1}
    assert _run(deployed, "down", when=WHEN + timedelta(days=1))["decision"] == "run"


def test_a_skip_for_another_occurrence_does_not_apply(deployed: Deployed) -> None:
    aws = deployed.aws()
    later = (WHEN + timedelta(days=1)).isoformat()
    stored.save_requests(aws, ENV, stored.Requests(skip={"down": later}))
    assert _run(deployed, "down")["decision"] == "run"
    assert stored.load_requests(aws, ENV).skip == {"down": later}


def test_hold_keeps_both_directions_until_its_end(deployed: Deployed) -> None:
    aws = deployed.aws()
    until = WHEN + timedelta(days=3)
    stored.save_requests(aws, ENV, stored.Requests(hold_until=until.isoformat(), hold_by="bob"))
    assert _run(deployed, "down")["decision"] == "held"
    assert _run(deployed, "up", when=WHEN + timedelta(days=1))["decision"] == "held"
    assert set(_snapshot(deployed)["desired"].values()) == {1}
    assert _run(deployed, "down", when=until)["decision"] == "run"


def test_bad_action_and_corrupt_requests_fail_and_publish(deployed: Deployed) -> None:
    assert _run(deployed, "sideways")["report"]["ok"] is False
    deployed.client("ssm").put_parameter(
        Name=names.schedule_parameter(ENV), Value="{oops", Type="String"
    )
    result = _run(deployed, "down")
    assert "unreadable" in result["report"]["steps"][0]["detail"]
    assert _published(deployed) == 2
    assert set(_snapshot(deployed)["desired"].values()) == {1}


@pytest.mark.parametrize(
    "event",
    [
        {"action": "down", "scheduled_time": "yesterday-ish"},
        {"action": "down", "scheduled_time": "2026-12-07T07:30:00Z", "resumed": "many"},
        ["down"],
        None,
    ],
)
def test_a_malformed_event_is_reported_and_changes_nothing(deployed: Deployed, event: Any) -> None:
    before = _snapshot(deployed)
    result = _handle(deployed, event)
    assert result["decision"] == "error" and not result["report"]["ok"]
    assert _published(deployed) == 1
    assert _snapshot(deployed) == before and "UpdateService" not in deployed.calls


def test_lambda_entry_point_reads_its_environment(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", deployed.region)
    monkeypatch.setenv("OHMYCOINS_ENV", ENV)
    monkeypatch.setenv("OHMYCOINS_ALARM_TOPIC_ARN", deployed.ids["topic"])
    monkeypatch.setenv("OHMYCOINS_PARKED", "true")

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 900_000

    result = entry.handler({"action": "down", "scheduled_time": "2026-12-07T07:30:00Z"}, Context())
    assert result["decision"] == "parked"
    assert result["scheduled_scale"]["scheduled_time"] == WHEN.isoformat()


def test_a_run_delivered_long_after_its_time_does_nothing(deployed: Deployed) -> None:
    late = WHEN + timedelta(hours=2)  # e.g. held back while the function was stopped
    result = _run(deployed, "down", now=late)
    assert result["decision"] == "stale"
    assert set(_snapshot(deployed)["desired"].values()) == {1}
    assert _run(deployed, "down", now=WHEN + timedelta(minutes=10))["decision"] == "run"


def _markers(deployed: Deployed) -> dict[str, str]:
    ssm = deployed.client("ssm")
    return {
        part: ssm.get_parameter(Name=f"/test/{ENV}/{part}")["Parameter"]["Value"]
        for part in names.STACK_PARTS
    }


def test_a_parking_schedule_parks_then_unparks_and_restores(deployed: Deployed) -> None:
    staged = _stage(deployed)
    before, markers = _snapshot(deployed), _markers(deployed)
    down = _run(deployed, "down", templates=staged, parking_poll_seconds=0)
    assert down["report"]["ok"] and not down["pending"], down
    assert _markers(deployed) == {part: f"{part} parked" for part in names.STACK_PARTS}
    updates = [c for c in deployed.calls if c == "UpdateStack"]
    assert len(updates) == len(names.STACK_PARTS)
    state = _state(deployed)
    assert state is not None and state.parked and state.actor is Actor.SCHEDULE
    with pytest.raises(OpsError, match="ops unpark"):  # a person must unpark, not restore
        engine.restore(deployed.aws(), ENV)
    up = _run(deployed, "up", when=WHEN + timedelta(hours=13), templates=staged)
    assert up["report"]["ok"] and not up["pending"], up
    assert _markers(deployed) == markers and _snapshot(deployed) == before
    state = _state(deployed)
    assert state is not None and not state.parked and state.phase is Phase.RESTORED
    assert _published(deployed) == 0


def test_a_stack_deployed_otherwise_is_refused_untouched_and_reported(
    deployed: Deployed,
) -> None:
    staged = _stage(deployed, foreign=names.SERVICE)
    markers = _markers(deployed)
    down = _run(deployed, "down", templates=staged, parking_poll_seconds=0)
    assert not down["report"]["ok"]
    failed = [s for s in down["report"]["steps"] if not s["ok"]]
    assert [s["resource"] for s in failed] == [names.stack_name(ENV, names.SERVICE)]
    assert "UpdateStack" not in deployed.calls and _markers(deployed) == markers
    assert _published(deployed) == 1
    state = _state(deployed)
    assert state is not None and state.down and not state.parked  # scaled to zero, not parked
    up = _run(deployed, "up", when=WHEN + timedelta(hours=13), templates=staged)
    assert up["report"]["ok"], up  # nothing parked: it restores as it is
    assert _state(deployed).phase is Phase.RESTORED  # type: ignore[union-attr]


def test_a_denied_update_is_reported_and_the_lock_released(deployed: Deployed) -> None:
    staged = _stage(deployed)
    aws = deployed.aws()

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "UpdateStack")

    aws.on("before-call.cloudformation.UpdateStack", deny)
    down = _run(deployed, "down", aws=aws, templates=staged, parking_poll_seconds=0)
    assert not down["report"]["ok"] and "AccessDenied" in json.dumps(down["report"])
    assert _published(deployed) == 1
    lock = deployed.client("ssm").get_parameters(Names=[names.scale_lock_parameter(ENV)])
    assert lock["Parameters"] == []


def _slow_cloudformation(aws: Aws, *, accept: bool = True) -> list[dict[str, Any]]:
    """Stacks stay UPDATE_IN_PROGRESS once updated (CloudFormation's pace, not moto's); the
    function's re-invocations are recorded and (with `accept`) answered, never sent."""
    from botocore.awsrequest import AWSResponse

    updated: set[str] = set()
    invoked: list[dict[str, Any]] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        updated.add(params["StackName"])

    def in_progress(parsed: dict[str, Any], **_: Any) -> None:
        for stack in parsed.get("Stacks", []):
            if stack["StackName"] in updated:
                stack["StackStatus"] = "UPDATE_IN_PROGRESS"

    def record(params: dict[str, Any], **_: Any) -> None:
        invoked.append(dict(params))

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        ok = AWSResponse(url="", status_code=202, headers={}, raw=None)  # type: ignore[arg-type]
        return ok, {"StatusCode": 202}

    aws.on("before-parameter-build.cloudformation.UpdateStack", remember)
    aws.on("after-call.cloudformation.DescribeStacks", in_progress)
    aws.on("before-parameter-build.lambda.Invoke", record)
    if accept:
        aws.on("before-call.lambda.Invoke", answer)
    return invoked


def test_a_run_out_of_time_hands_over_and_the_next_goes_on(deployed: Deployed) -> None:
    staged = _stage(deployed)
    aws = deployed.aws()
    invoked = _slow_cloudformation(aws)
    first = _run(deployed, "down", aws=aws, templates=staged, seconds=5, parking_poll_seconds=0)
    assert first["pending"] and first["report"]["ok"], first
    assert deployed.calls.count("UpdateStack") == 1  # Monitoring started, not waited for
    (call,) = invoked
    assert call["InvocationType"] == "Event"
    event = json.loads(call["Payload"])
    assert event["resumed"] == 1 and event["action"] == "down"
    second = _handle(  # the handed-over run, with time enough and CloudFormation done
        deployed,
        event,
        templates=staged,
        parking_poll_seconds=0,
        now=WHEN + timedelta(hours=2),  # long after its time: a resumed run does not decide
        poll_seconds=0,
    )
    assert second["decision"] == "run" and second["report"]["ok"], second
    assert not second["pending"] and deployed.calls.count("UpdateStack") == len(names.STACK_PARTS)
    state = _state(deployed)
    assert state is not None and state.parked and state.actor is Actor.SCHEDULE
    assert _published(deployed) == 0


def test_the_last_allowed_run_out_of_time_fails_and_publishes(deployed: Deployed) -> None:
    staged = _stage(deployed)
    aws = deployed.aws()
    invoked = _slow_cloudformation(aws)
    first = _run(deployed, "down", aws=aws, templates=staged, seconds=5, parking_poll_seconds=0)
    assert first["pending"] and len(invoked) == 1
    last = _handle(
        deployed,
        {"action": "down", "scheduled_time": WHEN.isoformat(), "resumed": entry.MAX_RESUMED},
        aws=aws,
        seconds=5,
        templates=staged,
        parking_poll_seconds=0,
    )
    assert not last["pending"] and not last["report"]["ok"] and len(invoked) == 1
    assert "still deploying" in json.dumps(last["report"])
    assert _published(deployed) == 1


def test_a_failed_hand_over_is_reported_and_published(deployed: Deployed) -> None:
    staged = _stage(deployed)
    aws = deployed.aws()
    _slow_cloudformation(aws, accept=False)

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "Invoke")

    aws.on("before-call.lambda.Invoke", deny)
    result = _run(deployed, "down", aws=aws, templates=staged, seconds=5, parking_poll_seconds=0)
    assert not result["pending"] and not result["report"]["ok"]
    failed = [s for s in result["report"]["steps"] if not s["ok"]]
    assert [s["action"] for s in failed] == ["go on in a new run"]
    assert "AccessDenied" in failed[0]["detail"] and _published(deployed) == 1
