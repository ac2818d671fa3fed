"""Every environment synthesized once per test session (built-in validation off: unit tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from run_cache import build_once, key_of, run_root
from stack_templates import SynthesizedEnv, load_templates

from cdk_app.config import EnvConfig, known_envs, load
from cdk_app.synth import synthesize


@pytest.fixture(scope="session")
def synth_env(tmp_path_factory: pytest.TempPathFactory) -> Callable[[EnvConfig], SynthesizedEnv]:
    """Synthesize a config without validation (cached per config: once per test run, shared by
    the xdist workers through a directory built under a file lock)."""
    cache: dict[str, SynthesizedEnv] = {}
    root = run_root(tmp_path_factory)

    def run(config: EnvConfig) -> SynthesizedEnv:
        key = repr(config)
        if key not in cache:

            def build(outdir: Path) -> None:
                synthesize(config, outdir=str(outdir), validate=False)

            outdir = build_once(root, f"cdk-{config.name}-{key_of(key)}", build)
            cache[key] = load_templates(config, outdir)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def envs(synth_env: Callable[[EnvConfig], SynthesizedEnv]) -> dict[str, SynthesizedEnv]:
    """Every environment of cdk_app/environments, synthesized."""
    return {env: synth_env(load(env)) for env in known_envs()}


@pytest.fixture(scope="session")
def production(envs: dict[str, SynthesizedEnv]) -> SynthesizedEnv:
    return envs["production"]


@pytest.fixture(scope="session")
def staging(envs: dict[str, SynthesizedEnv]) -> SynthesizedEnv:
    return envs["staging"]
