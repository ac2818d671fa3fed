"""`ops migrate`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ops.confirm import confirm
from ops.console import emit
from ops.context import OpsContext
from ops.errors import OpsError
from ops.options import mutating_options

if TYPE_CHECKING:
    from ops.one_off import TaskRun


@click.command()
@mutating_options
@click.pass_obj
def migrate(obj: OpsContext, env: str, as_json: bool, dry_run: bool, yes: bool, wait: bool) -> None:
    """Run the backend's database migrations as a one-off Fargate task."""
    from ops import migrate as logic

    if not dry_run:
        confirm(env=env, action="run the database migrations", yes=yes)
    result = logic.run(obj.aws(env), obj.outputs(env), dry_run=dry_run, wait=wait)

    def text(r: TaskRun) -> str:
        lines = [
            f"task definition: {r['task_definition']}",
            f"command: {' '.join(r['command'])}",
            f"task: {r.get('task', '(dry run: not started)')}",
        ]
        if "exit_code" in r:
            lines.append(f"exit code: {r['exit_code']} {r['stopped_reason']}".rstrip())
            lines += ["log tail:", *(f"  {line}" for line in r["log_tail"])]
        return "\n".join(lines)

    emit(result, as_json=as_json, text=text)
    if "exit_code" in result and result["exit_code"] != 0:
        raise OpsError(f"migration task failed with exit code {result['exit_code']}")
