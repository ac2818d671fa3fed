"""The real CDK CLI path: `cdk bootstrap` + `cdk deploy --all` into a background local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localaws import deploy, runner


@pytest.fixture(scope="module")
def background_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[runner.ServerStatus]:
    state_dir = tmp_path_factory.mktemp("localaws-state")
    status = runner.start(state_dir=state_dir)
    yield status
    assert runner.stop(state_dir=state_dir)


def test_cdk_deploy_creates_and_verifies_every_stack(
    background_server: runner.ServerStatus, local_assembly: Path
) -> None:
    assert background_server.endpoint is not None
    assert background_server.endpoint.startswith("http://localhost:")
    result = deploy.deploy(background_server.endpoint, assembly=local_assembly, stream=False)
    assert result.stacks == tuple(deploy.env_stacks(deploy.LOCAL_ENV))
    checked = {report.stack: len(report.checked) for report in result.reports}
    assert set(checked) == {deploy.TOOLKIT_STACK, *result.stacks}
    assert all(count > 0 for count in checked.values())
