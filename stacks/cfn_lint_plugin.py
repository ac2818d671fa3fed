"""cfn-lint as a CDK validation plugin: every synthesized template must lint with 0 findings."""

from __future__ import annotations

import importlib
import threading
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


def preload() -> threading.Thread:
    """Import cfn-lint in the background while the constructs are built (it takes ~1-2 s)."""
    thread = threading.Thread(target=importlib.import_module, args=("cfnlint.api",), daemon=True)
    thread.start()
    return thread


class LintRun:
    """One cfn-lint run over the synthesized templates, in a thread of its own."""

    def __init__(self, regions: Iterable[str]) -> None:
        self.regions = tuple(regions)
        self.thread: threading.Thread | None = None
        self.templates: tuple[str, ...] = ()
        self.findings: list[Finding] = []
        self.error: BaseException | None = None

    def start(self, paths: Iterable[str]) -> None:
        templates = list(paths)
        self.templates = tuple(templates)

        def work() -> None:
            try:
                self.findings = lint_templates(templates, regions=self.regions)
            except BaseException as error:  # re-raised in result()
                self.error = error

        self.thread = threading.Thread(target=work, name="cfn-lint", daemon=True)
        self.thread.start()

    def result(self, paths: Iterable[str]) -> list[Finding]:
        """The findings (waits for the run; starts it first if nothing did)."""
        if self.thread is None:
            self.start(paths)
        assert self.thread is not None
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.findings


@jsii.implements(IPolicyValidationPlugin)
class _CfnLintStart:
    """Registered first: starts cfn-lint, which then runs while cdk-nag checks (in node)."""

    def __init__(self, run: LintRun) -> None:
        self._run = run

    @property
    def name(self) -> str:
        return "cfn-lint (start)"

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    @property
    def version(self) -> str | None:
        return None

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        self._run.start(context.template_paths)
        return PolicyValidationPluginReport(success=True, violations=[])


@jsii.implements(IPolicyValidationPlugin)
class CfnLintPlugin:
    """Fails synthesis on any cfn-lint error or warning."""

    def __init__(self, *, regions: Iterable[str], run: LintRun | None = None) -> None:
        self.run = run or LintRun(regions)

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
        findings = self.run.result(context.template_paths)
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


def overlapping_plugins(*, regions: Iterable[str]) -> tuple[_CfnLintStart, CfnLintPlugin]:
    """A pair to register around other plugins: cfn-lint runs concurrently with them."""
    run = LintRun(regions)
    return _CfnLintStart(run), CfnLintPlugin(regions=regions, run=run)
