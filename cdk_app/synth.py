"""Build and synthesize one environment as `cdk synth` does (for the app, the demo, the bench)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import cx_api

from cdk_app.config import EnvConfig
from stacks.app import EnvStacks, build_env, create_app
from stacks.nag import acknowledge, enable_checks


def build(app: cdk.App, config: EnvConfig, *, validate: bool) -> EnvStacks:
    """The four stacks, their acknowledgements, and (when validating) cdk-nag + cfn-lint."""
    if validate:  # first: cfn-lint starts loading while the constructs are built
        enable_checks(app, regions=[config.region])
    stacks = build_env(app, config)
    acknowledge(stacks, config)
    return stacks


def synthesize(config: EnvConfig, *, outdir: str, validate: bool) -> cx_api.CloudAssembly:
    """Synthesize `config` into `outdir`; with `validate`, any finding raises (synthesis fails)."""
    app = create_app(outdir=outdir, validation=validate)
    build(app, config, validate=validate)
    return app.synth()
