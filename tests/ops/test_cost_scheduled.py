"""`ops cost --state scheduled`: running for the schedule's hours up, scaled to zero the rest."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cdk_app.config import load
from ops.cli import cli
from ops.cost.environment import estimate_states
from ops.cost.estimate import RUNNING, SCALED_TO_ZERO, SCHEDULED, Estimate, Line, blend


def _line(resource: str, quantity: float, unit_usd: float) -> Line:
    return Line(
        resource=resource,
        quantity=quantity,
        unit="hours",
        unit_usd=unit_usd,
        price=resource.lower(),
        monthly_usd=round(quantity * unit_usd, 2),
    )


def test_blend_weights_each_line_by_its_state_share() -> None:
    running = Estimate(
        state=RUNNING, region="r", lines=[_line("NAT", 730, 0.1), _line("RDS", 730, 0.2)]
    )
    resting = Estimate(state=SCALED_TO_ZERO, region="r", lines=[_line("NAT", 730, 0.1)])
    est = blend(running, resting, up_fraction=0.25, state=SCHEDULED)
    lines = {line.resource: line for line in est.lines}
    assert lines["NAT"].quantity == pytest.approx(730)  # billed in both states: all month
    assert lines["RDS"].quantity == pytest.approx(730 * 0.25)
    assert est.total_usd == pytest.approx(73 + 730 * 0.25 * 0.2, abs=0.01)
    assert est.state == SCHEDULED and est.region == "r"


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_blend_rejects_a_share_outside_0_1(fraction: float) -> None:
    empty = Estimate(state=RUNNING, region="r")
    with pytest.raises(ValueError, match="within 0..1"):
        blend(empty, empty, up_fraction=fraction, state=SCHEDULED)


@pytest.fixture(scope="module")
def staging() -> dict[str, Estimate]:
    """Staging priced from its real synthesized templates (one synth for the module)."""
    return {
        est.state: est for est in estimate_states("staging", [SCHEDULED, RUNNING, SCALED_TO_ZERO])
    }


@pytest.mark.synth
def test_staging_scheduled_sits_between_running_and_scaled_to_zero(
    staging: dict[str, Estimate],
) -> None:
    config = load("staging")
    assert config.schedule is not None
    share = config.schedule.weekly().hours_up_per_week() / 168
    running, resting = staging[RUNNING].total_usd, staging[SCALED_TO_ZERO].total_usd
    expected = share * running + (1 - share) * resting
    assert staging[SCHEDULED].total_usd == pytest.approx(expected, abs=0.2)
    assert resting < staging[SCHEDULED].total_usd < running
    notes = " ".join(staging[SCHEDULED].notes)
    assert "50 h of 168 h" in notes and "Australia/Sydney" in notes


@pytest.mark.synth
def test_cli_scheduled_json_and_an_env_without_schedule() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["cost", "--env", "production", "--state", "scheduled"])
    assert result.exit_code == 1
    assert "production has no schedule" in result.output
    result = runner.invoke(cli, ["cost", "--env", "staging", "--state", "scheduled", "--json"])
    assert result.exit_code == 0, result.output
    (est,) = json.loads(result.stdout)["estimates"]
    assert est["state"] == SCHEDULED
    assert est["total_usd"] == pytest.approx(sum(line["monthly_usd"] for line in est["lines"]))
