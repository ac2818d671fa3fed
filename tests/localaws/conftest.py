"""One in-process local AWS server (adapter applied) per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest

from localaws import runner
from localaws.server import threaded_server

REGION = "ap-southeast-2"
_ENV_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_PROFILE")


@pytest.fixture(scope="session")
def local_endpoint() -> Iterator[str]:
    """The server's endpoint; boto3 in this process points at it with dummy credentials."""
    server = threaded_server(port=0)
    _host, port = server.get_host_and_port()  # type: ignore[attr-defined]
    endpoint = runner.endpoint_url(port)
    saved = {key: os.environ.get(key) for key in _ENV_KEYS}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL=endpoint
    )
    yield endpoint
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()  # type: ignore[attr-defined]


@pytest.fixture()
def aws(local_endpoint: str) -> boto3.Session:
    """A boto3 session against a freshly reset local server."""
    runner.reset(local_endpoint)
    return boto3.Session(region_name=REGION)


@pytest.fixture(scope="module")
def aws_module(local_endpoint: str) -> boto3.Session:
    """A session against a server reset once for the whole module (read-only tests)."""
    runner.reset(local_endpoint)
    return boto3.Session(region_name=REGION)
