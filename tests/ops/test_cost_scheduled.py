"""`ops cost --state scheduled`: running for the schedule's hours up, parked (`schedule.park`) or
scaled to zero the rest."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from cdk_app.config import load
from ops.cli import cli
from ops.cost import environment
from ops.cost.environment import Synth, estimate_states
from ops.cost.estimate import PARKED, RUNNING, SCALED_TO_ZERO, SCHEDULED, Estimate, Line, blend


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
def synth(cdk_synth: Synth) -> Synth:
    """`ops cost`'s synthesis, once per env and mode for the run (tests/ops/conftest.py)."""
    return cdk_synth


@pytest.fixture(scope="module")
def staging(synth: Synth) -> dict[str, Estimate]:
    """Staging priced from its real synthesized templates."""
    states = [SCHEDULED, RUNNING, SCALED_TO_ZERO, PARKED]
    return {est.state: est for est in estimate_states("staging", states, synth=synth)}


@pytest.mark.synth
def test_staging_scheduled_blends_running_and_parked(
    staging: dict[str, Estimate],
) -> None:
    config = load("staging")
    assert config.schedule is not None and config.schedule.park
    share = config.schedule.weekly().hours_up_per_week() / 168
    running, resting = staging[RUNNING].total_usd, staging[PARKED].total_usd
    expected = share * running + (1 - share) * resting
    assert staging[SCHEDULED].total_usd == pytest.approx(expected, abs=0.2)
    assert resting < staging[SCHEDULED].total_usd < running
    notes = " ".join(staging[SCHEDULED].notes)
    assert "50 h of 168 h" in notes and "Australia/Sydney" in notes and "parked the rest" in notes


@pytest.mark.synth
def test_staging_on_its_schedule_costs_at_most_45_percent_of_always_on(
    staging: dict[str, Estimate],
) -> None:
    # Scaling to zero alone cannot get there: NAT, the load balancer and Redis bill all week.
    assert staging[SCALED_TO_ZERO].total_usd > 0.45 * staging[RUNNING].total_usd
    assert staging[SCHEDULED].total_usd <= 0.45 * staging[RUNNING].total_usd


@pytest.mark.synth
def test_a_schedule_without_park_rests_at_the_scaled_to_zero_rate(
    monkeypatch: pytest.MonkeyPatch, synth: Synth, staging: dict[str, Estimate]
) -> None:
    config = load("staging")
    assert config.schedule is not None
    unparked = replace(config, schedule=replace(config.schedule, park=False))
    monkeypatch.setattr(environment, "_config", lambda env: unparked)
    (est,) = estimate_states("staging", [SCHEDULED], synth=synth)
    share = config.schedule.weekly().hours_up_per_week() / 168
    running, resting = staging[RUNNING].total_usd, staging[SCALED_TO_ZERO].total_usd
    assert est.total_usd == pytest.approx(share * running + (1 - share) * resting, abs=0.2)
    assert "scaled-to-zero the rest" in " ".join(est.notes)


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
