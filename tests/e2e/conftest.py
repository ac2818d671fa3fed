"""Session fixtures: the `local` cloud assembly synthesized once, deployed into an in-process
local AWS (moto + the localaws adapter)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from cfn_deploy import deploy_assembly

from localaws import deploy, runner
from localaws.server import threaded_server

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_ENV = deploy.LOCAL_ENV


@dataclass(frozen=True)
class LocalDeployment:
    """The deployed `local` environment: a session against it, outputs and how long it took."""

    session: boto3.Session
    endpoint: str
    outputs: dict[str, dict[str, str]]
    seconds: float


@pytest.fixture(scope="session")
def local_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`npx cdk synth -c env=local` once per session (validation off: it has its own tests)."""
    out = tmp_path_factory.mktemp("cdk-local")
    env = {**os.environ, "CDK_VALIDATION": "false"}
    result = subprocess.run(
        ["npx", "cdk", "synth", "-c", f"env={LOCAL_ENV}", "-o", str(out), "--quiet"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def local_deployment(local_assembly: Path) -> Iterator[LocalDeployment]:
    """The `local` templates deployed into an in-process local AWS server.

    Nothing here touches the process environment: use `local_aws` in a test for that.
    """
    server = threaded_server(port=0)
    _host, port = server.get_host_and_port()
    endpoint = runner.endpoint_url(port)
    try:
        session = deploy.local_session(deploy.local_region(LOCAL_ENV))
        started = time.monotonic()
        outputs = deploy_assembly(session, local_assembly, endpoint_url=endpoint)
        yield LocalDeployment(session, endpoint, outputs, time.monotonic() - started)
    finally:
        server.stop()


@pytest.fixture()
def local_aws(
    local_deployment: LocalDeployment, monkeypatch: pytest.MonkeyPatch
) -> LocalDeployment:
    """The deployment, with boto3 (and `ops`) in this test pointed at its server."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "OHMYCOINS_ENV"):
        monkeypatch.delenv(key, raising=False)
    for key, value in deploy.DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_deployment.endpoint)
    return local_deployment
