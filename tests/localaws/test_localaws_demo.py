"""The demo driver stops at the first failed step, exits 1, and stops the server either way."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from localaws import demo, runner
from ops.cli import cli
from stacks.contract.alarm_catalog import ALARM_IDS
from stacks.contract.names import API_KEY_NAMES


def _fail() -> None:
    raise demo.StepFailed("broken on purpose")


def test_a_failed_step_stops_the_demo_and_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "STATE_DIR", tmp_path)
    ran: list[str] = []
    plan = [
        demo.Step("start", demo.start_server),
        demo.Step("fail", _fail),
        demo.Step("never", lambda: ran.append("never")),
    ]
    monkeypatch.setattr(demo, "steps", lambda: plan)
    assert demo.main() == 1
    out, err = capsys.readouterr()
    assert "==> [2/3] fail" in out and "[3/3]" not in out
    assert "DEMO FAILED: broken on purpose" in err
    assert "stopped" in out.splitlines()[-1]
    assert ran == []
    assert not runner.status().running


def test_the_plan_runs_the_lifecycle_through_ops(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every step with the local AWS and the subprocesses faked: what each step really does."""
    ran: list[str] = []
    calls: list[tuple[tuple[str, ...], str | None]] = []  # (ops arguments, stdin)
    for name in ("synthesize_every_env", "start_server", "deploy_local"):
        monkeypatch.setattr(demo, name, lambda name=name: ran.append(name))
    monkeypatch.setattr(demo, "_endpoint", lambda: "http://127.0.0.1:1")

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert argv[:3] == [sys.executable, "-m", "ops"] and argv[-2:] == ["--env", demo.ENV]
        assert kwargs["env"]["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
        calls.append((tuple(argv[3:-2]), kwargs.get("input")))
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(demo.subprocess, "run", fake_run)
    for step in demo.steps():
        step.run()

    assert ran == ["synthesize_every_env", "start_server", "deploy_local"]
    commands = [args for args, _stdin in calls]
    # Every API key is set from stdin (never on the command line), then checked.
    for key in API_KEY_NAMES:
        assert (("secrets", "set", key, "--yes"), demo.DEMO_KEY_VALUE) in calls
        assert all(demo.DEMO_KEY_VALUE not in args for args in commands)
    last_set = max(i for i, args in enumerate(commands) if args[:2] == ("secrets", "set"))
    assert commands.index(("secrets", "check")) > last_set
    # The read-only preflight runs once the secrets are set, before anything changes.
    assert (
        last_set < commands.index(("preflight",)) < commands.index(("scale", "--to", "0", "--yes"))
    )
    # Scale to zero, see it in the status, restore; then fire a catalog alarm's test notification.
    down = commands.index(("scale", "--to", "0", "--yes"))
    restore = commands.index(("scale", "--to", "restore", "--yes"))
    assert commands[0] == ("status",) and down < commands.index(("status",), down) < restore
    assert commands[-1][:2] == ("alarms", "test") and commands[-1][2] in ALARM_IDS


def test_a_failing_ops_command_fails_its_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "_endpoint", lambda: "http://127.0.0.1:1")
    monkeypatch.setattr(
        demo.subprocess, "run", lambda argv, **_: subprocess.CompletedProcess(argv, 2)
    )
    with pytest.raises(demo.StepFailed, match="`ops status` exited 2"):
        demo.ops("status")()


def test_a_successful_demo_ends_with_the_way_to_run_ops_yourself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "STATE_DIR", tmp_path)
    monkeypatch.setattr(demo, "steps", lambda: [demo.Step("nothing", lambda: None)])
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(demo.NEXT_STEPS)


def test_the_next_steps_are_real_ops_command_lines() -> None:
    lines = [line.split("#")[0].strip() for line in demo.NEXT_STEPS.splitlines()[1:]]
    assert lines[0] == "source .venv/bin/activate"
    assert 'eval "$(ops local env)"' in lines and "ops status --env local" in lines
    for line in lines:
        argv = shlex.split(line.removeprefix("eval ").strip('"').removeprefix("$(").rstrip(")"))
        if argv[0] != "ops":
            continue
        result = CliRunner().invoke(cli, [*argv[1:], "--help"])
        assert result.exit_code == 0, (line, result.output)
        assert result.output.startswith("Usage: cli " + " ".join(argv[1:3]).split(" --")[0])
