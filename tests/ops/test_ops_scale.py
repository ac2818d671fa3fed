"""`ops scale`: to zero and back, idempotence, dry run, lock, bad state, partial failure.

The collectors' schedule rules have their own tests at the end.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from moto_env import MUTED_BEFORE, PAUSED_BEFORE, Deployed

from ops.cli import cli
from ops.errors import OpsError
from ops.scale import count as counting
from ops.scale import engine as scale
from ops.scale import state as scale_state
from ops.scale.state import Actor, Phase
from stacks.contract import names


def _services(d: Deployed) -> dict[str, dict]:
    found = d.client("ecs").describe_services(
        cluster=d.ids["cluster"], services=[d.ids["backend"], d.ids["frontend"]]
    )
    return {s["serviceName"]: s for s in found["services"]}


def _targets(d: Deployed) -> dict[str, dict]:
    found = d.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")
    return {t["ResourceId"].rsplit("/", 1)[-1]: t for t in found["ScalableTargets"]}


def _actions(d: Deployed) -> dict[str, bool]:
    found = d.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a["ActionsEnabled"] for a in found}


def _db(d: Deployed) -> str:
    found = d.client("rds").describe_db_instances(DBInstanceIdentifier=d.ids["db"])
    return found["DBInstances"][0]["DBInstanceStatus"]


def _rules(d: Deployed) -> dict[str, str]:
    events = d.client("events")
    return {n: events.describe_rule(Name=n)["State"] for n in d.ids["collector_rules"].split(",")}


def _zero(d: Deployed, aws=None):
    aws = aws or d.aws()
    return scale.to_zero(aws, d.outputs(aws), d.env, wait=True, poll_seconds=0)


def test_to_zero_saves_state_and_zeroes_everything(deployed: Deployed) -> None:
    before_actions = _actions(deployed)
    report = _zero(deployed)
    assert report.ok, report.text()
    for service in _services(deployed).values():
        assert service["desiredCount"] == 0
    for target in _targets(deployed).values():
        assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 0)
        assert all(target["SuspendedState"].values())
    assert not any(_actions(deployed).values())
    assert _db(deployed) == "stopped"
    state = json.loads(
        deployed.client("ssm").get_parameter(Name=names.scale_state_parameter("staging"))[
            "Parameter"
        ]["Value"]
    )
    assert state["services"]["backend"] == {
        "name": deployed.ids["backend"],
        "desired": 1,
        "min": 1,
        "max": 3,
        "suspended": {
            "DynamicScalingInSuspended": False,
            "DynamicScalingOutSuspended": False,
            "ScheduledScalingSuspended": False,
        },
    }
    assert state["alarms"] == before_actions
    assert state["rds"]["status"] == "available"
    assert (state["version"], state["phase"], state["actor"]) == (2, "down", "manual")
    # the lock is released
    params = deployed.client("ssm").describe_parameters()["Parameters"]
    assert names.scale_lock_parameter("staging") not in {p["Name"] for p in params}


def test_restore_brings_back_what_was_saved(deployed: Deployed) -> None:
    before_actions, before_targets = _actions(deployed), _targets(deployed)
    _zero(deployed)
    report = scale.restore(deployed.aws(), deployed.env, wait=False, poll_seconds=0)
    assert report.ok, report.text()
    assert _db(deployed) == "available"
    assert {n: s["desiredCount"] for n, s in _services(deployed).items()} == {
        deployed.ids["backend"]: 1,
        deployed.ids["frontend"]: 1,
    }
    after = _targets(deployed)
    for name, target in before_targets.items():
        assert after[name]["MinCapacity"] == target["MinCapacity"] == 1
        assert after[name]["MaxCapacity"] == target["MaxCapacity"] == 3
        assert not any(after[name]["SuspendedState"].values())
    # actions come back exactly as they were: the one muted before stays muted
    assert _actions(deployed) == before_actions
    assert before_actions[names.alarm_name("staging", MUTED_BEFORE)] is False


def test_both_directions_are_idempotent(deployed: Deployed) -> None:
    _zero(deployed)
    saved = deployed.client("ssm").get_parameter(Name=names.scale_state_parameter("staging"))
    second = _zero(deployed)
    assert second.ok, second.text()
    again = deployed.client("ssm").get_parameter(Name=names.scale_state_parameter("staging"))
    assert again["Parameter"]["Value"] == saved["Parameter"]["Value"]  # pre-scale values kept
    assert any(s.action == "keep saved state" for s in second.steps)
    assert any("already stopped" in s.detail for s in second.steps)
    assert scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0).ok
    deployed.calls.clear()
    repeat = scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0)
    assert repeat.ok and repeat.steps[0].action == "already restored"
    assert deployed.mutating_calls() == []


def test_dry_run_calls_no_mutating_api(deployed: Deployed) -> None:
    rules_before = _rules(deployed)
    report = scale.to_zero(deployed.aws(), deployed.outputs(), "staging", dry_run=True)
    assert report.ok and report.dry_run
    assert any(s.action.startswith("would") for s in report.steps)
    shown = [s.resource for s in report.steps if s.action == "would disable"]
    assert len(shown) == 2 and all(s.startswith("collector rule") for s in shown)
    assert "DescribeServices" in deployed.calls and "DescribeRule" in deployed.calls
    assert deployed.mutating_calls() == []
    assert _db(deployed) == "available"
    assert _rules(deployed) == rules_before
    _zero(deployed)
    deployed.calls.clear()
    restore = scale.restore(deployed.aws(), "staging", dry_run=True)
    assert restore.ok
    assert len([s for s in restore.steps if s.action == "would enable"]) == 2
    assert deployed.mutating_calls() == []
    assert _db(deployed) == "stopped"
    assert set(_rules(deployed).values()) == {"DISABLED"}


def test_cli_dry_run_and_json(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli,
        ["scale", "--to", "0", "--env", "staging", "--dry-run", "--json"],
        obj=deployed.context(),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["dry_run"] is True and data["ok"] is True
    assert deployed.mutating_calls() == []


def test_cli_refuses_without_terminal_or_yes(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["scale", "--to", "0", "--env", "staging"], obj=deployed.context()
    )
    assert result.exit_code == 1
    assert "--yes" in result.stderr
    assert deployed.mutating_calls() == []


def test_cli_round_trip(deployed: Deployed) -> None:
    runner = CliRunner()
    args = ["--env", "staging", "--yes", "--no-wait", "--json"]
    down = runner.invoke(cli, ["scale", "--to", "0", *args], obj=deployed.context())
    assert down.exit_code == 0, down.output
    assert json.loads(down.stdout)["operation"] == "scale to 0"
    up = runner.invoke(cli, ["scale", "--to", "restore", *args], obj=deployed.context())
    assert up.exit_code == 0, up.output
    assert _db(deployed) == "available"


def test_lock_held_names_the_holder(deployed: Deployed) -> None:
    lock = names.scale_lock_parameter("staging")
    holder = {"holder": "alice@laptop pid 42", "since": "2026-01-01T00:00:00+00:00"}
    deployed.client("ssm").put_parameter(Name=lock, Value=json.dumps(holder), Type="String")
    with pytest.raises(OpsError, match="alice@laptop pid 42"):
        _zero(deployed)
    assert _db(deployed) == "available"
    assert {s["desiredCount"] for s in _services(deployed).values()} == {1}
    # the other run's lock is left alone
    kept = deployed.client("ssm").get_parameter(Name=lock)["Parameter"]["Value"]
    assert kept == json.dumps(holder)


@pytest.mark.parametrize("value", ["{not json", '{"version": 1, "services": []}', '"x"'])
def test_corrupt_state_refused_and_kept(deployed: Deployed, value: str) -> None:
    parameter = names.scale_state_parameter("staging")
    deployed.client("ssm").put_parameter(Name=parameter, Value=value, Type="String")
    for action in (
        lambda: scale.restore(deployed.aws(), "staging", poll_seconds=0),
        lambda: _zero(deployed),
    ):
        with pytest.raises(OpsError, match="unreadable"):
            action()
    assert deployed.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"] == value
    # restore refuses before taking the lock; to 0 takes the lock, reads, refuses, releases it
    assert deployed.mutating_calls() == ["PutParameter", "DeleteParameter"]
    assert _db(deployed) == "available"


def test_missing_state_restore_refuses(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["scale", "--to", "restore", "--env", "staging", "--yes"], obj=deployed.context()
    )
    assert result.exit_code == 1
    assert "no saved scale state" in result.stderr
    assert deployed.mutating_calls() == []


def test_partial_failure_reports_and_keeps_state(deployed: Deployed) -> None:
    aws = deployed.aws()
    backend = deployed.ids["backend"]

    def break_backend(params, **_):
        if params.get("service") == backend:
            from botocore.exceptions import ClientError

            error = {"Error": {"Code": "AccessDeniedException", "Message": "denied"}}
            raise ClientError(error, "UpdateService")

    aws.on("before-parameter-build.ecs.UpdateService", break_backend)
    report = _zero(deployed, aws)
    assert not report.ok
    assert [s.resource for s in report.failed] == [f"service backend ({backend})"]
    assert "AccessDeniedException" in report.failed[0].detail
    # the others proceeded
    assert _services(deployed)[deployed.ids["frontend"]]["desiredCount"] == 0
    assert _db(deployed) == "stopped"
    state = scale_state.load(deployed.aws(), "staging")
    assert state is not None and state.services["backend"].desired == 1


def test_partial_failure_exit_status(deployed: Deployed) -> None:
    deployed.client("ecs").delete_service(
        cluster=deployed.ids["cluster"], service=deployed.ids["frontend"], force=True
    )
    result = CliRunner().invoke(
        cli, ["scale", "--to", "2", "--env", "staging", "--yes"], obj=deployed.context()
    )
    assert result.exit_code == 1
    assert deployed.ids["frontend"] in result.stderr


def test_to_n_within_bounds(deployed: Deployed) -> None:
    report = counting.to_count(deployed.aws(), deployed.outputs(), "staging", 3, roles=("backend",))
    assert report.ok
    assert _services(deployed)[deployed.ids["backend"]]["desiredCount"] == 3
    assert _services(deployed)[deployed.ids["frontend"]]["desiredCount"] == 1
    outside = counting.to_count(
        deployed.aws(), deployed.outputs(), "staging", 4, roles=("backend",)
    )
    assert not outside.ok and "bounds 1..3" in outside.failed[0].detail


def test_to_n_refused_while_scaled_to_zero(deployed: Deployed) -> None:
    _zero(deployed)
    with pytest.raises(OpsError, match="restore"):
        counting.to_count(deployed.aws(), deployed.outputs(), "staging", 2, roles=("backend",))


def test_bad_target_is_usage_error(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["scale", "--to", "lots", "--env", "staging"], obj=deployed.context()
    )
    assert result.exit_code == 2


def test_restore_stops_when_the_database_does_not_start(deployed: Deployed) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.rds.models import rds_backends

    _zero(deployed)
    rds_backends[DEFAULT_ACCOUNT_ID][deployed.region].databases[
        deployed.ids["db"]
    ].status = "storage-optimization"
    report = scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0)
    assert not report.ok
    assert [s.action for s in report.failed] == ["start", "skipped"]
    assert {s["desiredCount"] for s in _services(deployed).values()} == {0}  # not brought back
    assert not any(_actions(deployed).values())
    assert set(_rules(deployed).values()) == {"DISABLED"}
    state = scale_state.load(deployed.aws(), "staging")
    assert state is not None and state.pending


def test_lock_release_failure_is_a_warning(deployed: Deployed, capsys) -> None:
    aws = deployed.aws()

    def refuse(**_):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteParameter")

    aws.on("before-parameter-build.ssm.DeleteParameter", refuse)
    assert _zero(deployed, aws).ok
    assert "could not release the lock" in capsys.readouterr().err


def test_service_option_only_with_a_count(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli,
        ["scale", "--to", "restore", "--service", "backend", "--env", "staging", "--yes"],
        obj=deployed.context(),
    )
    assert result.exit_code == 2 and "--service" in result.stderr
    assert deployed.mutating_calls() == []


def test_a_database_stopped_before_stays_stopped(deployed: Deployed) -> None:
    deployed.client("rds").stop_db_instance(DBInstanceIdentifier=deployed.ids["db"])
    assert _zero(deployed).ok
    report = scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0)
    assert report.ok, report.text()
    assert _db(deployed) == "stopped"
    [step] = [s for s in report.steps if s.resource.startswith("rds")]
    assert step.action == "leave as is" and "'stopped'" in step.detail
    assert {s["desiredCount"] for s in _services(deployed).values()} == {1}


def test_missing_service_stops_scaling_before_any_change(deployed: Deployed) -> None:
    deployed.client("ecs").delete_service(
        cluster=deployed.ids["cluster"], service=deployed.ids["backend"], force=True
    )
    result = CliRunner().invoke(
        cli, ["scale", "--to", "0", "--env", "staging", "--yes"], obj=deployed.context()
    )
    assert result.exit_code == 1 and deployed.ids["backend"] in result.stderr
    assert deployed.mutating_calls() == ["PutParameter", "DeleteParameter"]  # the lock only
    assert scale_state.load(deployed.aws(), "staging") is None
    assert _db(deployed) == "available"


def _rule(d: Deployed, collector: str) -> str:
    return names.resource_name(d.env, "collect", collector)


def test_to_zero_disables_only_the_enabled_collector_rules(deployed: Deployed) -> None:
    before = _rules(deployed)
    paused = _rule(deployed, PAUSED_BEFORE)
    assert before[paused] == "DISABLED" and list(before.values()).count("ENABLED") == 2
    report = _zero(deployed)
    assert report.ok, report.text()
    assert set(_rules(deployed).values()) == {"DISABLED"}
    assert deployed.calls.count("DisableRule") == 2  # the one paused before is left alone
    touched = {s.resource.split()[-1] for s in report.steps if s.resource.startswith("collector")}
    assert touched == {name for name, state in before.items() if state == "ENABLED"}
    state = scale_state.load(deployed.aws(), "staging")
    assert state is not None
    assert state.collectors == {name: st == "ENABLED" for name, st in before.items()}
    # a second run keeps the saved state and changes no rule
    deployed.calls.clear()
    assert _zero(deployed).ok
    assert "DisableRule" not in deployed.calls
    assert scale_state.load(deployed.aws(), "staging").collectors == state.collectors


def test_restore_enables_exactly_the_rules_that_were_enabled(deployed: Deployed) -> None:
    before = _rules(deployed)
    _zero(deployed)
    deployed.calls.clear()
    report = scale.restore(deployed.aws(), "staging", wait=True, poll_seconds=0)
    assert report.ok, report.text()
    assert _rules(deployed) == before  # the rule paused before stays paused
    assert deployed.calls.count("EnableRule") == 2
    resources = [s.resource for s in report.steps]
    rules = [i for i, r in enumerate(resources) if r.startswith("collector rule")]
    # after the services are back, before the alarms' actions
    assert resources.index("services") < rules[0]
    assert resources[rules[-1] + 1].startswith("alarms")


def test_restore_pauses_again_a_rule_that_a_redeploy_recreated_enabled(
    deployed: Deployed,
) -> None:
    before = _rules(deployed)
    paused = _rule(deployed, PAUSED_BEFORE)
    _zero(deployed)
    events = deployed.aws().client("events")
    events.enable_rule(Name=paused)  # what an unpark deploy does: the rule comes back enabled
    report = scale.restore(deployed.aws(), "staging", wait=True, poll_seconds=0)
    assert report.ok, report.text()
    assert _rules(deployed) == before
    assert _rules(deployed)[paused] == "DISABLED"


def test_restore_of_a_state_saved_without_collectors(deployed: Deployed) -> None:
    _zero(deployed)
    parameter = names.scale_state_parameter("staging")
    state = scale_state.load(deployed.aws(), "staging")
    state = replace(state, collectors=None)  # as saved before the rules were paused
    scale_state.save(deployed.aws(), "staging", state, overwrite=True)
    deployed.calls.clear()
    report = scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0)
    assert report.ok, report.text()
    assert "EnableRule" not in deployed.calls  # none recorded, none enabled
    assert not any(s.resource.startswith("collector") for s in report.steps)
    assert set(_rules(deployed).values()) == {"DISABLED"}
    assert json.loads(deployed.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"])[
        "restored_at"
    ]


def test_to_zero_adds_the_rules_to_a_state_saved_without_them(deployed: Deployed) -> None:
    before = _rules(deployed)
    _zero(deployed)
    state = scale_state.load(deployed.aws(), "staging")
    state = replace(state, collectors=None)  # an older run: state saved, rules never touched
    scale_state.save(deployed.aws(), "staging", state, overwrite=True)
    for name, was in before.items():
        if was == "ENABLED":
            deployed.client("events").enable_rule(Name=name)
    report = _zero(deployed)
    assert report.ok, report.text()
    assert any(s.action == "add collector rules to state" for s in report.steps)
    assert set(_rules(deployed).values()) == {"DISABLED"}
    assert scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0).ok
    assert _rules(deployed) == before


def test_a_rule_failing_to_disable_is_reported_alone(deployed: Deployed) -> None:
    aws = deployed.aws()
    broken = _rule(deployed, "cryptopanic")

    def refuse(params, **_):
        if params.get("Name") == broken:
            from botocore.exceptions import ClientError

            error = {"Error": {"Code": "AccessDeniedException", "Message": "denied"}}
            raise ClientError(error, "DisableRule")

    aws.on("before-parameter-build.events.DisableRule", refuse)
    report = _zero(deployed, aws)
    assert [s.resource for s in report.failed] == [f"collector rule {broken}"]
    assert _rules(deployed)[broken] == "ENABLED"
    assert _rules(deployed)[_rule(deployed, "newscatcher")] == "DISABLED"
    assert {s["desiredCount"] for s in _services(deployed).values()} == {0}
    assert _db(deployed) == "stopped"
    # rerunning finishes the job with the state saved the first time
    assert _zero(deployed).ok
    assert set(_rules(deployed).values()) == {"DISABLED"}


def test_restore_skips_a_rule_that_is_no_longer_deployed(deployed: Deployed) -> None:
    _zero(deployed)
    gone = _rule(deployed, "newscatcher")
    deployed.client("events").delete_rule(Name=gone)
    report = scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0)
    assert report.ok, report.text()
    [step] = [s for s in report.steps if s.resource == f"collector rule {gone}"]
    assert "not deployed" in step.detail
    assert _rules_left(deployed, gone) == {_rule(deployed, "cryptopanic"): "ENABLED"} | {
        _rule(deployed, PAUSED_BEFORE): "DISABLED"
    }


def _rules_left(d: Deployed, gone: str) -> dict[str, str]:
    events = d.client("events")
    names_ = [n for n in d.ids["collector_rules"].split(",") if n != gone]
    return {n: events.describe_rule(Name=n)["State"] for n in names_}


def _set_db(d: Deployed, status: str) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.rds.models import rds_backends

    rds_backends[DEFAULT_ACCOUNT_ID][d.region].databases[d.ids["db"]].status = status


@pytest.mark.parametrize("busy", ["backing-up", "modifying", "starting", "maintenance"])
def test_restore_starts_a_database_saved_in_a_transition(deployed: Deployed, busy: str) -> None:
    """`--to 0` during a backup saves `backing-up` and cannot stop RDS; once the backup ends a rerun
    stops it; restore must start it again, since it was up when the state was saved."""
    _set_db(deployed, busy)
    first = _zero(deployed)
    assert [s.resource for s in first.failed] == [f"rds {deployed.ids['db']}"]
    _set_db(deployed, "available")  # the backup ends
    assert _zero(deployed).ok
    assert _db(deployed) == "stopped"
    report = scale.restore(deployed.aws(), "staging", wait=True, poll_seconds=0)
    assert report.ok, report.text()
    assert _db(deployed) == "available"
    [step] = [s for s in report.steps if s.resource.startswith("rds")]
    assert step.action == "start" and f"was {busy!r}" in step.detail


def test_restore_marks_restoring_before_starting_anything(deployed: Deployed) -> None:
    """The keep-RDS-stopped guard reads the phase: `restoring` must be saved before RDS starts."""
    _zero(deployed)
    deployed.calls.clear()
    report = scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0)
    assert report.ok, report.text()
    actions = [s.action for s in report.steps]
    assert actions[0] == "mark restoring" and actions[1] == "start"
    assert actions[-1] == "mark restored"
    mutating = deployed.mutating_calls()
    assert mutating[:3] == ["PutParameter", "PutParameter", "StartDBInstance"]  # lock, phase


def test_a_failed_restore_leaves_the_phase_restoring_and_to_zero_takes_it_back(
    deployed: Deployed,
) -> None:
    _zero(deployed)
    _set_db(deployed, "storage-optimization")
    assert not scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0).ok
    state = scale_state.load(deployed.aws(), "staging")
    assert state is not None and state.phase is Phase.RESTORING and state.pending
    _set_db(deployed, "stopped")
    again = _zero(deployed)
    assert again.ok, again.text()
    assert any(s.action == "back to down" for s in again.steps)
    kept = scale_state.load(deployed.aws(), "staging")
    assert kept is not None and kept.phase is Phase.DOWN
    assert kept.services == state.services and kept.saved_at == state.saved_at


def test_to_n_takes_the_scale_lock(deployed: Deployed) -> None:
    """A `--to 0` between reading the counts and saving them holds the lock: `--to N` waits its
    turn instead of changing a count the restore would then silently undo."""
    lock = names.scale_lock_parameter("staging")
    holder = {"holder": "bob@ci pid 7", "since": "2026-01-01T00:00:00+00:00"}
    deployed.client("ssm").put_parameter(Name=lock, Value=json.dumps(holder), Type="String")
    with pytest.raises(OpsError, match="bob@ci pid 7"):
        counting.to_count(deployed.aws(), deployed.outputs(), "staging", 2, roles=("backend",))
    assert {s["desiredCount"] for s in _services(deployed).values()} == {1}
    assert "UpdateService" not in deployed.calls


def test_to_n_sets_all_named_services_or_none(deployed: Deployed) -> None:
    """frontend accepts 5 (bounds 1..6), backend refuses (1..3): nothing changes, exit 1, and the
    dry run shows exactly the same rows."""
    deployed.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{deployed.ids['cluster']}/{deployed.ids['frontend']}",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=6,
    )
    runner, args = CliRunner(), ["scale", "--to", "5", "--env", "staging", "--json"]
    dry = runner.invoke(cli, [*args, "--dry-run"], obj=deployed.context())
    real = runner.invoke(cli, [*args, "--yes"], obj=deployed.context())
    assert dry.exit_code == real.exit_code == 1
    rows = [json.loads(r.stdout)["steps"] for r in (dry, real)]
    strip = [[(s["resource"], s["ok"], s["detail"]) for s in steps] for steps in rows]
    assert strip[0] == strip[1]
    by_resource = {s["resource"].split()[1]: s for s in rows[1]}
    assert "bounds 1..3" in by_resource["backend"]["detail"]
    assert "not set: backend refuses 5" in by_resource["frontend"]["detail"]
    assert {s["desiredCount"] for s in _services(deployed).values()} == {1}
    assert "UpdateService" not in deployed.calls


def test_older_version_less_state_is_restored(deployed: Deployed) -> None:
    """A state saved by an earlier `ops` (no version, no phase, no collectors) still restores."""
    _zero(deployed)
    parameter = names.scale_state_parameter("staging")
    document = json.loads(
        deployed.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
    )
    for key in ("version", "phase", "actor", "reason", "restored_at", "collectors"):
        del document[key]
    deployed.client("ssm").put_parameter(
        Name=parameter, Value=json.dumps(document), Type="String", Overwrite=True
    )
    state = scale_state.load(deployed.aws(), "staging")
    assert state is not None and state.phase is Phase.DOWN and state.actor is Actor.MANUAL
    report = scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0)
    assert report.ok, report.text()
    assert _db(deployed) == "available"
    saved = json.loads(deployed.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"])
    assert (saved["version"], saved["phase"]) == (2, "restored")


def test_a_newer_state_version_is_refused(deployed: Deployed) -> None:
    parameter = names.scale_state_parameter("staging")
    value = json.dumps({"version": 3, "services": {}, "alarms": {}, "rds": {}})
    deployed.client("ssm").put_parameter(Name=parameter, Value=value, Type="String")
    with pytest.raises(OpsError, match="version 3"):
        scale.restore(deployed.aws(), "staging", poll_seconds=0)


def test_the_schedule_never_takes_over_a_person_s_scale_down(deployed: Deployed) -> None:
    aws = deployed.aws()
    assert scale.to_zero(aws, deployed.outputs(aws), "staging", reason="db upgrade").ok
    again = scale.to_zero(
        aws, deployed.outputs(aws), "staging", actor=Actor.SCHEDULE, reason="night", poll_seconds=0
    )
    assert again.ok
    state = scale_state.load(aws, "staging")
    assert state is not None and (state.actor, state.reason) == (Actor.MANUAL, "db upgrade")


def test_muting_while_scaled_to_zero_survives_the_restore(deployed: Deployed) -> None:
    """While scaled to zero, `alarms mute X` changes what the restore puts back; `unmute Y` of an
    alarm muted before makes the restore enable it; both stay off until the restore."""
    muted_now = names.alarm_name("staging", "rds-cpu-high")
    unmuted_now = names.alarm_name("staging", MUTED_BEFORE)
    _zero(deployed)
    runner = CliRunner()
    base = ["--env", "staging", "--yes", "--json"]
    mute = runner.invoke(cli, ["alarms", "mute", "rds-cpu-high", *base], obj=deployed.context())
    unmute = runner.invoke(cli, ["alarms", "unmute", MUTED_BEFORE, *base], obj=deployed.context())
    for result, name in ((mute, muted_now), (unmute, unmuted_now)):
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["result"] == "saved for restore" and data["changed"] == [name]
    assert not any(_actions(deployed).values())  # all still off while down
    assert scale.restore(deployed.aws(), "staging", wait=False, poll_seconds=0).ok
    after = _actions(deployed)
    assert after[muted_now] is False and after[unmuted_now] is True
    others = {k: v for k, v in after.items() if k not in (muted_now, unmuted_now)}
    assert others and all(others.values())


def _rotating_user_secret(d: Deployed) -> str:
    """The app user's secret with rotation on (moto: no function; no rotation left pending)."""
    sm = d.client("secretsmanager")
    arn = sm.create_secret(
        Name=names.app_database_secret(d.env), SecretString=json.dumps({"username": "u"})
    )["ARN"]
    sm.rotate_secret(SecretId=arn, RotationRules={"AutomaticallyAfterDays": 30})
    for version, stages in sm.describe_secret(SecretId=arn)["VersionIdsToStages"].items():
        if "AWSPENDING" in stages:
            sm.update_secret_version_stage(
                SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=version
            )
    return arn


def _rotation_step(report) -> str:
    (step,) = (s for s in report.steps if s.resource == "database credentials")
    assert step.ok
    return f"{step.action}: {step.detail}"


def test_restore_starts_a_rotation_deferred_while_the_database_was_stopped(
    deployed: Deployed,
) -> None:
    _rotating_user_secret(deployed)
    _zero(deployed)
    # What the rotation function leaves when it finds the database stopped.
    deployed.client("ssm").put_parameter(
        Name=names.db_rotation_deferred_parameter(deployed.env), Value="{}", Type="String"
    )
    dry = scale.restore(deployed.aws(), deployed.env, dry_run=True, wait=False, poll_seconds=0)
    assert _rotation_step(dry) == (
        "would rotate if overdue: would rotate now (deferred while the database was stopped)"
    )
    assert "RotateSecret" not in deployed.calls
    report = scale.restore(deployed.aws(), deployed.env, wait=False, poll_seconds=0)
    assert report.ok, report.text()
    assert _rotation_step(report) == (
        "rotate if overdue: rotation started (deferred while the database was stopped)"
    )
    assert deployed.calls.count("RotateSecret") == 1


def test_restore_leaves_a_rotation_that_is_not_due(deployed: Deployed) -> None:
    _rotating_user_secret(deployed)
    _zero(deployed)
    report = scale.restore(deployed.aws(), deployed.env, wait=False, poll_seconds=0)
    assert _rotation_step(report) == "rotate if overdue: not due"
    assert "RotateSecret" not in deployed.calls


def test_restore_without_rotation_says_not_due(deployed: Deployed) -> None:
    _zero(deployed)  # no app user secret: the environment connects as the master
    report = scale.restore(deployed.aws(), deployed.env, wait=False, poll_seconds=0)
    assert report.ok and _rotation_step(report) == "rotate if overdue: not due"


def test_a_denied_rotation_is_reported_and_the_restore_still_completes(
    deployed: Deployed,
) -> None:
    _rotating_user_secret(deployed)
    _zero(deployed)
    deployed.client("ssm").put_parameter(
        Name=names.db_rotation_deferred_parameter(deployed.env), Value="{}", Type="String"
    )
    aws = deployed.aws()

    def deny(**_: object) -> None:
        from botocore.exceptions import ClientError

        error = {"Error": {"Code": "AccessDeniedException", "Message": "denied"}}
        raise ClientError(error, "RotateSecret")

    aws.on("before-parameter-build.secretsmanager.RotateSecret", deny)
    report = scale.restore(aws, deployed.env, wait=False, poll_seconds=0)
    assert report.ok, report.text()
    detail = _rotation_step(report)
    assert "AccessDeniedException" in detail and "aws secretsmanager rotate-secret" in detail
    state = scale_state.load(deployed.aws(), deployed.env)
    assert state is not None and state.phase is Phase.RESTORED
