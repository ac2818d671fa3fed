"""One in-process local AWS server (adapter applied) per test session.

The session fixture leaves the process environment alone; `aws` / `aws_module` point boto3 at
the server only for the tests (or the module) that use them.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from localaws import runner
from localaws.deploy import local_region
from localaws.server import threaded_server

REGION = local_region()


@pytest.fixture(scope="session")
def local_endpoint() -> Iterator[str]:
    server = threaded_server(port=0)
    _host, port = server.get_host_and_port()
    yield runner.endpoint_url(port)
    server.stop()


def _point_at(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)


@pytest.fixture()
def aws(local_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    """A boto3 session against a freshly reset local server."""
    _point_at(monkeypatch, local_endpoint)
    runner.reset(local_endpoint)
    return boto3.Session(region_name=REGION)


@pytest.fixture(scope="module")
def aws_module(local_endpoint: str) -> Iterator[boto3.Session]:
    """A session against a server reset once for the whole module (read-only tests)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at(monkeypatch, local_endpoint)
        runner.reset(local_endpoint)
        yield boto3.Session(region_name=REGION)
