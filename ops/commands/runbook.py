"""`ops runbook list | show ID`."""

from __future__ import annotations

import sys

import click

from ops.console import emit, table
from ops.options import json_option


@click.group()
def runbook() -> None:
    """The runbooks in runbooks/: one per alarm of the catalog, plus the procedures."""


@runbook.command("list")
@json_option
def runbook_list(as_json: bool) -> None:
    """Every runbook: alarm runbooks (most severe first), then procedures."""
    from ops.runbooks import library as logic

    items = [rb.front_matter() for rb in logic.load_all()]
    emit(
        items,
        as_json=as_json,
        text=lambda rows: table(
            [(r["id"], r["kind"], r.get("severity", "-"), r["title"]) for r in rows],
            ("id", "kind", "severity", "title"),
        ),
    )


@runbook.command("show")
@click.argument("runbook_id", metavar="ID")
@json_option
def runbook_show(runbook_id: str, as_json: bool) -> None:
    """Print runbook ID (an alarm id or a procedure name) for the terminal; --json: front matter."""
    from ops.errors import OpsError
    from ops.runbooks import library as logic
    from ops.runbooks.render import render

    try:
        found = logic.get(runbook_id)
    except logic.RunbookError as error:
        raise OpsError(str(error)) from error
    if as_json:
        emit(found.front_matter(), as_json=True)
    else:
        click.echo(render(found, color=sys.stdout.isatty()), nl=False)
