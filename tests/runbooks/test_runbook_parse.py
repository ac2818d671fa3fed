"""Front matter parsing: each malformed runbook is rejected with a message naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.runbooks.library import RunbookError, get, load_all, parse

GOOD_ALARM = """---
alarm: redis-evictions
title: Redis is evicting keys
severity: medium
owner: platform-oncall
last_reviewed: 2026-11-25
diagnostics: [alarm-metric, redis-state]
---

# redis-evictions
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_parses_an_alarm_runbook(tmp_path: Path) -> None:
    rb = parse(_write(tmp_path, "redis-evictions.md", GOOD_ALARM))
    assert (rb.id, rb.kind, rb.severity, rb.last_reviewed) == (
        "redis-evictions",
        "alarm",
        "medium",
        "2026-11-25",
    )
    assert rb.diagnostics == ("alarm-metric", "redis-state")
    assert rb.body.startswith("# redis-evictions")
    assert rb.front_matter()["path"] == "runbooks/redis-evictions.md"


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("redis-evictions.md", ("severity: medium", "severity: high"), "catalog says 'medium'"),
        ("redis-evictions.md", ("alarm: redis-evictions", "alarm: redis-eviction"), "file name"),
        ("redis-evictions.md", ("redis-state]", "redis-stats]"), "unknown diagnostics"),
        ("redis-evictions.md", ("owner: platform-oncall\n", ""), "'owner'"),
        ("redis-evictions.md", ("2026-11-25", "last week"), "last_reviewed"),
        ("redis-evictions.md", ("owner:", "team: x\nowner:"), "unknown front matter key"),
        ("redis-evictions.md", ("---\nalarm", "alarm"), "no front matter"),
        ("redis-evictions.md", ("---\n\n#", "\n#"), "not closed"),
        ("redis-evictions.md", ("[alarm-metric", "{alarm-metric"), "invalid YAML"),
        ("kafka-lag.md", ("alarm: redis-evictions", "alarm: kafka-lag"), "not an alarm"),
        ("redis-evictions.md", ("alarm: redis-evictions\n", ""), "'alarm'"),
    ],
)
def test_rejects_malformed_front_matter(
    tmp_path: Path, name: str, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in GOOD_ALARM
    path = _write(tmp_path, name, GOOD_ALARM.replace(old, new, 1))
    with pytest.raises(RunbookError) as error:
        parse(path)
    assert message in str(error.value) and name in str(error.value)


def test_get_by_id_and_unknown_ids(tmp_path: Path) -> None:
    _write(tmp_path, "redis-evictions.md", GOOD_ALARM)
    _write(tmp_path, "README.md", "# index\n")
    assert get("redis-evictions", tmp_path).id == "redis-evictions"
    assert get("runbooks/redis-evictions.md", tmp_path).id == "redis-evictions"
    for unknown in ("nope", "README"):
        with pytest.raises(RunbookError, match="known: redis-evictions"):
            get(unknown, tmp_path)
    assert [rb.id for rb in load_all(tmp_path)] == ["redis-evictions"]
