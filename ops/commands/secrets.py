"""`ops secrets check | set KEY | rotate KEY | rollback KEY`."""

from __future__ import annotations

import sys

import click

from ops.confirm import confirm
from ops.console import emit, table
from ops.context import OpsContext
from ops.errors import OpsError
from ops.options import dry_run_option, env_option, json_option, reading_options, yes_option
from ops.results import finish
from stacks.contract import names


@click.group()
def secrets() -> None:
    """The secrets the services inject (values are never printed)."""


@secrets.command("check")
@reading_options
@click.pass_obj
def secrets_check(obj: OpsContext, env: str, as_json: bool) -> None:
    """Every secret the task definitions use has AWSCURRENT, its keys, and no placeholder."""
    from ops import secrets as logic

    results = logic.check(obj.aws(env), obj.outputs(env))
    emit(
        results,
        as_json=as_json,
        text=lambda rs: table(
            [(r["secret"], "ok" if r["ok"] else "; ".join(r["problems"])) for r in rs],
            ("secret", "result"),
        ),
    )
    bad = [r["secret"] for r in results if not r["ok"]]
    if bad:
        raise OpsError(f"secret check failed for: {', '.join(bad)}")


def _read_value() -> str:
    stdin = sys.stdin
    if not stdin.isatty():
        return stdin.read().rstrip("\r\n")
    return str(click.prompt("Value", hide_input=True, confirmation_prompt=True))


@secrets.command("set")
@click.argument("key")
@env_option
@json_option
@dry_run_option
@yes_option
@click.pass_obj
def secrets_set(
    obj: OpsContext, key: str, env: str, as_json: bool, dry_run: bool, yes: bool
) -> None:
    """Set KEY of the app secret from stdin or a hidden prompt (never from the command line)."""
    from ops import secrets as logic

    value = _read_value()
    if not dry_run:
        confirm(env=env, action=f"replace secret key {key}", yes=yes)
    version = logic.set_key(obj.aws(env), obj.outputs(env), key, value, dry_run=dry_run)
    result = {"key": key, "version": version, "dry_run": dry_run}
    emit(result, as_json=as_json, text=lambda r: f"{key} set (version {version}); restart the "
         "services for running tasks to read it")  # fmt: skip


REDIS_AUTH = "REDIS_AUTH"  # `ops secrets rotate REDIS_AUTH`: the cache's AUTH token


@secrets.command("rotate")
@click.argument("key", type=click.Choice((*names.APP_SECRET_KEYS, REDIS_AUTH)))
@env_option
@json_option
@dry_run_option
@yes_option
@click.pass_obj
def secrets_rotate(
    obj: OpsContext, key: str, env: str, as_json: bool, dry_run: bool, yes: bool
) -> None:
    """Rotate KEY: new version, services redeployed and steady, a check, else rolled back.

    A provider's API key comes from stdin or a hidden prompt and is checked by a one-page run of
    its collector; SECRET_KEY (the JWT signing key) is generated, and the backend keeps accepting
    tokens signed with the previous key for one token lifetime. REDIS_AUTH generates a new cache
    AUTH token: ROTATE (both work), new secret version, redeploy, then SET (only the new one).
    """
    from ops import redis_auth, rotation

    aws, outputs = obj.aws(env), obj.outputs(env)
    if key == REDIS_AUTH:
        if not dry_run:
            confirm(env=env, action="rotate the Redis AUTH token (ROTATE, redeploy, SET)", yes=yes)
        finish(redis_auth.rotate(aws, outputs, env, dry_run=dry_run), as_json=as_json)
        return
    generated = key == names.JWT_SIGNING_KEY
    value = rotation.generated_signing_key() if generated else _read_value()
    if not dry_run:
        confirm(env=env, action=f"rotate {key} and redeploy the services that read it", yes=yes)
    finish(rotation.rotate(aws, outputs, env, key, value, dry_run=dry_run), as_json=as_json)


@secrets.command("rollback")
@click.argument("key", type=click.Choice(names.APP_SECRET_KEYS))
@env_option
@json_option
@dry_run_option
@yes_option
@click.pass_obj
def secrets_rollback(
    obj: OpsContext, key: str, env: str, as_json: bool, dry_run: bool, yes: bool
) -> None:
    """Move the app secret's AWSCURRENT back to AWSPREVIOUS (for KEY) and redeploy."""
    from ops import rotation

    if not dry_run:
        confirm(env=env, action=f"roll {key} back to the previous version", yes=yes)
    report = rotation.rollback(obj.aws(env), obj.outputs(env), env, key, dry_run=dry_run)
    finish(report, as_json=as_json)
