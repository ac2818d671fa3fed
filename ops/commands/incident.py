"""`ops incident --env ENV [--report FILE]`."""

from __future__ import annotations

from pathlib import Path

import click

from ops.console import emit, progress
from ops.context import OpsContext
from ops.options import reading_options


@click.command()
@reading_options
@click.option(
    "--report",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write a Markdown incident report (timeline, evidence, links) to this file.",
)
@click.pass_obj
def incident(obj: OpsContext, env: str, as_json: bool, report: Path | None) -> None:
    """Alarms in ALARM, most severe first, with their runbooks and read-only diagnostics."""
    from ops.incident import gather as logic
    from ops.incident import render as incident_report

    found = logic.investigate(obj.aws(env), obj.outputs(env), env)
    emit(found, as_json=as_json, text=incident_report.text)
    if report is not None:
        report.write_text(incident_report.markdown(found), encoding="utf-8")
        progress(f"Incident report written to {report}")
