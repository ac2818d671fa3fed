"""`python -m cdk_app.summary` (what `make demo` runs): output and exit status."""

from __future__ import annotations

import pytest

from cdk_app.summary import EnvSummary, main, render


def test_a_failing_env_fails_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-env"]) == 1
    out = capsys.readouterr().out
    assert "no-such-env: FAILED" in out
    assert "unknown environment 'no-such-env'" in out
    assert "0/1 environments OK" in out


def test_render_lists_stacks_resources_alarms_and_lint() -> None:
    summary = EnvSummary(
        env="staging",
        seconds=1.5,
        resources={"OhMyCoins-staging-Network": 45, "OhMyCoins-staging-Data": 10},
        alarms=("ohmycoins-staging-alb-5xx", "ohmycoins-staging-rds-cpu-high"),
        linted=("a.json", "b.json"),
    )
    text = render(summary)
    assert text.splitlines()[0].startswith("staging: OK (1.5s")
    assert "OhMyCoins-staging-Network         45 resources" in text
    assert "2 alarms (alb 1, rds 1)" in text
    assert "cfn-lint: 2 templates, 0 findings" in text
