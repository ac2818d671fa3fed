"""`ops secrets rotate | rollback`: store, redeploy, check, and roll back when the check fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import ecs_backends
from moto_env import Deployed, finish_tasks, steady_services

from ops import rotation
from ops.cli import cli
from ops.errors import OpsError
from stacks.contract import names

KEY = "CRYPTOPANIC_API_KEY"
NEW = "fresh-provider-key-from-stdin"


def _secret(d: Deployed, stage: str = "AWSCURRENT") -> dict[str, Any]:
    raw = d.client("secretsmanager").get_secret_value(SecretId=d.ids["app_secret"],
                                                      VersionStage=stage)  # fmt: skip
    return dict(json.loads(raw["SecretString"]))


def _commands(d: Deployed) -> list[list[str]]:
    tasks = ecs_backends[DEFAULT_ACCOUNT_ID][d.region].tasks.get(d.ids["cluster"], {}).values()
    return [o["command"] for t in tasks for o in t.overrides["containerOverrides"]]


def _rotate(d: Deployed, key: str = KEY, *args: str, exit_code: int = 0) -> Any:
    ctx = d.context()
    finish = finish_tasks(d, exit_code=exit_code, lines=["401 from provider"])
    ctx.hooks += [
        ("before-call.ecs.DescribeServices", steady_services(d)),
        ("before-parameter-build.ecs.DescribeTasks", finish),
    ]
    return CliRunner().invoke(cli, ["secrets", "rotate", key, "--env", d.env, "--yes", *args],
                              input=NEW + "\n", obj=ctx)  # fmt: skip


def test_rotate_stores_redeploys_and_checks_with_a_collector_run(deployed: Deployed) -> None:
    old = _secret(deployed)
    result = _rotate(deployed, KEY, "--json")
    assert result.exit_code == 0, result.output
    assert NEW not in result.output
    assert _secret(deployed)[KEY] == NEW
    assert _secret(deployed, "AWSPREVIOUS") == old  # the old version stays as AWSPREVIOUS
    # only the backend reads the app secret; it was redeployed before the check ran
    assert deployed.calls.count("UpdateService") == 1
    assert deployed.calls.index("UpdateService") < deployed.calls.index("RunTask")
    assert _commands(deployed) == [["python", "-m", "app.collect", "cryptopanic", "--max-pages",
                                    "1"]]  # fmt: skip
    steps = json.loads(result.stdout)["steps"]
    assert [s["action"] for s in steps][-1] == "collector cryptopanic (1 page)"


def test_a_failed_check_rolls_back_and_redeploys_again(deployed: Deployed) -> None:
    old = _secret(deployed)
    result = _rotate(deployed, KEY, exit_code=1)
    assert result.exit_code == 1
    assert "check" in result.stderr and NEW not in result.output
    assert _secret(deployed) == old  # AWSCURRENT is the old version again
    assert deployed.calls.count("UpdateService") == 2  # once with the new key, once back
    assert "401 from provider" in result.output  # the collector's last lines explain why


def _steady_aws(d: Deployed) -> Any:
    aws = d.aws()
    aws.on("before-call.ecs.DescribeServices", steady_services(d))
    return aws


def test_the_signing_key_is_generated_and_the_previous_one_kept(deployed: Deployed) -> None:
    aws = _steady_aws(deployed)
    outputs = deployed.outputs(aws)
    old = _secret(deployed)[names.JWT_SIGNING_KEY]
    now = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
    checked: list[str] = []
    new_key = rotation.generated_signing_key()
    report = rotation.rotate(aws, outputs, deployed.env, names.JWT_SIGNING_KEY, new_key,
                             poll_seconds=0, now=now,
                             check=lambda _a, _o, t: checked.append(t.check) or "ok")  # fmt: skip
    assert report.ok, report.text()
    value = _secret(deployed)
    assert value[names.JWT_SIGNING_KEY] == new_key != old and len(new_key) >= 64
    assert value[names.JWT_PREVIOUS_KEY] == old
    assert value[names.JWT_ROTATED_AT] == "2026-12-02T03:04:05+00:00"
    assert checked == ["smoke (health paths)"]


def test_dry_run_shows_the_steps_and_changes_nothing(deployed: Deployed) -> None:
    result = _rotate(deployed, KEY, "--dry-run")
    assert result.exit_code == 0, result.output
    assert deployed.mutating_calls() == []
    for step in ("store a new CRYPTOPANIC_API_KEY", "redeploy", "wait steady", "collector"):
        assert step in result.output


def test_unknown_key_is_bad_usage_before_any_prompt(deployed: Deployed) -> None:
    result = CliRunner().invoke(cli, ["secrets", "rotate", "NOPE", "--env", deployed.env, "--yes"],
                                obj=deployed.context())  # fmt: skip
    assert result.exit_code == 2 and "NOPE" in result.output
    assert deployed.mutating_calls() == []


@pytest.mark.parametrize("value", ["", "   ", names.PLACEHOLDER, "value-of-cryptopanic_api_key"])
def test_empty_placeholder_or_unchanged_value_is_refused(deployed: Deployed, value: str) -> None:
    with pytest.raises(OpsError):
        rotation.rotate(deployed.aws(), deployed.outputs(), deployed.env, KEY, value)
    assert deployed.mutating_calls() == []


def test_denied_store_changes_nothing_and_redeploys_nothing(deployed: Deployed) -> None:
    aws = deployed.aws()

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                          "PutSecretValue")  # fmt: skip

    aws.on("before-call.secretsmanager.PutSecretValue", deny)
    old = _secret(deployed)
    report = rotation.rotate(aws, deployed.outputs(aws), deployed.env, KEY, NEW, poll_seconds=0,
                             check=lambda *_: "ok")  # fmt: skip
    assert not report.ok and "AccessDenied" in report.failed[0].detail
    assert _secret(deployed) == old and "UpdateService" not in deployed.calls


def test_a_denied_redeploy_rolls_the_secret_back(deployed: Deployed) -> None:
    aws = _steady_aws(deployed)
    denied: list[int] = []

    def deny_once(**_: Any) -> None:
        if not denied:
            denied.append(1)
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                              "UpdateService")  # fmt: skip

    aws.on("before-call.ecs.UpdateService", deny_once)
    old = _secret(deployed)
    report = rotation.rotate(aws, deployed.outputs(aws), deployed.env, KEY, NEW, poll_seconds=0,
                             check=lambda *_: "ok")  # fmt: skip
    assert not report.ok
    assert [s.action for s in report.steps if s.resource == "app secret"] == [
        f"store a new {KEY}", "roll back"]  # fmt: skip
    assert _secret(deployed) == old


def test_rollback_moves_awscurrent_back_and_names_other_reverted_keys(deployed: Deployed) -> None:
    old = _secret(deployed)
    assert _rotate(deployed).exit_code == 0
    ctx = deployed.context()
    ctx.hooks.append(("before-call.ecs.DescribeServices", steady_services(deployed)))
    result = CliRunner().invoke(cli, ["secrets", "rollback", KEY, "--env", deployed.env, "--yes"],
                                obj=ctx)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _secret(deployed) == old
    # AWSPREVIOUS now holds the rotated value, so a second rollback would undo the first one
    again = CliRunner().invoke(cli, ["secrets", "rollback", KEY, "--env", deployed.env, "--yes",
                                     "--dry-run"], obj=deployed.context())  # fmt: skip
    assert again.exit_code == 0 and "would move" in again.output


def test_rollback_without_a_previous_version_is_a_clear_error(deployed: Deployed) -> None:
    result = CliRunner().invoke(cli, ["secrets", "rollback", KEY, "--env", deployed.env, "--yes"],
                                obj=deployed.context())  # fmt: skip
    assert result.exit_code == 1 and "no AWSPREVIOUS" in result.stderr
    assert deployed.mutating_calls() == []


def test_rollback_names_the_other_keys_it_reverts(deployed: Deployed) -> None:
    sm = deployed.client("secretsmanager")
    value = _secret(deployed)
    sm.put_secret_value(
        SecretId=deployed.ids["app_secret"],
        SecretString=json.dumps({**value, KEY: "k2", "NANSEN_API_KEY": "n2"}),
    )
    report = rotation.rollback(deployed.aws(), deployed.outputs(), deployed.env, KEY,
                               dry_run=True)  # fmt: skip
    assert "also reverts NANSEN_API_KEY" in report.steps[0].detail
    assert "n2" not in report.text() and deployed.mutating_calls() == []
