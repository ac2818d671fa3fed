"""`ops preflight`."""

from __future__ import annotations

import click

from ops.console import emit
from ops.context import OpsContext
from ops.errors import OpsError
from ops.options import reading_options


@click.command()
@reading_options
@click.pass_obj
def preflight(obj: OpsContext, env: str, as_json: bool) -> None:
    """Read-only checks before `cdk deploy`: PASS/WARN/FAIL per line, exit 1 on any FAIL.

    Credentials and account/region, the CDK bootstrap stack, secret values, the certificate,
    a confirmed alarm subscription, Elastic IP and Fargate quotas, the database not stopped.
    """
    from cdk_app.config import load
    from ops import preflight as logic

    results = logic.run(obj.aws(env), load(env))
    emit(logic.to_rows(results), as_json=as_json, text=lambda _: logic.text(results))
    failed = logic.failed(results)
    if failed:
        raise OpsError(f"preflight failed: {', '.join(failed)}")
