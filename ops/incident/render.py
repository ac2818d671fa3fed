"""Render an `ops.incident.gather.Incident`: text for the terminal, Markdown for the report."""

from __future__ import annotations

from ops.incident.evidence import Evidence, stamp
from ops.incident.gather import FiringAlarm, Incident


def _runbook_ref(alarm: FiringAlarm) -> str:
    if alarm.runbook_error:
        return f"{alarm.spec.runbook} (MISSING: {alarm.runbook_error})"
    return alarm.runbook_url or alarm.spec.runbook


def _evidence_text(evidence: Evidence, indent: str) -> list[str]:
    lines = [f"{indent}{evidence.title}:"]
    if evidence.error:
        lines.append(f"{indent}  unavailable: {evidence.error}")
    lines.extend(f"{indent}  {line}" for line in evidence.lines)
    return lines


def _summary_line(incident: Incident) -> str:
    others = ", ".join(f"{len(ids)} {state}" for state, ids in sorted(incident.states.items()))
    return f"Alarms: {len(incident.firing)} in ALARM" + (f", {others}" if others else "")


def text(incident: Incident) -> str:
    """The terminal view: firing alarms most severe first, then the shared diagnostics."""
    when = stamp(incident.generated_at)
    head = f"Incident check for {incident.env} ({incident.region}) at {when}"
    lines = [head, _summary_line(incident)]
    if incident.missing:
        lines.append(f"Not deployed (no such alarm): {', '.join(incident.missing)}")
    if not incident.firing:
        lines.append(f"No alarm is firing in {incident.env}.")
        return "\n".join(lines)
    for number, alarm in enumerate(incident.firing, start=1):
        lines += [
            "",
            f"{number}. [{alarm.spec.severity.label.upper()}] {alarm.name}"
            f" since {stamp(alarm.since)}",
            f"   {alarm.spec.summary}",
            f"   reason: {alarm.reason}",
            f"   runbook: {_runbook_ref(alarm)}  (ops runbook show {alarm.spec.id})",
        ]
        lines += _evidence_text(alarm.metric, "   ")
        if alarm.diagnostics:
            lines.append(f"   diagnostics: {', '.join(alarm.diagnostics)} (below)")
    if incident.evidence:
        lines += ["", "Diagnostics (read-only):"]
        for evidence in incident.evidence.values():
            lines += _evidence_text(evidence, "  ")
    return "\n".join(lines)


def _md_evidence(evidence: Evidence, level: str) -> list[str]:
    out = [f"{level} {evidence.title}", ""]
    if evidence.error:
        out += [f"Unavailable: `{evidence.error}`", ""]
    if evidence.lines:
        out += ["```", *evidence.lines, "```", ""]
    return out


def markdown(incident: Incident) -> str:
    """The incident report: summary, timeline, evidence and links, to start the postmortem."""
    top = incident.firing[0].spec.severity.label if incident.firing else "none"
    out = [
        f"# Incident report: {incident.env}, {stamp(incident.generated_at)}",
        "",
        f"- Environment: `{incident.env}` ({incident.region})",
        f"- Highest alarm severity: {top}",
        f"- {_summary_line(incident)}",
        "- Severity level, roles and postmortem template: `runbooks/incident-response.md`",
        "",
        "## Firing alarms",
        "",
    ]
    if not incident.firing:
        out += [f"No alarm is firing in {incident.env}.", ""]
    else:
        out += ["| # | Severity | Alarm | Since | Runbook |", "|---|---|---|---|---|"]
        for n, alarm in enumerate(incident.firing, start=1):
            out.append(
                f"| {n} | {alarm.spec.severity.label} | [{alarm.name}]({alarm.console_url}) | "
                f"{stamp(alarm.since)} | {_runbook_ref(alarm)} |"
            )
        out.append("")
    out += ["## Timeline (UTC)", ""]
    events = incident.timeline()
    out += [f"- {stamp(e.time)} [{e.source}] {e.message}" for e in events] or ["- (no events)"]
    out += ["", "## Evidence", ""]
    for alarm in incident.firing:
        out += [f"### {alarm.name}", "", alarm.spec.summary, "", f"Reason: {alarm.reason}", ""]
        out += _md_evidence(alarm.metric, "####")
    for evidence in incident.evidence.values():
        out += _md_evidence(evidence, "###")
    out += ["## Links", ""]
    out += [f"- Alarm {a.name}: {a.console_url}" for a in incident.firing]
    out += [f"- Runbook {a.spec.id}: {_runbook_ref(a)}" for a in incident.firing]
    if incident.dashboard_url:
        out.append(f"- Dashboard: {incident.dashboard_url}")
    out += [
        "",
        "## Actions taken",
        "",
        "- (time UTC, who, what; filled in by the scribe)",
        "",
    ]
    return "\n".join(out)
