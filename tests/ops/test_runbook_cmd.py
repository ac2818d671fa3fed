"""`ops runbook list | show ID`: every runbook listed, rendered for a terminal, front matter."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ops.cli import cli
from ops.runbooks.library import runbook_paths
from stacks.contract.alarm_catalog import ALARM_IDS, by_id


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["runbook", *args])


def test_list_json_has_every_runbook_alarms_most_severe_first() -> None:
    result = _invoke("list", "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert sorted(i["id"] for i in items) == sorted(p.stem for p in runbook_paths())
    alarms = [i for i in items if i["kind"] == "alarm"]
    assert sorted(i["id"] for i in alarms) == sorted(ALARM_IDS)
    ranks = [int(by_id(i["id"]).severity) for i in alarms]
    assert ranks == sorted(ranks)
    assert items[: len(alarms)] == alarms, "alarm runbooks come before procedures"
    for item in alarms:
        assert item["severity"] == by_id(item["id"]).severity.label
        assert item["path"] == by_id(item["id"]).runbook


def test_list_text_is_a_table() -> None:
    result = _invoke("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "kind", "severity", "title"]
    assert len(lines) == 1 + len(runbook_paths())
    assert any(line.split()[:3] == ["first-deploy", "procedure", "-"] for line in lines)


def test_show_renders_for_a_terminal_with_the_catalog_condition() -> None:
    result = _invoke("show", "rds-connections-high")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("rds-connections-high (alarm), owner ")
    assert "Fires when: DatabaseConnections (Maximum) >= 160 connections in 2 of 2 periods" in out
    assert "rds-connections-high: PostgreSQL connections near max_connections\n=====" in out
    assert "\nIs it real?\n" in out and "## " not in out and "```" not in out
    assert '\n    ops status --env "$ENV"\n' in out  # code blocks indented
    assert "\x1b[" not in out  # no colour when not a terminal


def test_show_free_storage_threshold_in_gib() -> None:
    result = _invoke("show", "rds-free-storage-low")
    assert "FreeStorageSpace (Minimum) <= 2 GiB in 2 of 2 periods of 5 min" in result.output


def test_show_links_become_ops_commands() -> None:
    result = _invoke("show", "alb-5xx")
    assert "(ops runbook show deploy-and-rollback)" in result.output
    assert "](deploy-and-rollback.md)" not in result.output


def test_show_json_gives_front_matter() -> None:
    result = _invoke("show", "first-deploy", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["id"] == "first-deploy" and data["kind"] == "procedure"
    assert set(data) == {"id", "kind", "title", "owner", "last_reviewed", "path"}
    alarm = json.loads(_invoke("show", "redis-evictions", "--json").output)
    assert (alarm["alarm"], alarm["severity"]) == ("redis-evictions", "medium")
    assert alarm["diagnostics"][0] == "alarm-metric"


def test_show_unknown_id_exits_1_listing_the_known_ones() -> None:
    result = _invoke("show", "kafka-lag")
    assert result.exit_code == 1
    assert "no runbook 'kafka-lag'" in result.output and "alb-5xx" in result.output


def test_show_without_id_is_bad_usage() -> None:
    assert _invoke("show").exit_code == 2


def test_every_runbook_renders_without_markdown_syntax() -> None:
    from ops.runbooks.library import load_all
    from ops.runbooks.render import render

    for rb in load_all():
        out = render(rb)
        assert "```" not in out and "](" not in out and "\n## " not in out, rb.id
        assert ("Fires when: " in out) == (rb.alarm is not None), rb.id
        coloured = render(rb, color=True)
        assert "\x1b[" in coloured and coloured != out
