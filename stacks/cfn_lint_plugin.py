"""cfn-lint as a CDK validation plugin: every synthesized template must lint with 0 findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
)

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
    """cfn-lint errors and warnings of the templates (informational findings are left out)."""
    from cfnlint.api import ManualArgs, lint_file  # a slow import: only when validating

    config = ManualArgs(regions=list(regions))
    findings = []
    for path in paths:
        for match in lint_file(Path(path), config=config):
            if match.rule.severity not in FAILING:
                continue
            parts = list(getattr(match, "path", ()) or ())
            logical_id = str(parts[1]) if len(parts) > 1 and parts[0] == "Resources" else "-"
            findings.append(
                Finding(
                    template=str(path),
                    rule_id=match.rule.id,
                    severity=match.rule.severity,
                    message=match.message,
                    line=match.linenumber,
                    logical_id=logical_id,
                )
            )
    return findings


@jsii.implements(IPolicyValidationPlugin)
class CfnLintPlugin:
    """Fails synthesis on any cfn-lint error or warning."""

    def __init__(self, *, regions: Iterable[str]) -> None:
        self._regions = tuple(regions)

    @property
    def name(self) -> str:
        return "cfn-lint"

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    @property
    def version(self) -> str | None:
        return None

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        findings = lint_templates(context.template_paths, regions=self._regions)
        violations = [
            PolicyViolation(
                rule_name=finding.rule_id,
                description=finding.message,
                severity=finding.severity,
                violating_resources=[
                    PolicyViolatingResource(
                        resource_logical_id=finding.logical_id,
                        template_path=finding.template,
                        locations=[f"line {finding.line}"],
                    )
                ],
            )
            for finding in findings
        ]
        return PolicyValidationPluginReport(success=not violations, violations=violations)
