"""`ops rds`: stop/start/status, stopped-for duration, replicas and other states."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber
from click.testing import CliRunner
from moto.core import DEFAULT_ACCOUNT_ID
from moto.rds.models import rds_backends
from moto_env import Deployed

from ops import rds
from ops.aws.session import Aws
from ops.cli import cli
from ops.errors import OpsError
from stacks.contract import names


def _set_status(d: Deployed, status: str) -> None:
    rds_backends[DEFAULT_ACCOUNT_ID][d.region].databases[d.ids["db"]].status = status


def _status(d: Deployed) -> str:
    found = d.client("rds").describe_db_instances(DBInstanceIdentifier=d.ids["db"])
    return found["DBInstances"][0]["DBInstanceStatus"]


def test_stop_then_start(deployed: Deployed) -> None:
    assert rds.stop(deployed.aws(), deployed.ids["db"], poll_seconds=0) == "stopped"
    assert _status(deployed) == "stopped"
    assert rds.start(deployed.aws(), deployed.ids["db"], poll_seconds=0) == "available"
    assert _status(deployed) == "available"


def test_already_stopped_is_success(deployed: Deployed) -> None:
    deployed.client("rds").stop_db_instance(DBInstanceIdentifier=deployed.ids["db"])
    deployed.calls.clear()
    result = CliRunner().invoke(
        cli, ["rds", "stop", "--env", "staging", "--yes", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"] == "already stopped"
    # the lock, the mark that it is meant to stay stopped, the lock released
    assert deployed.mutating_calls() == ["PutParameter", "PutParameter", "DeleteParameter"]
    marked = deployed.client("ssm").get_parameter(Name=names.rds_stop_parameter("staging"))
    assert "pid" in json.loads(marked["Parameter"]["Value"])["by"]


def test_modifying_is_explained(deployed: Deployed) -> None:
    _set_status(deployed, "modifying")
    result = CliRunner().invoke(
        cli, ["rds", "stop", "--env", "staging", "--yes"], obj=deployed.context()
    )
    assert result.exit_code == 1
    assert "'modifying'" in result.stderr and "modification" in result.stderr
    assert deployed.mutating_calls() == ["PutParameter", "DeleteParameter"]  # the lock only


def test_read_replica_and_its_source_are_refused(deployed: Deployed) -> None:
    deployed.client("rds").create_db_instance_read_replica(
        DBInstanceIdentifier="replica", SourceDBInstanceIdentifier=deployed.ids["db"]
    )
    with pytest.raises(OpsError, match="has read replicas \\(replica\\)"):
        rds.stop(deployed.aws(), deployed.ids["db"])
    with pytest.raises(OpsError, match=f"is a read replica of {deployed.ids['db']}"):
        rds.stop(deployed.aws(), "replica")
    assert deployed.mutating_calls() == []
    assert _status(deployed) == "available"


def test_dry_run_stop_and_start(deployed: Deployed) -> None:
    runner = CliRunner()
    stop = runner.invoke(
        cli, ["rds", "stop", "--env", "staging", "--dry-run", "--json"], obj=deployed.context()
    )
    assert stop.exit_code == 0 and json.loads(stop.stdout)["result"] == "would stop"
    start = runner.invoke(
        cli, ["rds", "start", "--env", "staging", "--dry-run"], obj=deployed.context()
    )
    assert start.exit_code == 0 and "already available" in start.stdout
    assert deployed.mutating_calls() == []
    assert _status(deployed) == "available"


def test_start_explains_other_states(deployed: Deployed) -> None:
    _set_status(deployed, "backing-up")
    with pytest.raises(OpsError, match="backup is running"):
        rds.start(deployed.aws(), deployed.ids["db"])


def test_failed_state_stops_the_wait(deployed: Deployed) -> None:
    deployed.client("rds").stop_db_instance(DBInstanceIdentifier=deployed.ids["db"])
    aws = deployed.aws()
    aws.on("after-call.rds.StartDBInstance", lambda **_: _set_status(deployed, "failed"))
    with pytest.raises(OpsError, match="'failed'"):
        rds.start(aws, deployed.ids["db"], poll_seconds=0)


def _stubbed_status(aws_env: None, status: str, events: list[dict], now: datetime) -> rds.RdsStatus:
    aws = Aws(region="ap-southeast-2")
    with Stubber(aws.client("rds")) as stub:
        instance = {"DBInstanceIdentifier": "db", "DBInstanceStatus": status}
        stub.add_response("describe_db_instances", {"DBInstances": [instance]})
        if status == "stopped":
            stub.add_response("describe_events", {"Events": events})
        return rds.status(aws, "db", now=now)


def test_status_stopped_days_and_warning(aws_env: None) -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    stopped = now - timedelta(days=6, hours=2)
    events = [
        {"Message": "DB instance stopped", "Date": stopped},
        {"Message": "DB instance stopped", "Date": stopped - timedelta(days=9)},
        {"Message": "DB instance started", "Date": stopped - timedelta(days=1)},
    ]
    result = _stubbed_status(aws_env, "stopped", events, now)
    assert result.stopped_since == stopped
    assert result.stopped_days == pytest.approx(6.08, abs=0.01)
    assert result.auto_start_at == stopped + timedelta(days=7)
    assert "starts it automatically" in result.warning


def test_status_no_warning_before_day_six(aws_env: None) -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    events = [{"Message": "DB instance stopped", "Date": now - timedelta(days=5, hours=23)}]
    result = _stubbed_status(aws_env, "stopped", events, now)
    assert result.stopped_days == pytest.approx(5.96, abs=0.01)
    assert result.warning == ""


def test_status_unknown_stop_time_and_available(aws_env: None) -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    assert "unknown time" in _stubbed_status(aws_env, "stopped", [], now).warning
    available = _stubbed_status(aws_env, "available", [], now)
    assert available.status == "available" and available.stopped_days is None


def test_status_command_json(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["rds", "status", "--env", "staging", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["instance_id"] == deployed.ids["db"] and data["status"] == "available"


def test_stop_events_are_told_from_the_auto_start_notice() -> None:
    assert rds._is_stop("DB instance stopped")
    assert rds._is_stop("The DB instance has been stopped.")
    notice = (
        "DB instance is being started due to it exceeding the maximum allowed time being stopped."
    )
    assert not rds._is_stop(notice)
    assert not rds._is_stop("DB instance started")


def test_stop_marks_and_start_clears_the_stop_mark(deployed: Deployed) -> None:
    runner, mark = CliRunner(), names.rds_stop_parameter("staging")
    stop = runner.invoke(cli, ["rds", "stop", "--env", "staging", "--yes"], obj=deployed.context())
    assert stop.exit_code == 0, stop.output
    assert deployed.client("ssm").get_parameter(Name=mark)["Parameter"]["Value"]
    start = runner.invoke(
        cli, ["rds", "start", "--env", "staging", "--yes"], obj=deployed.context()
    )
    assert start.exit_code == 0, start.output
    assert _status(deployed) == "available"
    assert mark not in {
        p["Name"] for p in deployed.client("ssm").describe_parameters()["Parameters"]
    }


def test_stop_and_start_wait_for_the_scale_lock(deployed: Deployed) -> None:
    lock = names.scale_lock_parameter("staging")
    holder = {"holder": "carol@laptop pid 9", "since": "2026-01-01T00:00:00+00:00"}
    deployed.client("ssm").put_parameter(Name=lock, Value=json.dumps(holder), Type="String")
    for verb in ("stop", "start"):
        result = CliRunner().invoke(
            cli, ["rds", verb, "--env", "staging", "--yes"], obj=deployed.context()
        )
        assert result.exit_code == 1 and "carol@laptop pid 9" in result.stderr
    assert _status(deployed) == "available"
    assert "StopDBInstance" not in deployed.calls


def test_start_while_scaled_to_zero_says_what_stays_down(deployed: Deployed) -> None:
    from ops.scale import engine

    aws = deployed.aws()
    assert engine.to_zero(aws, deployed.outputs(aws), "staging", poll_seconds=0).ok
    result = CliRunner().invoke(
        cli, ["rds", "start", "--env", "staging", "--yes", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    assert "scaled to zero" in json.loads(result.stdout)["notes"][0]
    assert "ops scale --to restore" in result.stderr
