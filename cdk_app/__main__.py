"""The CDK app: `cdk synth -c env=NAME [-c parked=true]` (default env: staging)."""

from __future__ import annotations

import os
import sys

from cdk_app.config import DEFAULT_ENV, ConfigError, load, parse_bool
from stacks.app import build_env, create_app
from stacks.nag import acknowledge, enable_checks


def validation_enabled() -> bool:
    """`CDK_VALIDATION=false` (or `cdk synth --no-validation`) turns every check off."""
    return parse_bool(os.environ.get("CDK_VALIDATION", "true"), what="CDK_VALIDATION")


def main() -> int:
    validate = validation_enabled()
    app = create_app(validation=validate)
    env = str(app.node.try_get_context("env") or DEFAULT_ENV)
    parked = app.node.try_get_context("parked")
    overrides = {} if parked is None else {"parked": parse_bool(parked, what="parked")}
    config = load(env, overrides=overrides)
    stacks = build_env(app, config)
    acknowledge(stacks, config)
    if validate:
        enable_checks(app, regions=[config.region])
    app.synth()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        sys.exit(2)
