"""The runbooks agree with the alarm catalog; every alarm runbook has the sections on-call needs."""

from __future__ import annotations

import re

import pytest

from ops.incident.diagnostics import ALARM_METRIC, DIAGNOSTICS
from ops.runbooks.library import INDEX, RUNBOOK_DIR, load_all, runbook_paths
from stacks.contract.alarm_catalog import ALARM_IDS, ALARMS, by_id

RUNBOOKS = load_all()
ALARM_RUNBOOKS = [rb for rb in RUNBOOKS if rb.alarm]
PROCEDURES = {
    "first-deploy",
    "deploy-and-rollback",
    "backup-and-restore",
    "scale-to-zero-and-resume",
    "rotate-credentials",
    "incident-response",
}
SECTIONS = (
    "What it means and user impact",
    "Is it real?",
    "Mitigation",
    "Rollback",
    "Verification",
    "Escalation",
    "Follow-up",
)


def _sections(body: str) -> dict[str, str]:
    parts = re.split(r"^## +(.+)$", body, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_catalog_alarm_has_a_runbook() -> None:
    for alarm in ALARMS:
        assert (RUNBOOK_DIR.parent / alarm.runbook).is_file(), f"missing {alarm.runbook}"
    assert sorted(rb.alarm for rb in ALARM_RUNBOOKS) == sorted(ALARM_IDS)


def test_every_alarm_runbook_names_a_catalog_alarm_with_its_severity() -> None:
    assert ALARM_RUNBOOKS, "no alarm runbook loaded"
    for rb in ALARM_RUNBOOKS:
        assert rb.alarm == rb.id
        assert rb.severity == by_id(rb.alarm).severity.label, rb.id
        assert rb.owner and rb.last_reviewed


def test_other_runbooks_are_the_procedures() -> None:
    assert {rb.id for rb in RUNBOOKS if not rb.alarm} == PROCEDURES


@pytest.mark.parametrize("rb", ALARM_RUNBOOKS, ids=lambda rb: rb.id)
def test_alarm_runbook_sections(rb) -> None:
    sections = _sections(rb.body)
    assert [s for s in sections if s in SECTIONS] == list(SECTIONS), rb.id
    real = sections["Is it real?"]
    assert "```" in real and re.search(r"^ops (incident|status)\b", real, re.M), rb.id
    assert "Healthy" in real, f"{rb.id}: say what healthy output looks like"
    assert "Stop condition:" in sections["Mitigation"], rb.id
    assert re.search(r"\b\d+ (minutes|hours?)\b", sections["Escalation"]), rb.id
    assert rb.id in rb.body.splitlines()[0], f"{rb.id}: the title names the alarm"


@pytest.mark.parametrize("rb", ALARM_RUNBOOKS, ids=lambda rb: rb.id)
def test_alarm_runbook_diagnostics(rb) -> None:
    assert rb.diagnostics[0] == ALARM_METRIC
    assert set(rb.diagnostics) <= set(DIAGNOSTICS)
    assert len(set(rb.diagnostics)) == len(rb.diagnostics)


def test_index_links_every_runbook_and_nothing_else() -> None:
    index = (RUNBOOK_DIR / INDEX).read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([^)#]+\.md)\)", index))
    assert linked == {path.name for path in runbook_paths()}


def test_relative_links_between_runbooks_resolve() -> None:
    for path in [*runbook_paths(), RUNBOOK_DIR / INDEX]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", path.read_text(encoding="utf-8")):
            assert (RUNBOOK_DIR / target).is_file(), f"{path.name} links to missing {target}"


def test_procedure_contents() -> None:
    bodies = {rb.id: rb.body for rb in RUNBOOKS}
    first = _sections(bodies["first-deploy"])["Steps"]
    # API keys are set and checked before the Service stack is deployed.
    assert first.index("ops secrets set") < first.index("ops secrets check")
    assert first.index("ops secrets check") < first.index('"OhMyCoins-$ENV-Service"')
    assert "AWSCURRENT" in bodies["first-deploy"]
    assert "restore-db-instance-to-point-in-time" in bodies["backup-and-restore"]
    assert "--to restore" in bodies["scale-to-zero-and-resume"]
    rollback = bodies["deploy-and-rollback"]
    assert "--task-definition" in rollback and "continue-update-rollback" in rollback
    playbook = bodies["incident-response"]
    for label in ("critical", "high", "medium"):
        assert f"`{label}`" in playbook
    for part in ("Incident commander", "Communication", "# Postmortem", "Action items"):
        assert part in playbook


def test_readme_alarm_table_is_the_catalog() -> None:
    from stacks.contract import names

    readme = (RUNBOOK_DIR.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("| alarm | severity | fires when |", 1)[1].split("\n\n", 1)[0]
    listed: dict[str, str] = {}
    for row in re.findall(r"^\| `([^`]+)` \| (\w+) \|", table, flags=re.MULTILINE):
        pattern, severity = row
        for service in names.SERVICES if "<service>" in pattern else ("",):
            for collector in names.COLLECTORS if "<name>" in pattern else ("",):
                alarm_id = pattern.replace("<service>", service).replace("<name>", collector)
                listed[alarm_id] = severity
    assert sorted(listed) == sorted(ALARM_IDS)
    for alarm_id, severity in listed.items():
        assert severity == by_id(alarm_id).severity.label, alarm_id


def test_a_comparison_breaches_on_its_side_of_the_threshold() -> None:
    from stacks.contract.alarm_catalog import Comparison

    assert Comparison.GREATER_OR_EQUAL.breached(3, 3) and not Comparison.GREATER_OR_EQUAL.breached(
        2, 3
    )
    assert Comparison.LESS_OR_EQUAL.breached(3, 3) and not Comparison.LESS_OR_EQUAL.breached(4, 3)
    assert [c.sign for c in Comparison] == [">=", "<="]
