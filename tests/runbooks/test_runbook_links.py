"""The alarm descriptions the Monitoring stack writes lead `ops incident` to the right runbook."""

from __future__ import annotations

import pytest

from ops.incident.gather import runbook_url_from
from stacks.contract.alarm_catalog import ALARMS
from stacks.monitoring import alarm_description

BASE = "https://github.com/example/ohmycoins-infra/blob/main/runbooks/"


@pytest.mark.parametrize("spec", ALARMS, ids=lambda spec: spec.id)
def test_description_names_the_runbook_and_its_url(spec) -> None:
    described = alarm_description(spec, BASE)
    assert spec.runbook in described
    assert runbook_url_from(described, spec.id) == f"{BASE}{spec.id}.md"
    without_url = alarm_description(spec, None)
    assert spec.runbook in without_url
    assert runbook_url_from(without_url, spec.id) is None


def test_url_of_another_alarm_is_not_taken() -> None:
    text = "see https://wiki.example.com/runbooks/rds-cpu-high.md"
    assert runbook_url_from(text, "rds-connections-high") is None
