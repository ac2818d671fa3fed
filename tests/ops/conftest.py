"""Fixtures of the ops tests: fake credentials and an environment deployed into moto."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws
from moto_env import Deployed, build


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, no profile or endpoint from the caller's shell."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE", "OHMYCOINS_ENV"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    yield


@pytest.fixture
def deployed(aws_env: None) -> Iterator[Deployed]:
    """The `staging` environment deployed into an in-process moto."""
    with mock_aws():
        yield build()
