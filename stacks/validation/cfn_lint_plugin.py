"""cfn-lint as a CDK validation plugin: every synthesized template must lint with 0 findings.

cfn-lint runs in a worker process started with the app: it loads while the constructs are built
and lints while the CDK's own checks run in node, so on two cores it adds little wall time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
)

from stacks.validation.cfn_lint_check import Finding

ROOT = Path(__file__).resolve().parents[2]


class LintRun:
    """One cfn-lint run over the synthesized templates, in a worker process."""

    def __init__(self, regions: Iterable[str]) -> None:
        self.regions = tuple(regions)
        self.templates: tuple[str, ...] = ()
        self.findings: list[Finding] = []
        self._worker = subprocess.Popen(
            [sys.executable, "-m", "stacks.validation.cfn_lint_check"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._sent = False

    def start(self, paths: Iterable[str]) -> None:
        """Send the templates to the worker, which lints them while the caller goes on."""
        self.templates = tuple(str(Path(path).resolve()) for path in paths)
        request = {"templates": list(self.templates), "regions": list(self.regions)}
        assert self._worker.stdin is not None
        self._worker.stdin.write(json.dumps(request) + "\n")
        self._worker.stdin.flush()
        self._sent = True

    def result(self, paths: Iterable[str]) -> list[Finding]:
        """The findings (waits for the worker; sends the templates first if nothing did)."""
        if not self._sent:
            self.start(paths)
        out, err = self._worker.communicate()
        if self._worker.returncode != 0:
            raise RuntimeError(f"cfn-lint failed: {err.strip()}")
        self.findings = [Finding(**item) for item in json.loads(out)]
        return self.findings


class _Plugin:
    """The parts of IPolicyValidationPlugin both plugins share."""

    def __init__(self, run: LintRun) -> None:
        self.run = run

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    @property
    def version(self) -> str | None:
        return None


@jsii.implements(IPolicyValidationPlugin)
class _CfnLintStart(_Plugin):
    """Registered first: hands the templates to cfn-lint, which lints while later plugins run."""

    @property
    def name(self) -> str:
        return "cfn-lint (start)"

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        self.run.start(context.template_paths)
        return PolicyValidationPluginReport(success=True, violations=[])


@jsii.implements(IPolicyValidationPlugin)
class CfnLintPlugin(_Plugin):
    """Fails synthesis on any cfn-lint error or warning."""

    def __init__(self, *, regions: Iterable[str], run: LintRun | None = None) -> None:
        super().__init__(run or LintRun(regions))

    @property
    def name(self) -> str:
        return "cfn-lint"

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
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
            for finding in self.run.result(context.template_paths)
        ]
        return PolicyValidationPluginReport(success=not violations, violations=violations)


def overlapping_plugins(*, regions: Iterable[str]) -> tuple[_CfnLintStart, CfnLintPlugin]:
    """A pair to register around other plugins: cfn-lint runs concurrently with them."""
    run = LintRun(regions)
    return _CfnLintStart(run), CfnLintPlugin(regions=regions, run=run)
