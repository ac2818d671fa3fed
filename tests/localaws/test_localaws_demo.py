"""The demo driver stops at the first failed step, exits 1, and stops the server either way."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from localaws import demo, runner
from ops.cli import cli


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


def test_the_plan_covers_the_lifecycle() -> None:
    titles = [step.title for step in demo.steps()]
    assert titles[0].startswith("synthesize and validate every environment")
    for expected in ("start the local AWS", "ops status", "ops secrets check", "ops preflight"):
        assert any(title.startswith(expected) for title in titles), expected
    assert titles.index("ops scale --to 0 --yes") < titles.index("ops scale --to restore --yes")
    assert titles[-1].startswith("ops alarms test")


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
