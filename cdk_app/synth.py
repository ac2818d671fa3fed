"""Build and synthesize one environment as `cdk synth` does (for the app, the demo, the bench)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import cx_api

from cdk_app.config import EnvConfig
from stacks import park_templates
from stacks.app import build_env, create_app
from stacks.park_templates import TemplateFiles
from stacks.validation.cfn_lint_check import Finding
from stacks.validation.cfn_lint_plugin import LintRun
from stacks.validation.nag import acknowledge, enable_checks


@dataclass(frozen=True)
class Validated:
    """A fully validated synthesis, and what cfn-lint linted in it."""

    assembly: cx_api.CloudAssembly
    linted: tuple[str, ...]
    lint_findings: tuple[Finding, ...]


def _acknowledged(app: cdk.App, config: EnvConfig, templates: TemplateFiles | None = None) -> None:
    acknowledge(build_env(app, config, templates=templates), config)


def build(app: cdk.App, config: EnvConfig, *, validate: bool) -> LintRun | None:
    """The stacks, their acknowledgements, and (when validating) cdk-nag + cfn-lint.

    A parking schedule also gets the four stacks synthesized running and parked, by this same
    build (stacks/park_templates.py). When validating, the parked ones pass the same checks (a
    finding fails the synthesis): the schedule deploys nothing that was not checked."""
    lint = None
    if validate:  # first: the cfn-lint worker loads while the constructs are built
        lint = enable_checks(app, regions=[config.region])
    if not park_templates.wanted(config):
        _acknowledged(app, config)
        return lint
    new_app = functools.partial(template_app, region=config.region, validate=validate)
    with park_templates.synthesized(config, build=_acknowledged, new_app=new_app) as templates:
        _acknowledged(app, config, templates)
    return lint


def template_app(outdir: str, parked: bool, *, region: str, validate: bool) -> cdk.App:
    """An app for one variant of the staged templates: the parked one checked by cdk-nag and
    cfn-lint when validating (the running one is the deploying app's own, checked there)."""
    app = create_app(outdir=outdir, validation=False)
    if validate and parked:
        enable_checks(app, regions=[region], builtin=False)
    return app


def synthesize(config: EnvConfig, *, outdir: str, validate: bool) -> cx_api.CloudAssembly:
    """Synthesize `config` into `outdir`; with `validate`, any finding raises (synthesis fails)."""
    app = create_app(outdir=outdir, validation=validate)
    build(app, config, validate=validate)
    return app.synth()


def synthesize_validated(config: EnvConfig, *, outdir: str) -> Validated:
    """Synthesize with every check on (a finding raises), and report what cfn-lint covered."""
    app = create_app(outdir=outdir, validation=True)
    lint = build(app, config, validate=True)
    assert lint is not None
    assembly = app.synth()
    return Validated(assembly=assembly, linted=lint.templates, lint_findings=tuple(lint.findings))
