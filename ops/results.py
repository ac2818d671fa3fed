"""Per-resource results of an operation, so a partial failure names what failed and what did not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ops.console import emit, table
from ops.errors import OpsError, describe_aws_error, is_aws_error


@dataclass
class Step:
    """What happened to one resource."""

    resource: str
    action: str
    ok: bool = True
    detail: str = ""


@dataclass
class Report:
    """The steps of one operation, in order."""

    operation: str
    env: str
    dry_run: bool = False
    steps: list[Step] = field(default_factory=list)

    def add(self, resource: str, action: str, *, ok: bool = True, detail: str = "") -> Step:
        step = Step(resource=resource, action=action, ok=ok, detail=detail)
        self.steps.append(step)
        return step

    def fail(self, resource: str, action: str, detail: str) -> Step:
        return self.add(resource, action, ok=False, detail=detail)

    def attempt(self, resource: str, action: str, work: Callable[[], str | None]) -> bool:
        """Run one step; record its detail, or its failure (OpsError or AWS error), and go on."""
        try:
            detail = work() or ""
        except OpsError as exc:
            self.fail(resource, action, exc.message)
            return False
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            self.fail(resource, action, describe_aws_error(exc))
            return False
        self.add(resource, action, detail=detail)
        return True

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    @property
    def failed(self) -> list[Step]:
        return [step for step in self.steps if not step.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "env": self.env,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "steps": [asdict(step) for step in self.steps],
        }

    def text(self) -> str:
        rows = [(s.resource, s.action, "ok" if s.ok else "FAILED", s.detail) for s in self.steps]
        note = " [dry run: nothing changed]" if self.dry_run else ""
        title = f"{self.operation} ({self.env}){note}"
        return f"{title}\n{table(rows, ('resource', 'action', 'result', 'detail'))}"


def finish(report: Report, *, as_json: bool) -> None:
    """Print the report; exit 1 naming the failed resources if any step failed."""
    emit(report, as_json=as_json, text=lambda r: r.text())
    if not report.ok:
        failed = ", ".join(f"{s.resource} ({s.action})" for s in report.failed)
        raise OpsError(f"{report.operation} failed for: {failed}")
