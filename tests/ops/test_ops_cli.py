"""The CLI's global behaviour: fast help, env selection, exit codes, confirmation, discovery."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from moto_env import Deployed

from ops import confirm as confirm_module
from ops.aws.stack_outputs import StackOutputs
from ops.cli import COMMANDS, cli
from ops.errors import OpsError, describe_aws_error
from stacks.contract import names

ROOT = Path(__file__).resolve().parents[2]


def test_help_does_not_import_boto3() -> None:
    code = (
        "import sys\nfrom ops.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='ops')\nexcept SystemExit:\n    pass\n"
        "for name in cli.list_commands(None):\n    cli.get_command(None, name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_every_registered_command_loads() -> None:
    for name in COMMANDS:
        # click's get_command wants a Context; the group's lookup never reads it.
        assert cli.get_command(None, name) is not None  # type: ignore[arg-type]


def test_env_is_required_and_validated(aws_env: None) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["status"])
    assert missing.exit_code == 2 and "--env" in missing.stderr
    unknown = runner.invoke(cli, ["status", "--env", "nowhere"])
    assert unknown.exit_code == 2 and "staging" in unknown.stderr


def test_env_from_environment_variable(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["status", "--json"], env={"OHMYCOINS_ENV": "staging"}, obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["env"] == "staging"


def test_missing_stack_is_a_clear_failure(aws_env: None) -> None:
    from moto import mock_aws

    with mock_aws():
        result = CliRunner().invoke(cli, ["rds", "status", "--env", "staging"])
    assert result.exit_code == 1
    assert names.stack_name("staging", names.DATA) in result.stderr
    assert "Traceback" not in result.output


def test_missing_output_names_it(deployed: Deployed) -> None:
    cfn = deployed.client("cloudformation")
    stack = names.stack_name("staging", names.MONITORING)
    cfn.delete_stack(StackName=stack)
    body = {
        "Resources": {
            "M": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/m", "Type": "String", "Value": "m"},
            }
        }
    }
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(body))
    with pytest.raises(OpsError, match=f"{stack} has no output 'AlarmTopicArn'"):
        StackOutputs(deployed.aws(), "staging").value(names.Outputs.ALARM_TOPIC_ARN)


def test_aws_error_exits_1_without_traceback(deployed: Deployed) -> None:
    deployed.client("rds").delete_db_instance(
        DBInstanceIdentifier=deployed.ids["db"], SkipFinalSnapshot=True
    )
    result = CliRunner().invoke(cli, ["rds", "status", "--env", "staging"], obj=deployed.context())
    assert result.exit_code == 1
    assert "not found" in result.stderr


def test_region_option_overrides_the_environment(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli,
        ["--region", "us-east-1", "rds", "status", "--env", "staging"],
        obj=deployed.context(),
    )
    assert result.exit_code == 1  # nothing deployed in us-east-1
    assert "us-east-1" in result.stderr


def test_production_asks_for_the_typed_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confirm_module, "interactive", lambda: True)
    runner = CliRunner()

    @cli.command("probe-confirm")
    def probe() -> None:
        confirm_module.confirm(env="production", action="probe", yes=False)

    try:
        wrong = runner.invoke(cli, ["probe-confirm"], input="yes\n")
        assert wrong.exit_code == 1 and "did not match" in wrong.stderr
        right = runner.invoke(cli, ["probe-confirm"], input="production\n")
        assert right.exit_code == 0, right.output
    finally:
        cli.commands.pop("probe-confirm")


def test_non_production_confirm_and_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confirm_module, "interactive", lambda: True)
    with CliRunner().isolation(input="n\n"), pytest.raises(OpsError, match="not confirmed"):
        confirm_module.confirm(env="staging", action="probe", yes=False)
    with CliRunner().isolation(input="y\n"):
        confirm_module.confirm(env="staging", action="probe", yes=False)
    monkeypatch.setattr(confirm_module, "interactive", lambda: False)
    with pytest.raises(OpsError, match="--yes"):
        confirm_module.confirm(env="production", action="probe", yes=False)
    confirm_module.confirm(env="production", action="probe", yes=True)


def test_env_lookup_does_not_load_the_cdk() -> None:
    code = (
        "import sys\nfrom ops.envs import environment_names, region_of\n"
        "assert 'staging' in environment_names() and region_of('staging')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.fixture
def broken_staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment files, with staging's rds.multi_az set to a string."""
    from cdk_app import config

    directory = tmp_path / "environments"
    shutil.copytree(config.ENVIRONMENTS_DIR, directory)
    staging = directory / "staging.yaml"
    text = staging.read_text()
    assert "multi_az: false" in text
    staging.write_text(text.replace("multi_az: false", "multi_az: maybe", 1))
    monkeypatch.setattr(config, "ENVIRONMENTS_DIR", directory)
    return staging


@pytest.mark.parametrize(
    "args",
    [
        ["cost", "--state", "running"],
        ["park", "--dry-run"],
        ["status"],
        ["scale", "--to", "0", "--dry-run"],
    ],
)
def test_malformed_environment_file_is_one_line_naming_file_and_key(
    aws_env: None, broken_staging: Path, args: list[str]
) -> None:
    result = CliRunner().invoke(cli, [*args, "--env", "staging"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "staging.yaml: rds.multi_az: expected bool" in last


def test_malformed_region_is_bad_usage(aws_env: None) -> None:
    result = CliRunner().invoke(cli, ["--region", "bogus", "status", "--env", "staging"])
    assert result.exit_code == 2
    assert "'bogus' is not an AWS region name" in result.stderr


def test_an_html_error_page_is_described_not_printed() -> None:
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    client_error = ClientError(
        {"Error": {"Code": "500", "Message": page}, "ResponseMetadata": {"HTTPStatusCode": 500}},
        "DescribeAlarms",
    )
    parser_error = ResponseParserError(
        f"Unable to parse response, invalid XML received:\nb'{page}'"
    )
    for error, operation in ((client_error, "DescribeAlarms: "), (parser_error, "")):
        text = describe_aws_error(error)
        assert "<" not in text and text.startswith(operation)
        assert "HTML error page" in text and "--region" in text
    assert "(HTTP 500)" in describe_aws_error(client_error)
