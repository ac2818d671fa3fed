"""The CDK app: `cdk synth -c env=NAME [-c parked=true]` (default env: staging)."""

from __future__ import annotations

import os
import sys

from cdk_app.config import DEFAULT_ENV, load, parse_bool
from cdk_app.schema import ConfigError
from cdk_app.synth import build
from stacks.app import create_app


def validation_enabled() -> bool:
    """`CDK_VALIDATION=false` turns every check off (built-in, cdk-nag and cfn-lint)."""
    return parse_bool(os.environ.get("CDK_VALIDATION", "true"), what="CDK_VALIDATION")


def main() -> int:
    validate = validation_enabled()
    app = create_app(validation=validate)
    env = str(app.node.try_get_context("env") or DEFAULT_ENV)
    parked = app.node.try_get_context("parked")
    overrides = {} if parked is None else {"parked": parse_bool(parked, what="parked")}
    build(app, load(env, overrides=overrides), validate=validate)
    app.synth()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        sys.exit(2)
