"""`ops status`."""

from __future__ import annotations

import click

from ops.console import emit
from ops.context import OpsContext
from ops.errors import OpsError
from ops.options import reading_options


@click.command()
@reading_options
@click.pass_obj
def status(obj: OpsContext, env: str, as_json: bool) -> None:
    """Services, autoscaling, database, cache, target health and alarms at a glance."""
    from ops import status as logic

    result = logic.collect(obj.aws(env), obj.outputs(env), env)
    emit(result, as_json=as_json, text=logic.text)
    failed = logic.failed_sections(result)
    if failed:
        raise OpsError(f"could not read: {', '.join(failed)}")
