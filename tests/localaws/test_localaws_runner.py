"""The background server: start, status, adapter in its process, stop; `ops local` wiring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from localaws import runner
from localaws.deploy import local_region
from ops.cli import cli

SECRET_TEMPLATE = {
    "Resources": {
        "Secret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {"Name": "runner-check", "GenerateSecretString": {}},
        }
    }
}


def _plain_boto3_account(exported: dict[str, str]) -> str:
    """The account a plain `boto3.client("sts")` sees in a shell that ran `ops local env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])",
        ],
        env={**clean, **exported, "AWS_CONFIG_FILE": "/dev/null"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture()
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(runner, "STATE_DIR", tmp_path)
    return tmp_path


def test_ops_local_lifecycle_with_the_adapter_in_the_server(state_dir: Path) -> None:
    cli_runner = CliRunner()
    up = cli_runner.invoke(cli, ["local", "up"])
    try:
        assert up.exit_code == 0, up.output
        endpoint = up.output.strip().splitlines()[-1].removeprefix("AWS_ENDPOINT_URL=")
        assert endpoint.startswith("http://localhost:")
        status = json.loads(cli_runner.invoke(cli, ["local", "status", "--json"]).output)
        assert status == {"running": True, "endpoint": endpoint}
        exports = cli_runner.invoke(cli, ["local", "env"]).output
        assert f"export AWS_ENDPOINT_URL={endpoint}" in exports
        assert "export AWS_ACCESS_KEY_ID=testing" in exports
        exported = dict(
            line.removeprefix("export ").split("=", 1) for line in exports.strip().splitlines()
        )
        assert exported["AWS_DEFAULT_REGION"] == exported["AWS_REGION"] == local_region()
        assert _plain_boto3_account(exported).isdigit()
        bogus = cli_runner.invoke(
            cli, ["--region", "us-bogus-1", "alarms", "list", "--env", "local"], env=exported
        )
        assert bogus.exit_code == 1
        assert "HTML error page" in bogus.stderr and "<html" not in bogus.output.lower()
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        cfn = session.client("cloudformation", endpoint_url=endpoint)
        cfn.create_stack(StackName="runner-check", TemplateBody=json.dumps(SECRET_TEMPLATE))
        secrets = session.client("secretsmanager", endpoint_url=endpoint)
        assert secrets.get_secret_value(SecretId="runner-check")["SecretString"]
        pid = runner.status().pid
    finally:
        down = cli_runner.invoke(cli, ["local", "down"])
    assert down.output.strip() == "local AWS stopped"
    assert not runner.status().running
    assert not (state_dir / "moto.pid").exists()
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_commands_need_a_running_server(state_dir: Path) -> None:
    cli_runner = CliRunner()
    assert cli_runner.invoke(cli, ["local", "status"]).output.strip() == "not running"
    for command in (["local", "deploy"], ["local", "env"]):
        result = cli_runner.invoke(cli, command)
        assert result.exit_code == 1
        assert "ops local up" in result.output
    assert cli_runner.invoke(cli, ["local", "down"]).output.strip() == "local AWS was not running"


def test_a_stale_pid_file_is_not_a_running_server(state_dir: Path) -> None:
    (state_dir / "moto.pid").write_text("999999\n")
    (state_dir / "moto.port").write_text("4566\n")
    assert runner.status() == runner.ServerStatus(running=False, pid=999999, port=4566)
