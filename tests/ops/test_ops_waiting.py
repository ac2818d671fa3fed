"""Waiting: polling with progress and timeout, ECS events while services settle, subscriptions."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from ops import alarms, services, waiting
from ops.aws.session import Aws
from ops.errors import OpsError


def test_poll_reports_changes_and_returns() -> None:
    states = iter([(False, "stopping"), (False, "stopping"), (True, "stopped")])
    seen: list[str] = []
    result = waiting.poll(lambda: next(states), what="db", poll_seconds=0, report=seen.append)
    assert result == "stopped"
    assert seen == ["  db: stopping", "  db: stopped"]


def test_poll_times_out_naming_what_it_waited_for() -> None:
    with pytest.raises(OpsError, match="waiting for db \\(stopping\\)"):
        waiting.poll(lambda: (False, "stopping"), what="db", poll_seconds=0, timeout_seconds=0,
                     report=lambda _: None)  # fmt: skip


def _service(running: int, events: list[dict]) -> dict:
    return {
        "serviceName": "web", "status": "ACTIVE", "desiredCount": 1, "runningCount": running,
        "pendingCount": 1 - running, "deployments": [{"id": "d"}], "events": events,
    }  # fmt: skip


def test_wait_steady_prints_new_ecs_events(aws_env: None, capsys: pytest.CaptureFixture) -> None:
    aws = Aws(region="ap-southeast-2")
    first = [{"id": "1", "message": "(service web) has started 1 tasks", "createdAt": 0}]
    second = [{"id": "2", "message": "(service web) has reached a steady state.", "createdAt": 1},
              *first]  # fmt: skip
    with Stubber(aws.client("ecs")) as stub:
        stub.add_response("describe_services", {"services": [_service(0, first)]})
        stub.add_response("describe_services", {"services": [_service(1, second)]})
        services.wait_steady(aws, "c", ["web"], poll_seconds=0)
        stub.assert_no_pending_responses()
    err = capsys.readouterr().err
    assert err.count("has started 1 tasks") == 1  # each event once
    assert "[web] (service web) has reached a steady state." in err
    assert "waiting: web 0/1" in err and "steady" in err


def test_pending_subscriptions_are_not_confirmed(aws_env: None) -> None:
    aws = Aws(region="ap-southeast-2")
    topic = "arn:aws:sns:ap-southeast-2:123456789012:t"
    subs = [
        {"SubscriptionArn": "PendingConfirmation", "Protocol": "email", "Endpoint": "a@example.com",
         "Owner": "1", "TopicArn": topic},
        {"SubscriptionArn": f"{topic}:abc", "Protocol": "email", "Endpoint": "b@example.com",
         "Owner": "1", "TopicArn": topic},
    ]  # fmt: skip
    with Stubber(aws.client("sns")) as stub:
        stub.add_response("list_subscriptions_by_topic", {"Subscriptions": subs})
        confirmed = alarms.confirmed_subscriptions(aws, topic)
    assert confirmed == [{"protocol": "email", "endpoint": "b@example.com"}]
