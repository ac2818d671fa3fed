"""`ops migrate`: one-off task from the backend's definition, same network, exit code, log tail."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import ecs_backends
from moto_env import Deployed, finish_tasks

from ops import migrate
from ops.cli import cli


def _started(d: Deployed) -> list[Any]:
    return list(ecs_backends[DEFAULT_ACCOUNT_ID][d.region].tasks.get(d.ids["cluster"], {}).values())


def test_plan_reuses_the_service_network_and_overrides_the_command(deployed: Deployed) -> None:
    request = migrate.plan(deployed.aws(), deployed.outputs())["request"]
    service = deployed.client("ecs").describe_services(
        cluster=deployed.ids["cluster"], services=[deployed.ids["backend"]]
    )["services"][0]
    assert request["networkConfiguration"] == service["networkConfiguration"]
    assert request["taskDefinition"] == service["taskDefinition"]
    assert request["launchType"] == "FARGATE"
    assert request["overrides"]["containerOverrides"] == [
        {"name": "backend", "command": ["python", "-m", "app.prestart"]}
    ]


def test_migrate_waits_and_reports_exit_code_and_log(deployed: Deployed) -> None:
    ctx = deployed.context()
    lines = ["Running migrations", "INFO  [alembic] upgrade -> head", "done"]
    ctx.hooks.append(
        ("before-parameter-build.ecs.DescribeTasks",
         finish_tasks(deployed, exit_code=0, lines=lines))
    )  # fmt: skip
    result = CliRunner().invoke(cli, ["migrate", "--env", "staging", "--yes", "--json"], obj=ctx)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["exit_code"] == 0 and data["log_tail"] == lines
    assert len(_started(deployed)) == 1


def test_migrate_failure_exits_1(deployed: Deployed) -> None:
    ctx = deployed.context()
    hook = finish_tasks(deployed, exit_code=3, lines=["relation does not exist"])
    ctx.hooks.append(("before-parameter-build.ecs.DescribeTasks", hook))
    result = CliRunner().invoke(cli, ["migrate", "--env", "staging", "--yes"], obj=ctx)
    assert result.exit_code == 1
    assert "exit code: 3" in result.stdout and "relation does not exist" in result.stdout
    assert "exit code 3" in result.stderr


def test_migrate_no_wait_and_dry_run(deployed: Deployed) -> None:
    runner = CliRunner()
    dry = runner.invoke(cli, ["migrate", "--env", "staging", "--dry-run"], obj=deployed.context())
    assert dry.exit_code == 0 and deployed.mutating_calls() == [] and _started(deployed) == []
    assert "command: python -m app.prestart" in dry.stdout
    started = runner.invoke(
        cli,
        ["migrate", "--env", "staging", "--yes", "--no-wait", "--json"],
        obj=deployed.context(),
    )
    assert started.exit_code == 0, started.output
    assert json.loads(started.stdout)["task"].startswith("arn:aws:ecs:")
    assert deployed.mutating_calls() == ["RunTask"]


def test_migrate_missing_service(deployed: Deployed) -> None:
    deployed.client("ecs").delete_service(
        cluster=deployed.ids["cluster"], service=deployed.ids["backend"], force=True
    )
    result = CliRunner().invoke(cli, ["migrate", "--env", "staging", "--yes"],
                                obj=deployed.context())  # fmt: skip
    assert result.exit_code == 1 and deployed.ids["backend"] in result.stderr
