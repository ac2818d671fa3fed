"""The scale schedule deployed into the local AWS, and its handler run in-process against it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cfn_deploy import deploy_assembly
from click.testing import CliRunner

from cdk_app.config import load
from localaws import runner
from localaws.deploy import LOCAL_ENV
from ops.aws.session import Aws
from ops.cli import cli
from ops.scale import state as scale_state
from ops.schedule import handler as entry
from stacks.contract import names
from stacks.contract.schedule import TEMPLATES_VARIABLE

ENV = LOCAL_ENV
NONE = {
    "DynamicScalingInSuspended": False,
    "DynamicScalingOutSuspended": False,
    "ScheduledScalingSuspended": False,
}


@pytest.fixture(scope="module")
def deployed(local_deployment: Any, local_assembly: Path) -> dict[str, dict[str, str]]:
    """A fresh deployment of `local` for this module (the runs change its state)."""
    runner.reset(local_deployment.endpoint)
    return deploy_assembly(
        local_deployment.session, local_assembly, endpoint_url=local_deployment.endpoint
    )


def _snapshot(session: Any, outputs: dict[str, dict[str, str]]) -> dict[str, Any]:
    service = outputs[names.stack_name(ENV, names.SERVICE)]
    data = outputs[names.stack_name(ENV, names.DATA)]
    cluster = service[names.Outputs.CLUSTER_NAME]
    described = session.client("ecs").describe_services(
        cluster=cluster,
        services=[
            service[names.Outputs.BACKEND_SERVICE_NAME],
            service[names.Outputs.FRONTEND_SERVICE_NAME],
        ],
    )["services"]
    targets = session.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs"
    )["ScalableTargets"]
    alarms = session.client("cloudwatch").describe_alarms(AlarmNamePrefix=names.resource_name(ENV))[
        "MetricAlarms"
    ]
    rules = service[names.Outputs.COLLECTOR_RULE_NAMES].split(",")
    events = session.client("events")
    instance = data[names.Outputs.DATABASE_INSTANCE_ID]
    db = session.client("rds").describe_db_instances(DBInstanceIdentifier=instance)
    return {
        "desired": {s["serviceName"]: s["desiredCount"] for s in described},
        "bounds": {  # moto leaves SuspendedState out until it is set; AWS always returns it
            t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"], t.get("SuspendedState", NONE))
            for t in targets
        },
        "alarms": {a["AlarmName"]: a["ActionsEnabled"] for a in alarms},
        "rules": {rule: events.describe_rule(Name=rule)["State"] for rule in rules},
        "db": db["DBInstances"][0]["DBInstanceStatus"],
    }


def test_the_schedule_pair_and_function_are_deployed(
    local_aws: Any, deployed: dict[str, Any], local_assembly: Path
) -> None:
    config = load(ENV)
    assert config.schedule is not None
    scheduler = local_aws.session.client("scheduler")
    function = local_aws.session.client("lambda").get_function(
        FunctionName=names.scheduled_scale_function(ENV)
    )["Configuration"]
    assert function["Handler"] == "ops.schedule.handler.handler"
    assert function["Environment"]["Variables"]["OHMYCOINS_ENV"] == ENV
    for direction in ("up", "down"):
        schedule = scheduler.get_schedule(Name=names.scale_schedule_name(ENV, direction))
        assert schedule["ScheduleExpressionTimezone"] == config.schedule.timezone
        assert (
            schedule["ScheduleExpression"] == config.schedule.weekly().recurrence(direction).cron()
        )
        assert schedule["State"] == "ENABLED"
        assert schedule["Target"]["Arn"] == function["FunctionArn"]
        assert json.loads(schedule["Target"]["Input"])["action"] == direction
    # the function's code is the project's own modules, bundled without Docker
    bundled = {
        str(path.relative_to(path.parents[2]))
        for path in local_assembly.glob("asset.*/ops/schedule/handler.py")
    }
    assert bundled == {"ops/schedule/handler.py"}
    (asset,) = local_assembly.glob("asset.*/ops/schedule/handler.py")
    root = asset.parents[2]
    assert (root / "stacks" / "contract" / "names.py").is_file()
    assert (root / "click" / "__init__.py").is_file()


def _staged(session: Any) -> str:
    """The templates the deployed function would deploy (its environment variable)."""
    function = session.client("lambda").get_function(
        FunctionName=names.scheduled_scale_function(ENV)
    )["Configuration"]
    return str(function["Environment"]["Variables"][TEMPLATES_VARIABLE])


def _resources(session: Any, part: str) -> set[str]:
    found = session.client("cloudformation").describe_stack_resources(
        StackName=names.stack_name(ENV, part)
    )["StackResources"]
    return {str(r.get("ResourceType")) for r in found}


def test_handler_down_then_up_parks_and_leaves_the_env_as_it_was(
    local_aws: Any, deployed: dict[str, Any]
) -> None:
    session = local_aws.session
    before = _snapshot(session, deployed)
    assert before["db"] == "available" and set(before["desired"].values()) == {1}
    topic = deployed[names.stack_name(ENV, names.MONITORING)][names.Outputs.ALARM_TOPIC_ARN]
    aws = Aws(region=session.region_name)
    staged = _staged(session)
    assert set(json.loads(staged)) == {"running", "parked"}
    common = {
        "aws": aws,
        "env": ENV,
        "topic_arn": topic,
        "parked": False,
        "enabled": True,
        "templates": staged,
        "parking_poll_seconds": 0.2,
    }
    down = entry.handle(
        {"action": "down", "scheduled_time": "2026-12-07T07:00:00Z"},
        seconds=600,
        poll_seconds=0.2,
        now=datetime(2026, 12, 7, 7, 0, 5, tzinfo=UTC),
        **common,
    )
    assert down["decision"] == "run" and down["report"]["ok"] and not down["pending"], down
    # parked: no NAT, load balancer, cache or collector rules; data and the schedule kept
    assert "AWS::ElasticLoadBalancingV2::LoadBalancer" not in _resources(session, names.SERVICE)
    assert "AWS::ElastiCache::ReplicationGroup" not in _resources(session, names.DATA)
    assert "AWS::EC2::NatGateway" not in _resources(session, names.NETWORK)
    assert "AWS::RDS::DBInstance" in _resources(session, names.DATA)
    assert "AWS::Scheduler::Schedule" in _resources(session, names.SCHEDULE)
    assert (
        session.client("events").list_rules(NamePrefix=names.resource_name(ENV, "collect"))["Rules"]
        == []
    )
    state = scale_state.load(aws, ENV)
    assert state is not None and state.parked and state.actor.value == "schedule"
    refused = CliRunner().invoke(cli, ["scale", "--env", ENV, "--to", "restore", "--yes"])
    assert refused.exit_code == 1 and "ops unpark" in refused.output  # a person: unpark first
    status = CliRunner().invoke(cli, ["schedule", "status", "--env", ENV, "--json"])
    assert status.exit_code == 0, status.output
    data = json.loads(status.stdout)
    assert data["deployed"] == {"up": "enabled", "down": "enabled"}
    assert data["scale_state"]["actor"] == "schedule"
    assert data["last_run"]["action"] == "down" and data["last_run"]["ok"]
    up = entry.handle(
        {"action": "up", "scheduled_time": "2026-12-07T21:00:00Z"},
        seconds=600,
        poll_seconds=0.2,
        now=datetime(2026, 12, 7, 21, 0, 5, tzinfo=UTC),
        **common,
    )
    assert up["decision"] == "run" and up["report"]["ok"] and not up["pending"], up
    assert _snapshot(session, deployed) == before
    state = scale_state.load(aws, ENV)
    assert state is not None and not state.parked and not state.pending
