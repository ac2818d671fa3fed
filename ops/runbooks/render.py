"""Render a runbook for a terminal, with its alarm's firing condition from the catalog."""

from __future__ import annotations

import re

import click

from ops.runbooks.library import Runbook
from stacks.contract import names
from stacks.contract.alarm_catalog import AlarmSpec, by_id

_INLINE_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_GIB = 1024**3


def _threshold(spec: AlarmSpec) -> str:
    if spec.unit == "bytes":
        return f"{spec.threshold / _GIB:g} GiB"
    return f"{spec.threshold:g} {spec.unit}".strip()


def condition(spec: AlarmSpec) -> str:
    """When the alarm fires, in words, from its catalog entry (default threshold)."""
    metrics = ", ".join(f"{m.name} ({m.statistic})" for m in spec.metrics)
    what = f"{spec.expression} of {metrics}" if spec.expression else metrics
    sign = spec.comparison.sign
    minutes = spec.period_seconds / 60
    return (
        f"{what} {sign} {_threshold(spec)} in {spec.datapoints_to_alarm} of "
        f"{spec.evaluation_periods} periods of {minutes:g} min"
    )


def _link(match: re.Match[str]) -> str:
    label, target = match.group(1), match.group(2)
    if target.endswith(".md") and "/" not in target:
        return f"{label} (ops runbook show {target.removesuffix('.md')})"
    return f"{label} <{target}>"


def _inline(line: str, color: bool) -> str:
    line = _LINK.sub(_link, line)
    line = _BOLD.sub(lambda m: click.style(m.group(1), bold=True) if color else m.group(1), line)
    return _INLINE_CODE.sub(
        lambda m: click.style(m.group(1), fg="cyan") if color else m.group(1), line
    )


def header(runbook: Runbook) -> list[str]:
    """Id, kind, owner and review date; for alarm runbooks the severity and firing condition."""
    lines = [
        f"{runbook.id} ({runbook.kind}), owner {runbook.owner}, reviewed {runbook.last_reviewed}"
    ]
    if runbook.alarm:
        spec = by_id(runbook.alarm)
        lines += [
            f"Alarm: {names.alarm_name('<env>', spec.id)}, severity {spec.severity.label}",
            f"Fires when: {condition(spec)} (per-env overrides: alarm_thresholds)",
            f"Diagnostics run by `ops incident`: {', '.join(runbook.diagnostics)}",
        ]
    return lines


def render(runbook: Runbook, *, color: bool = False) -> str:
    """The runbook as terminal text: styled headings, indented code blocks, readable links."""
    out = [_inline(line, color) for line in header(runbook)] + [""]
    in_code = False
    for line in runbook.body.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            code = f"    {line}"
            out.append(click.style(code, fg="yellow") if color else code)
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", line)
        if heading:
            title = _inline(heading.group(2), False)
            if len(heading.group(1)) == 1:
                out += [click.style(title, bold=True) if color else title, "=" * len(title)]
            else:
                out.append(click.style(title, bold=True, underline=True) if color else title)
            continue
        out.append(_inline(line, color))
    return "\n".join(out).rstrip() + "\n"
