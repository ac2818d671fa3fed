"""The design notes live in the repository: every citation of them names a section they have,
and nothing cites a design document outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "docs" / "design.md"
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".sh", ".txt", ".json", ""}
_QUOTED = re.compile(r'docs/design\.md`?[\s,(]+(?:section\s+)?"([^"]+)"')
_BARE = re.compile(r"docs/design\.md`?\s*\(section ([A-Z][\w-]*)\)")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    paths = [ROOT / name for name in names]
    skip = {DESIGN, Path(__file__).resolve()}  # the notes themselves; this file's examples
    return [p for p in paths if p.is_file() and p.suffix in TEXT_SUFFIXES and p not in skip]


def flattened(text: str) -> str:
    """Line breaks (and a comment's leading `#`) as single spaces, so wrapped citations match."""
    return re.sub(r"\s*\n\s*(?:#\s*)?", " ", text)


def cited_sections(text: str) -> list[str]:
    flat = flattened(text)
    return [*_QUOTED.findall(flat), *_BARE.findall(flat)]


def headings() -> list[str]:
    return [
        line.lstrip("#").strip()
        for line in DESIGN.read_text().splitlines()
        if line.startswith("## ") or line.startswith("### ")
    ]


def test_every_cited_section_exists() -> None:
    known = headings()
    missing = []
    for path in tracked_text_files():
        for title in cited_sections(path.read_text(errors="replace")):
            if not any(heading.startswith(title) for heading in known):
                missing.append(f"{path.relative_to(ROOT)}: {title!r}")
    assert missing == []


def test_no_design_document_outside_the_repository_is_cited() -> None:
    outside = "DESIGN" + ".md"  # spelled apart so this file does not cite it
    citing = [
        str(path.relative_to(ROOT))
        for path in tracked_text_files()
        if outside in path.read_text(errors="replace")
    ]
    assert citing == []


def test_the_citation_finder_reads_wrapped_and_bare_forms() -> None:
    wrapped = '(docs/design.md, "Scheduled\n# scaling")'
    assert cited_sections(wrapped) == ["Scheduled scaling"]
    assert cited_sections("`docs/design.md` (section Hardening).") == ["Hardening"]
    assert cited_sections('docs/design.md ("The edge")') == ["The edge"]
