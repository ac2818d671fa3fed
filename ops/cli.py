"""The `ops` command line: click wiring only.

Usage: `ops [--profile P] [--region R] COMMAND --env ENV [OPTIONS]`.

Adding a command:
1. Put the logic in plain typed functions in `ops/<concern>.py` or a capability package such as
   `ops/scale/` (they take an `ops.aws.session.Aws` or `ops.aws.stack_outputs.StackOutputs` and
   return data; raise `ops.errors.OpsError` for a failed operation).
2. Put the click wiring in `ops/commands/<concern>.py`: a `@click.command()` or `@click.group()`
   decorated with `ops.options.reading_options` (`--env`, `--json`) or `mutating_options` (adds
   `--dry-run`, `--yes`, `--wait/--no-wait`), taking the context with `@click.pass_obj`
   (`ops.context.OpsContext`: `.aws(env)`, `.outputs(env)`). Call `ops.confirm.confirm(...)` before
   changing anything, print with `ops.console.emit(...)` / `ops.results.finish(...)`. Import the
   logic module *inside* the command function: `ops --help` must not import boto3 (tested).
3. Register it below in `COMMANDS` ("name": "module:attribute"), one line.
Exit status: 0 success, 1 failed operation (`OpsError`, AWS errors, a malformed environment
file), 2 bad usage (click: an unknown option, environment, region or alarm).
"""

from __future__ import annotations

import importlib

import click

from ops.context import OpsContext
from ops.errors import OpsError, describe_aws_error, is_aws_error
from ops.regions import check_region

COMMANDS: dict[str, str] = {
    # "name": "ops.commands.<concern>:<click command or group>",
    "status": "ops.commands.status:status",
    "scale": "ops.commands.scale:scale",
    "rds": "ops.commands.rds:rds",
    "alarms": "ops.commands.alarms:alarms",
    "secrets": "ops.commands.secrets:secrets",
    "migrate": "ops.commands.migrate:migrate",
    "smoke": "ops.commands.smoke:smoke",
    "preflight": "ops.commands.preflight:preflight",
    "cost": "ops.commands.cost:cost",
    "schedule": "ops.commands.schedule:schedule",
    "park": "ops.commands.park:park",
    "unpark": "ops.commands.park:unpark",
    "runbook": "ops.commands.runbook:runbook",
    "incident": "ops.commands.incident:incident",
    "local": "localaws.cli:local",
}


class LazyGroup(click.Group):
    """Loads each command's module only when it is listed or run; maps AWS errors to exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attribute = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{COMMANDS[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if is_aws_error(exc):
                raise OpsError(describe_aws_error(exc)) from exc
            from cdk_app.schema import ConfigError

            if isinstance(exc, ConfigError):  # the message names the file and the key
                raise OpsError(str(exc)) from exc
            raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--profile", help="AWS named profile (default: the standard credential chain).")
@click.option(
    "--region",
    callback=check_region,
    help="AWS region (default: the environment's configured region).",
)
@click.pass_context
def cli(ctx: click.Context, profile: str | None, region: str | None) -> None:
    """Operate an OhMyCoins environment: status, scaling, database, alarms, secrets."""
    obj = ctx.ensure_object(OpsContext)
    obj.profile = profile or obj.profile
    obj.region = region or obj.region


def main() -> None:
    """Console-script entry point (`ops`)."""
    cli(prog_name="ops")
