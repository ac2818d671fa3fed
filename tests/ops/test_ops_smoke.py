"""`ops smoke`: the health paths through the public URL (a local HTTP server here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from moto_env import Deployed

from ops.cli import cli
from stacks.contract import names


class Handler(BaseHTTPRequestHandler):
    healthy: set[str] = set()

    def do_GET(self) -> None:  # noqa: N802
        status = 200 if self.path in self.healthy else 503
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"down")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def alb(deployed: Deployed) -> Iterator[type[Handler]]:
    """Point the Service stack's PublicUrl at a local server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfn, stack = deployed.client("cloudformation"), names.stack_name("staging", names.SERVICE)
    outputs = cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    values = {o["OutputKey"]: o["OutputValue"] for o in outputs}
    values[names.Outputs.PUBLIC_URL] = f"http://127.0.0.1:{server.server_address[1]}"
    body = {
        "Resources": {"M": {"Type": "AWS::SSM::Parameter",
                            "Properties": {"Name": "/svc", "Type": "String", "Value": "s"}}},
        "Outputs": {k: {"Value": v} for k, v in values.items()},
    }  # fmt: skip
    cfn.delete_stack(StackName=stack)
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(body))
    yield Handler
    server.shutdown()


def test_smoke_passes(deployed: Deployed, alb: type[Handler]) -> None:
    alb.healthy = {names.BACKEND_HEALTH_PATH, names.FRONTEND_HEALTH_PATH}
    result = CliRunner().invoke(
        cli, ["smoke", "--env", "staging", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["service"]: r["status"] for r in rows} == {"backend": 200, "frontend": 200}
    assert rows[0]["url"].endswith(names.BACKEND_HEALTH_PATH)


def test_smoke_fails_on_an_unhealthy_path(deployed: Deployed, alb: type[Handler]) -> None:
    alb.healthy = {names.FRONTEND_HEALTH_PATH}
    result = CliRunner().invoke(cli, ["smoke", "--env", "staging"], obj=deployed.context())
    assert result.exit_code == 1
    assert "503" in result.stdout and "backend" in result.stderr
    assert "paused" not in result.stderr  # one path up: not the parked edge


def test_smoke_names_the_parked_edge_when_every_path_is_503(
    deployed: Deployed, alb: type[Handler]
) -> None:
    alb.healthy = set()
    result = CliRunner().invoke(cli, ["smoke", "--env", "staging"], obj=deployed.context())
    assert result.exit_code == 1
    assert "smoke test failed for: backend, frontend" in result.stderr
    assert "parked environment answers paused" in result.stderr


def test_smoke_fails_when_unreachable(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["smoke", "--env", "staging", "--timeout", "2"], obj=deployed.context()
    )
    assert result.exit_code == 1  # moto's DNS name does not resolve


def test_smoke_through_a_given_base_url(deployed: Deployed) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Handler.healthy = {names.BACKEND_HEALTH_PATH, names.FRONTEND_HEALTH_PATH}
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        result = CliRunner().invoke(
            cli, ["smoke", "--env", "staging", "--base-url", base], obj=deployed.context()
        )
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    assert f"127.0.0.1:{server.server_address[1]}{names.BACKEND_HEALTH_PATH}" in result.stdout
