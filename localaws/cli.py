"""`ops local up | deploy | down | status | env`: click wiring for the local AWS (logic elsewhere).

Registered in `ops/cli.py`'s command table; imports moto/boto3 only inside the commands.
"""

from __future__ import annotations

import json

import click


class _Failed(click.ClickException):
    """A failed operation: exit status 1, as ops.errors.OpsError."""

    exit_code = 1


def _fail(message: str) -> click.ClickException:
    return _Failed(message)


def _running_endpoint() -> str:
    from localaws import runner

    current = runner.status()
    if not current.running or current.endpoint is None:
        raise _fail("the local AWS server is not running: start it with `ops local up`")
    return current.endpoint


@click.group()
def local() -> None:
    """A local AWS (moto) to deploy the `local` environment into, without an AWS account."""
    import importlib.util

    if importlib.util.find_spec("moto") is None:
        raise _fail(
            "the local AWS needs moto: install the `local` extra "
            "(pip install 'ohmycoins-infra[local]'; a checkout's `make setup` does)"
        )


@local.command()
@click.option("--port", type=int, default=None, help="Port on localhost (default: a free one).")
def up(port: int | None) -> None:
    """Start the local AWS server in the background and print its endpoint."""
    from localaws import runner

    try:
        started = runner.start(port=port)
    except RuntimeError as error:
        raise _fail(str(error)) from error
    click.echo(f"local AWS running (pid {started.pid}); log: {runner.log_file()}")
    click.echo(f"AWS_ENDPOINT_URL={started.endpoint}")


@local.command()
@click.option("--env", "env", default="local", show_default=True, help="Environment to deploy.")
@click.option(
    "--reset/--keep",
    default=True,
    show_default=True,
    help="Empty the server first (instead of `cdk destroy`), or deploy over what is there.",
)
def deploy(env: str, reset: bool) -> None:
    """`cdk bootstrap` + `cdk deploy --all -c env=ENV`, then verify every resource."""
    from localaws import deploy as local_deploy
    from localaws import runner
    from localaws.verify import VerificationFailed

    endpoint = _running_endpoint()
    if reset:
        runner.reset(endpoint)
    try:
        result = local_deploy.deploy(endpoint, env=env)
    except (local_deploy.CdkFailed, VerificationFailed) as error:
        raise _fail(str(error)) from error
    click.echo(
        f"deployed {result.verified()} "
        f"(synth {result.synth_seconds:.1f} s, bootstrap {result.bootstrap_seconds:.1f} s, "
        f"deploy {result.deploy_seconds:.1f} s)"
    )


@local.command()
def down() -> None:
    """Stop the local AWS server (its state goes with it)."""
    from localaws import runner

    click.echo("local AWS stopped" if runner.stop() else "local AWS was not running")


@local.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Say whether the local AWS server runs, and where."""
    from localaws import runner

    current = runner.status()
    if as_json:
        click.echo(json.dumps({"running": current.running, "endpoint": current.endpoint}))
    elif current.running:
        click.echo(f"running (pid {current.pid}) at {current.endpoint}")
    else:
        click.echo("not running")


@local.command("env")
@click.option(
    "--env", "env", default="local", show_default=True, help="Environment (for its region)."
)
def shell_env(env: str) -> None:
    """Print `export` lines pointing AWS tools and `ops` at it: eval "$(ops local env)"."""
    from localaws import deploy as local_deploy

    endpoint = _running_endpoint()
    region = local_deploy.local_region(env)
    variables = {
        **local_deploy.DUMMY_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,  # what plain boto3 (and older AWS tools) read
    }
    for key, value in variables.items():
        click.echo(f"export {key}={value}")
