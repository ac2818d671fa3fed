"""Shared click options: every command takes `--env`, `--json`, `--dry-run`, `--yes` and
`--wait` the same way, so they behave the same (see the README's `ops` section)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _validate_env(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from ops.envs import environment_names

    known = environment_names()
    if value not in known:
        listed = ", ".join(known) or "none found in cdk_app/environments/"
        raise click.BadParameter(f"unknown environment {value!r}; known: {listed}")
    return value


def env_option(func: F) -> F:
    """`--env ENV` (or OHMYCOINS_ENV), required, checked against cdk_app/environments/*.yaml."""
    return click.option(
        "--env",
        "env",
        envvar="OHMYCOINS_ENV",
        required=True,
        callback=_validate_env,
        help="Environment name (a cdk_app/environments/*.yaml); default from OHMYCOINS_ENV.",
    )(func)


def json_option(func: F) -> F:
    """`--json`: machine-readable output on stdout (parameter `as_json`)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def dry_run_option(func: F) -> F:
    """`--dry-run`: describe only; no mutating API call is made."""
    return click.option(
        "--dry-run", is_flag=True, help="Show what would change; call no mutating API."
    )(func)


def yes_option(func: F) -> F:
    """`--yes`: skip the confirmation (required when there is no terminal)."""
    return click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")(func)


def wait_option(func: F) -> F:
    """`--wait/--no-wait`: wait (with progress) until the change has taken effect."""
    return click.option(
        "--wait/--no-wait", default=True, show_default=True, help="Wait until it takes effect."
    )(func)


def mutating_options(func: F) -> F:
    """`--env`, `--json`, `--dry-run`, `--yes`, `--wait/--no-wait`: for commands changing things."""
    for option in (wait_option, yes_option, dry_run_option, json_option, env_option):
        func = option(func)
    return func


def reading_options(func: F) -> F:
    """`--env` and `--json` for a read-only command."""
    return env_option(json_option(func))
