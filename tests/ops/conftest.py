"""Fixtures of the ops tests: fake credentials and an environment deployed into moto."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from moto import mock_aws
from moto_env import Deployed, build
from moto_state import MotoState, discard
from run_cache import build_once, run_root

from ops.checkout import require_checkout
from ops.cost import environment
from ops.cost.environment import Synth
from ops.cost.synth import synthesize

FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    # No test here launches an instance: without moto's catalogue of public AMIs (and their
    # snapshots) an EC2 backend is built, copied and reset in milliseconds.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
CALLERS_ENVIRONMENT = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE", "OHMYCOINS_ENV")


def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, no profile or endpoint from the caller's shell."""
    for key in CALLERS_ENVIRONMENT:
        monkeypatch.delenv(key, raising=False)
    for key, value in FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, no profile or endpoint from the caller's shell."""
    fake_credentials(monkeypatch)
    yield


@dataclass(frozen=True)
class Pristine:
    """The environment as `build` left it: what it returned and moto's state."""

    built: Deployed
    state: MotoState


@pytest.fixture(scope="session")
def pristine() -> Pristine:
    """One build per process, saved; each test gets its own copy (tests/ops/moto_state.py)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_credentials(monkeypatch)
        with mock_aws():
            built = build()
            return Pristine(built=built, state=MotoState.save())


@pytest.fixture
def deployed(aws_env: None, pristine: Pristine) -> Iterator[Deployed]:
    """The `staging` environment deployed into an in-process moto, as `build` leaves it."""
    with mock_aws():
        pristine.state.restore()
        try:
            built = pristine.built
            yield Deployed(env=built.env, region=built.region, ids=dict(built.ids))
        finally:
            discard()


@pytest.fixture(scope="session")
def cdk_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """`ops cost`'s synthesis (`cdk synth`), run once per env and mode for the whole test run:
    the first test to ask runs it, the others (any xdist worker) read its templates."""
    root = run_root(tmp_path_factory)

    def synth(env: str, *, parked: bool) -> Mapping[str, Mapping[str, Any]]:
        require_checkout("cost")  # as the real one, even when the templates are already there

        def run(outdir: Path) -> None:
            templates = synthesize(env, parked=parked)
            (outdir / "templates.json").write_text(json.dumps(templates))

        done = build_once(root, f"ops-cost-{env}-{'parked' if parked else 'running'}", run)
        templates: dict[str, dict[str, Any]] = json.loads((done / "templates.json").read_text())
        return templates

    return synth


@pytest.fixture(scope="session", autouse=True)
def _cdk_synth_once(cdk_synth: Synth) -> Iterator[None]:
    """`estimate_states` called without a synth (as `ops cost` calls it) uses cdk_synth."""
    defaults = environment.estimate_states.__kwdefaults__
    assert defaults is not None and defaults["synth"] is synthesize
    with mock.patch.dict(defaults, synth=cdk_synth):
        yield
