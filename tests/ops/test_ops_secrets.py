"""`ops secrets check | set`: AWSCURRENT, required keys, placeholders; values never printed."""

from __future__ import annotations

import json

from click.testing import CliRunner
from moto_env import Deployed

from ops import secrets
from ops.cli import cli
from stacks.contract import names


def _check(d: Deployed) -> dict[str, dict]:
    return {r["arn"]: r for r in secrets.check(d.aws(), d.outputs())}


def test_references_come_from_the_task_definitions(deployed: Deployed) -> None:
    defs = secrets.task_definitions(deployed.aws(), deployed.outputs())
    found = secrets.referenced(defs)
    assert found == {
        deployed.ids["app_secret"]: set(names.APP_SECRET_INJECTED_KEYS),
        deployed.ids["db_secret"]: {"password"},
        deployed.ids["redis_secret"]: set(),  # the whole secret: a plain string
    }


def test_check_passes_on_a_healthy_environment(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["secrets", "check", "--env", "staging", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["arn"] for r in rows} == {
        deployed.ids[name] for name in ("app_secret", "db_secret", "redis_secret")
    }
    assert all(r["ok"] for r in rows)
    assert "value-of-" not in result.output


def test_placeholder_and_missing_key_fail(deployed: Deployed) -> None:
    value = {key: names.PLACEHOLDER for key in names.APP_SECRET_KEYS}
    del value["NANSEN_API_KEY"]
    deployed.client("secretsmanager").put_secret_value(
        SecretId=deployed.ids["app_secret"], SecretString=json.dumps(value)
    )
    problems = _check(deployed)[deployed.ids["app_secret"]]["problems"]
    assert "key NANSEN_API_KEY missing" in problems
    assert "key CRYPTOPANIC_API_KEY is still the placeholder" in problems
    result = CliRunner().invoke(cli, ["secrets", "check", "--env", "staging"],
                                obj=deployed.context())  # fmt: skip
    assert result.exit_code == 1 and names.PLACEHOLDER not in result.output


def test_an_app_secret_from_before_the_jwt_grace_keys_is_caught_with_its_fix(
    deployed: Deployed,
) -> None:
    # Created before SECRET_KEY_PREVIOUS/ROTATED_AT existed, and task definitions not yet
    # deployed with them: the check still wants them, since the next deploy injects them.
    value = {key: f"value-of-{key.lower()}" for key in names.APP_SECRET_KEYS}
    arn = deployed.ids["app_secret"]
    deployed.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=json.dumps(value))
    problems = _check(deployed)[arn]["problems"]
    fix = "run `ops secrets rotate SECRET_KEY` before deploying"
    assert problems == [
        f"key SECRET_KEY_PREVIOUS missing: {fix}",
        f"key SECRET_KEY_ROTATED_AT missing: {fix}",
    ]


def test_missing_awscurrent_is_caught(deployed: Deployed) -> None:
    sm = deployed.client("secretsmanager")
    arn = deployed.ids["db_secret"]
    versions = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current = next(v for v, stages in versions.items() if "AWSCURRENT" in stages)
    sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                   RemoveFromVersionId=current)  # fmt: skip
    row = _check(deployed)[arn]
    assert not row["ok"] and "no AWSCURRENT version" in row["problems"][0]


def test_missing_secret_is_caught(deployed: Deployed) -> None:
    deployed.client("secretsmanager").delete_secret(
        SecretId=deployed.ids["db_secret"], ForceDeleteWithoutRecovery=True
    )
    assert _check(deployed)[deployed.ids["db_secret"]]["problems"] == ["secret does not exist"]


def test_set_reads_stdin_and_never_prints_the_value(deployed: Deployed) -> None:
    secret = "s3cr3t-value-from-stdin"
    result = CliRunner().invoke(
        cli, ["secrets", "set", "NANSEN_API_KEY", "--env", "staging", "--yes"],
        input=secret + "\n", obj=deployed.context(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    stored = deployed.client("secretsmanager").get_secret_value(SecretId=deployed.ids["app_secret"])
    value = json.loads(stored["SecretString"])
    assert value["NANSEN_API_KEY"] == secret
    assert value["SECRET_KEY"] == "value-of-secret_key"  # the other keys are kept


def test_set_dry_run_and_bad_input(deployed: Deployed) -> None:
    runner, ctx = CliRunner(), deployed.context
    dry = runner.invoke(cli, ["secrets", "set", "NANSEN_API_KEY", "--env", "staging", "--dry-run"],
                        input="new\n", obj=ctx())  # fmt: skip
    assert dry.exit_code == 0 and deployed.mutating_calls() == []
    unknown = runner.invoke(cli, ["secrets", "set", "NOPE", "--env", "staging", "--yes"],
                            input="x\n", obj=ctx())  # fmt: skip
    assert unknown.exit_code == 1 and "SECRET_KEY" in unknown.stderr
    empty = runner.invoke(cli, ["secrets", "set", "SECRET_KEY", "--env", "staging", "--yes"],
                          input="\n", obj=ctx())  # fmt: skip
    assert empty.exit_code == 1 and deployed.mutating_calls() == []


def test_set_takes_no_value_argument(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli,
        ["secrets", "set", "SECRET_KEY", "on-the-command-line", "--env", "staging"],
        obj=deployed.context(),
    )
    assert result.exit_code == 2
