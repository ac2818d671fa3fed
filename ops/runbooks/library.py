"""Runbooks: load `runbooks/*.md`, check their YAML front matter, list them and find one.

Alarm runbooks are named after a catalog alarm (`runbooks/<alarm-id>.md`) and carry `alarm`,
`severity` (the catalog's label) and `diagnostics` (what `ops incident` runs); every runbook carries
`title`, `owner` and `last_reviewed`. Rendering for a terminal lives in `ops.runbooks.render`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ops.incident.diagnostics import DIAGNOSTICS
from stacks.contract.alarm_catalog import ALARM_IDS

# `runbooks/` of the repository: a symbolic link in a checkout, a copy (package data) in a wheel.
RUNBOOK_DIR = (Path(__file__).parent / "runbooks").resolve()
INDEX = "README.md"
ALARM = "alarm"
PROCEDURE = "procedure"
COMMON_KEYS = ("title", "owner", "last_reviewed")
ALARM_KEYS = ("alarm", "severity", "diagnostics")
_DELIMITER = "---"


class RunbookError(ValueError):
    """A runbook is missing, or its front matter is malformed; the message names the file."""


@dataclass(frozen=True, kw_only=True)
class Runbook:
    """One runbook: its id (the file name without `.md`), front matter and Markdown body."""

    id: str
    path: Path
    title: str
    owner: str
    last_reviewed: str
    body: str
    alarm: str | None = None
    severity: str | None = None
    diagnostics: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return ALARM if self.alarm else PROCEDURE

    def front_matter(self) -> dict[str, Any]:
        """The front matter as data (what `ops runbook ... --json` prints)."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "owner": self.owner,
            "last_reviewed": self.last_reviewed,
            "path": f"{RUNBOOK_DIR.name}/{self.path.name}",
        }
        if self.alarm:
            data.update(
                alarm=self.alarm, severity=self.severity, diagnostics=list(self.diagnostics)
            )
        return data


def split_front_matter(text: str, *, source: str) -> tuple[dict[str, Any], str]:
    """The parsed YAML between the leading `---` lines, and the Markdown after them."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _DELIMITER:
        raise RunbookError(f"{source}: no front matter (the file must start with '---')")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == _DELIMITER:
            try:
                data = yaml.safe_load("".join(lines[1:index])) or {}
            except yaml.YAMLError as error:
                raise RunbookError(f"{source}: invalid YAML front matter: {error}") from None
            if not isinstance(data, dict):
                raise RunbookError(f"{source}: front matter must be a mapping")
            return data, "".join(lines[index + 1 :]).lstrip("\n")
    raise RunbookError(f"{source}: front matter is not closed by '---'")


def _text(data: dict[str, Any], key: str, source: str) -> str:
    value = data.get(key)
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        raise RunbookError(f"{source}: front matter key {key!r} must be a non-empty string")
    return value


def parse(path: Path) -> Runbook:
    """Read and check one runbook file."""
    source = f"{RUNBOOK_DIR.name}/{path.name}"
    data, body = split_front_matter(path.read_text(encoding="utf-8"), source=source)
    allowed = {*COMMON_KEYS, *ALARM_KEYS}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RunbookError(f"{source}: unknown front matter key(s) {', '.join(unknown)}")
    fields: dict[str, Any] = {key: _text(data, key, source) for key in COMMON_KEYS}
    try:
        dt.date.fromisoformat(fields["last_reviewed"])
    except ValueError:
        raise RunbookError(f"{source}: last_reviewed must be a date (YYYY-MM-DD)") from None
    if "alarm" in data or path.stem in ALARM_IDS:
        fields.update(_alarm_fields(data, path.stem, source))
    return Runbook(id=path.stem, path=path, body=body, **fields)


def _alarm_fields(data: dict[str, Any], stem: str, source: str) -> dict[str, Any]:
    """`alarm`, `severity` and `diagnostics` of an alarm runbook, checked against the catalog."""
    from stacks.contract.alarm_catalog import by_id

    alarm = _text(data, "alarm", source)
    if alarm != stem:
        raise RunbookError(f"{source}: alarm {alarm!r} must equal the file name {stem!r}")
    if alarm not in ALARM_IDS:
        raise RunbookError(
            f"{source}: {alarm!r} is not an alarm of stacks/contract/alarm_catalog.py"
        )
    severity = _text(data, "severity", source)
    expected = by_id(alarm).severity.label
    if severity != expected:
        raise RunbookError(f"{source}: severity {severity!r} but the catalog says {expected!r}")
    diagnostics = data.get("diagnostics")
    if not isinstance(diagnostics, list) or not all(isinstance(d, str) for d in diagnostics):
        raise RunbookError(f"{source}: diagnostics must be a list of names")
    unknown = sorted(set(diagnostics) - set(DIAGNOSTICS))
    if unknown:
        raise RunbookError(
            f"{source}: unknown diagnostics {', '.join(unknown)}; known: {', '.join(DIAGNOSTICS)}"
        )
    return {"alarm": alarm, "severity": severity, "diagnostics": tuple(diagnostics)}


def runbook_paths(directory: Path = RUNBOOK_DIR) -> list[Path]:
    """Every runbook file (the index excluded), sorted by name."""
    return sorted(p for p in directory.glob("*.md") if p.name != INDEX)


def load_all(directory: Path = RUNBOOK_DIR) -> list[Runbook]:
    """Every runbook, alarm runbooks first (most severe first), then procedures by id."""
    from stacks.contract.alarm_catalog import by_id

    runbooks = [parse(path) for path in runbook_paths(directory)]

    def order(runbook: Runbook) -> tuple[int, int, str]:
        if runbook.alarm:
            return (0, int(by_id(runbook.alarm).severity), runbook.id)
        return (1, 0, runbook.id)

    return sorted(runbooks, key=order)


def get(runbook_id: str, directory: Path = RUNBOOK_DIR) -> Runbook:
    """One runbook by id (file name without `.md`); a clear error lists the known ids."""
    name = runbook_id.removesuffix(".md").removeprefix(f"{RUNBOOK_DIR.name}/")
    path = directory / f"{name}.md"
    if name == INDEX.removesuffix(".md") or not path.is_file():
        known = ", ".join(p.stem for p in runbook_paths(directory))
        raise RunbookError(f"no runbook {runbook_id!r}; known: {known}")
    return parse(path)
