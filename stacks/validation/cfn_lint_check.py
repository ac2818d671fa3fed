"""cfn-lint over synthesized templates, and a worker process that runs it beside the CDK.

No CDK import here: `python -m stacks.validation.cfn_lint_check` starts quickly, loads cfn-lint
while the app builds its constructs, then lints the templates it is sent (one JSON line on stdin)
and prints its findings as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FAILING = ("error", "warning")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One cfn-lint error or warning."""

    template: str
    rule_id: str
    severity: str
    message: str
    line: int
    logical_id: str

    def __str__(self) -> str:
        name = Path(self.template).name
        return f"{name}:{self.line} {self.rule_id} [{self.logical_id}] {self.message}"


def lint_templates(paths: Iterable[str | Path], *, regions: Iterable[str]) -> list[Finding]:
    """cfn-lint errors and warnings of the templates (informational findings are left out).

    One cfn-lint run for all templates: its rule set is loaded once.
    """
    from cfnlint.api import ManualArgs, lint_by_config  # a slow import: only when validating

    templates = [str(path) for path in paths]
    if not templates:
        return []
    findings = []
    for match in lint_by_config(ManualArgs(templates=templates, regions=list(regions))):
        if match.rule.severity not in FAILING:
            continue
        parts = list(getattr(match, "path", ()) or ())
        logical_id = str(parts[1]) if len(parts) > 1 and parts[0] == "Resources" else "-"
        findings.append(
            Finding(
                template=str(match.filename),
                rule_id=match.rule.id,
                severity=match.rule.severity,
                message=match.message,
                line=match.linenumber,
                logical_id=logical_id,
            )
        )
    return findings


def main() -> int:
    """Worker: import cfn-lint now, then lint what stdin asks for; no request, no work."""
    import cfnlint.api  # noqa: F401  (loaded before the request arrives)

    line = sys.stdin.readline()
    if not line.strip():
        return 0
    request = json.loads(line)
    findings = lint_templates(request["templates"], regions=request["regions"])
    json.dump([dataclasses.asdict(finding) for finding in findings], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
