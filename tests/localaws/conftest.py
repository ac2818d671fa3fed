"""One in-process local AWS server (adapter applied) per test session."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from localaws import runner
from localaws.server import threaded_server

REGION = "ap-southeast-2"


@pytest.fixture(scope="session")
def local_endpoint() -> Iterator[str]:
    server = threaded_server(port=0)
    _host, port = server.get_host_and_port()  # type: ignore[attr-defined]
    yield runner.endpoint_url(port)
    server.stop()  # type: ignore[attr-defined]


@pytest.fixture()
def aws(local_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    """A boto3 session against a freshly reset local server, with dummy credentials."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_endpoint)
    runner.reset(local_endpoint)
    return boto3.Session(region_name=REGION)
