"""Fixtures of the ops tests: fake credentials and an environment deployed into moto."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws
from moto_env import Deployed, build
from moto_state import MotoState, discard

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
