"""`ops alarms`: list, mute, unmute, test; names from the catalog."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from moto_env import MUTED_BEFORE, Deployed

from ops import alarms
from ops import confirm as confirm_module
from ops.cli import cli
from ops.errors import OpsError
from stacks.contract import alarm_catalog, names


def _actions(d: Deployed) -> dict[str, bool]:
    found = d.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a["ActionsEnabled"] for a in found}


def test_list_json_covers_the_catalog(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["alarms", "list", "--env", "staging", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == list(alarm_catalog.ALARM_IDS)
    muted = [r["id"] for r in rows if not r["actions_enabled"]]
    assert muted == [MUTED_BEFORE]
    assert all(r["exists"] for r in rows)


def test_list_text(deployed: Deployed) -> None:
    result = CliRunner().invoke(cli, ["alarms", "list", "--env", "staging"], obj=deployed.context())
    assert result.exit_code == 0
    assert f"{MUTED_BEFORE}" in result.stdout and "MUTED" in result.stdout


def test_mute_and_unmute_some_or_all(deployed: Deployed) -> None:
    runner, ctx = CliRunner(), deployed.context
    one = runner.invoke(cli, ["alarms", "mute", "alb-5xx", "--env", "staging", "--yes"], obj=ctx())
    assert one.exit_code == 0, one.output
    assert _actions(deployed)[names.alarm_name("staging", "alb-5xx")] is False
    assert sum(not on for on in _actions(deployed).values()) == 2
    every = runner.invoke(
        cli, ["alarms", "unmute", "--env", "staging", "--yes", "--json"], obj=ctx()
    )
    assert every.exit_code == 0
    assert len(json.loads(every.stdout)["changed"]) == 2
    assert all(_actions(deployed).values())


def test_mute_dry_run_changes_nothing(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["alarms", "mute", "--env", "staging", "--dry-run", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["changed"]) == len(alarm_catalog.ALARM_IDS) - 1
    assert deployed.mutating_calls() == []


@pytest.mark.parametrize(
    "args",
    [
        ["alarms", "mute", "rds-cpu-high", "no-such-alarm"],
        ["alarms", "unmute", "no-such-alarm"],
        ["alarms", "test", "no-such-alarm"],
    ],
)
def test_unknown_alarm_id_is_bad_usage_before_any_prompt(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(confirm_module, "interactive", lambda: True)
    monkeypatch.setattr(click, "confirm", lambda text, **_: asked.append(text) or True)
    result = CliRunner().invoke(cli, [*args, "--env", "staging"], obj=deployed.context())
    assert result.exit_code == 2, result.output
    assert "'no-such-alarm'" in result.stderr and "rds-cpu-high" in result.stderr
    assert asked == [] and deployed.mutating_calls() == []


def test_alarm_test_sets_alarm_then_ok(deployed: Deployed) -> None:
    states: list[tuple[str, str]] = []
    ctx = deployed.context()
    ctx.hooks.append(
        ("before-parameter-build.cloudwatch.SetAlarmState",
         lambda params, **_: states.append((params["AlarmName"], params["StateValue"])))
    )  # fmt: skip
    result = CliRunner().invoke(
        cli, ["alarms", "test", "rds-cpu-high", "--env", "staging", "--yes", "--json"], obj=ctx
    )
    assert result.exit_code == 0, result.output
    name = names.alarm_name("staging", "rds-cpu-high")
    assert json.loads(result.stdout)["states_set"] == ["ALARM", "OK"]
    assert states == [(name, "ALARM"), (name, "OK")]
    final = deployed.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert final["StateValue"] == "OK"


def test_alarm_test_reports_subscriptions(deployed: Deployed) -> None:
    aws = deployed.aws()
    result = alarms.test(
        aws, "staging", MUTED_BEFORE, topic_arn=deployed.ids["topic"], dry_run=True
    )
    subscribed = deployed.client("sns").list_subscriptions_by_topic(TopicArn=deployed.ids["topic"])
    confirmed = [s for s in subscribed["Subscriptions"] if s["SubscriptionArn"].startswith("arn:")]
    assert len(result["confirmed_subscriptions"]) == len(confirmed)
    assert any("disabled" in w for w in result["warnings"])
    assert result["states_set"] == [] and deployed.mutating_calls() == []


def test_alarm_test_warns_without_subscribers(deployed: Deployed) -> None:
    sns = deployed.client("sns")
    for sub in sns.list_subscriptions_by_topic(TopicArn=deployed.ids["topic"])["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    result = CliRunner().invoke(
        cli, ["alarms", "test", "alb-5xx", "--env", "staging", "--yes"], obj=deployed.context()
    )
    assert result.exit_code == 0
    assert "confirmed subscriptions: none" in result.stdout
    assert "nobody is notified" in result.stderr


def test_missing_alarm_is_reported(deployed: Deployed) -> None:
    deployed.client("cloudwatch").delete_alarms(AlarmNames=[names.alarm_name("staging", "alb-5xx")])
    with pytest.raises(OpsError, match="not deployed: ohmycoins-staging-alb-5xx"):
        alarms.set_actions(deployed.aws(), "staging", ["alb-5xx"], enabled=False, dry_run=False)


def test_mute_all_skips_the_alarms_this_env_does_not_deploy(deployed: Deployed) -> None:
    absent = [
        names.alarm_name("staging", f"collector-nansen-{kind}") for kind in ("failing", "stale")
    ]
    deployed.client("cloudwatch").delete_alarms(AlarmNames=absent)  # an env without nansen
    changed = alarms.set_actions(deployed.aws(), "staging", (), enabled=False, dry_run=False)
    assert names.alarm_name("staging", "collector-cryptopanic-stale") in changed
    assert not set(absent) & set(changed)
    with pytest.raises(OpsError, match="not deployed: ohmycoins-staging-collector-nansen-stale"):
        alarms.set_actions(
            deployed.aws(), "staging", ["collector-nansen-stale"], enabled=True, dry_run=False
        )


def test_scaling_to_zero_mutes_the_stale_alarms_and_restore_rearms_them(deployed: Deployed) -> None:
    from ops.scale import engine as scale

    stale = [
        names.alarm_name("staging", spec.id)
        for spec in alarm_catalog.ALARMS
        if spec.collector and spec.treat_missing_data == "breaching"
    ]
    assert len(stale) == 3

    def actions() -> set[bool]:
        found = deployed.client("cloudwatch").describe_alarms(AlarmNames=stale)["MetricAlarms"]
        assert len(found) == len(stale)
        return {alarm["ActionsEnabled"] for alarm in found}

    aws = deployed.aws()
    assert scale.to_zero(aws, deployed.outputs(aws), "staging", poll_seconds=0).ok
    assert actions() == {False}
    assert scale.restore(aws, "staging", poll_seconds=0).ok
    assert actions() == {True}
