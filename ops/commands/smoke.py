"""`ops smoke`."""

from __future__ import annotations

import click

from ops.console import emit, table
from ops.context import OpsContext
from ops.errors import OpsError
from ops.options import reading_options


@click.command()
@reading_options
@click.option("--timeout", default=10.0, show_default=True, help="Seconds per request.")
@click.option(
    "--base-url",
    help="Check through this URL instead of the stack output PublicUrl.",
)
@click.pass_obj
def smoke(obj: OpsContext, env: str, as_json: bool, timeout: float, base_url: str | None) -> None:
    """GET the backend and frontend health paths through the public URL (stack output PublicUrl).

    A parked environment answers 503 "paused" there: the check fails until `ops unpark`."""
    from ops import smoke as logic

    results = logic.run(obj.outputs(env), timeout=timeout, base=base_url)
    emit(
        results,
        as_json=as_json,
        text=lambda rs: table(
            [(r["service"], r["url"], r["status"] or r["error"], f"{r['ms']} ms") for r in rs],
            ("service", "url", "status", "time"),
        ),
    )
    problem = logic.failure(results)
    if problem is not None:
        raise OpsError(problem)
