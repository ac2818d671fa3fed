"""Confirmation before a mutating command: --yes, a prompt, or for production the typed env name."""

from __future__ import annotations

import sys

import click

from ops.envs import is_production
from ops.errors import OpsError


def interactive() -> bool:
    """True when a person can answer a prompt (stdin is a terminal)."""
    return sys.stdin.isatty()


def confirm(*, env: str, action: str, yes: bool) -> None:
    """Return if the operator agrees to `action` on `env`; raise OpsError otherwise.

    --yes skips the question. Without a terminal (CI, pipes) and without --yes the command refuses
    rather than guessing. Production asks the operator to type the environment's name.
    """
    if yes:
        return
    if not interactive():
        raise OpsError(
            f"refusing to {action} in {env!r} without confirmation: no terminal to ask on; "
            f"pass --yes to confirm"
        )
    if is_production(env):
        typed = click.prompt(f"About to {action} in {env.upper()}. Type the environment name")
        if typed.strip() != env:
            raise OpsError(f"confirmation did not match {env!r}: nothing done")
        return
    if not click.confirm(f"About to {action} in {env!r}. Continue?", default=False):
        raise OpsError("not confirmed: nothing done")
