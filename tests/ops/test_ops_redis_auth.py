"""`ops secrets rotate REDIS_AUTH`: ROTATE, new secret, redeploy, SET; a rollback before SET."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from click.testing import CliRunner
from moto_env import Deployed, steady_services

from ops import redis_auth
from ops.cli import cli


def _token(d: Deployed) -> str:
    # The stage named: moto's default read ignores a stage moved by UpdateSecretVersionStage.
    secret = d.client("secretsmanager").get_secret_value(
        SecretId=d.ids["redis_secret"], VersionStage="AWSCURRENT"
    )
    return str(secret["SecretString"])


def _recorder(d: Deployed) -> tuple[Any, list[dict[str, Any]]]:
    """An Aws whose services turn steady, recording every ModifyReplicationGroup request."""
    aws = d.aws()
    modified: list[dict[str, Any]] = []
    aws.on("before-call.ecs.DescribeServices", steady_services(d))
    aws.on("before-parameter-build.elasticache.ModifyReplicationGroup",
           lambda params, **_: modified.append(dict(params)))  # fmt: skip
    return aws, modified


def test_rotate_then_set_with_the_redeploy_in_between(deployed: Deployed) -> None:
    aws, modified = _recorder(deployed)
    old = _token(deployed)
    report = redis_auth.rotate(aws, deployed.outputs(aws), deployed.env, poll_seconds=0)
    assert report.ok, report.text()
    new = _token(deployed)
    assert new != old and len(new) >= 16
    assert [(m["AuthTokenUpdateStrategy"], m["AuthToken"]) for m in modified] == [
        ("ROTATE", new), ("SET", new)]  # fmt: skip
    mutating = deployed.mutating_calls()
    order = [mutating.index(c) for c in ("ModifyReplicationGroup", "PutSecretValue",
                                         "UpdateService")]  # fmt: skip
    assert order == sorted(order)
    assert len(mutating) - 1 - mutating[::-1].index("ModifyReplicationGroup") > mutating.index(
        "UpdateService")  # SET comes after the redeploy  # fmt: skip
    assert new not in report.text() and new not in json.dumps(report.to_dict())


def test_a_failed_redeploy_rolls_the_secret_back_and_never_sets(deployed: Deployed) -> None:
    aws, modified = _recorder(deployed)
    calls: list[int] = []

    def deny_first(**_: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                              "UpdateService")  # fmt: skip

    aws.on("before-call.ecs.UpdateService", deny_first)
    old = _token(deployed)
    report = redis_auth.rotate(aws, deployed.outputs(aws), deployed.env, poll_seconds=0)
    assert not report.ok
    assert [m["AuthTokenUpdateStrategy"] for m in modified] == ["ROTATE"]  # the old one works
    assert _token(deployed) == old
    assert report.steps[-1].action == "roll back and redeploy" and report.steps[-1].ok


def test_cli_dry_run_changes_nothing_and_prints_no_token(deployed: Deployed) -> None:
    old = _token(deployed)
    result = CliRunner().invoke(
        cli, ["secrets", "rotate", "REDIS_AUTH", "--env", deployed.env, "--dry-run"],
        obj=deployed.context(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert deployed.mutating_calls() == [] and _token(deployed) == old
    for action in ("ROTATE", "store the new token", "redeploy", "SET"):
        assert action in result.output
