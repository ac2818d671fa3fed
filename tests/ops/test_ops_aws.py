"""AWS access: standard-mode retries (throttling), AWS_ENDPOINT_URL, call hooks."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from ops import rds
from ops.aws.session import Aws, is_mutating


class FakeEcs:
    """Answers ECS requests at `before-send` (below the retry layer): N throttles, then success."""

    def __init__(self, throttles: int) -> None:
        self.throttles = throttles
        self.sent = 0

    def __call__(self, request, **_):
        from botocore.awsrequest import AWSResponse

        self.sent += 1
        if self.sent <= self.throttles:
            body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
            return AWSResponse(request.url, 400, {}, _Raw(body))
        return AWSResponse(request.url, 200, {}, _Raw(b'{"services": [], "failures": []}'))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_):
        yield self.body


def test_throttling_is_retried(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda _: None)
    aws = Aws(region="ap-southeast-2")
    fake = FakeEcs(throttles=2)
    aws.on("before-send.ecs", fake)
    assert aws.client("ecs").meta.config.retries["mode"] == "standard"
    assert aws.client("ecs").describe_services(cluster="c", services=["s"])["services"] == []
    assert fake.sent == 3


def test_retries_give_up_after_max_attempts(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    monkeypatch.setattr("time.sleep", lambda _: None)
    aws = Aws(region="ap-southeast-2", max_attempts=2)
    fake = FakeEcs(throttles=5)
    aws.on("before-send.ecs", fake)
    with pytest.raises(ClientError, match="ThrottlingException"):
        aws.client("ecs").describe_services(cluster="c", services=["s"])
    assert fake.sent == 2


def test_stubbed_throttle_surfaces_as_a_failed_operation(aws_env: None) -> None:
    from botocore.exceptions import ClientError

    aws = Aws(region="ap-southeast-2")
    with Stubber(aws.client("rds")) as stub:
        stub.add_client_error("describe_db_instances", service_error_code="ThrottlingException")
        with pytest.raises(ClientError, match="ThrottlingException"):
            rds.describe(aws, "db")


def test_endpoint_url_is_honoured(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4599")
    assert Aws(region="ap-southeast-2").client("ecs").meta.endpoint_url == "http://localhost:4599"


def test_hooks_apply_to_clients_made_before_and_after(aws_env: None) -> None:
    aws = Aws(region="ap-southeast-2")
    early = aws.client("ssm")
    seen: list[str] = []
    aws.on("before-parameter-build", lambda model, **_: seen.append(model.name))
    late = aws.client("sts")
    for client, op, method in (
        (early, "GetParameter", "get_parameter"),
        (late, "GetCallerIdentity", "get_caller_identity"),
    ):
        with Stubber(client) as stub:
            stub.add_response(
                method,
                {"Parameter": {"Name": "n", "Value": "v", "Type": "String"}}
                if op == "GetParameter"
                else {"Account": "123456789012"},
            )
            getattr(client, method)(**({"Name": "n"} if op == "GetParameter" else {}))
    assert seen == ["GetParameter", "GetCallerIdentity"]


def test_mutating_operation_names() -> None:
    assert is_mutating("StopDBInstance") and is_mutating("PutParameter")
    assert not is_mutating("DescribeServices") and not is_mutating("GetParameter")


def test_profile_is_used(aws_env: None, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[profile ops-test]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    aws = Aws(region="ap-southeast-2", profile="ops-test")
    assert aws.session.profile_name == "ops-test"
    assert aws.client("ssm").meta.region_name == "ap-southeast-2"  # the env's region wins


def test_unknown_profile_is_a_clean_failure(aws_env: None) -> None:
    from click.testing import CliRunner

    from ops.cli import cli

    result = CliRunner().invoke(cli, ["--profile", "no-such", "rds", "status", "--env", "staging"])
    assert result.exit_code == 1
    assert "no-such" in result.stderr and "Traceback" not in result.output


def test_clients_created_from_many_threads_are_one_per_service(aws_env: None) -> None:
    """`ops status` lets its sections create clients concurrently: one client each, no race."""
    from concurrent.futures import ThreadPoolExecutor

    aws = Aws(region="ap-southeast-2")
    services = ("ecs", "rds", "elbv2", "cloudwatch") * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(aws.client, services))
    by_service: dict[str, set[int]] = {}
    for service, client in zip(services, clients, strict=True):
        by_service.setdefault(service, set()).add(id(client))
    assert all(len(ids) == 1 for ids in by_service.values())
    assert clients[0].meta.service_model.service_name == "ecs"


def test_every_typed_client_has_its_stubs_pinned_and_locked() -> None:
    """A service Aws.client serves needs its boto3-stubs extra (else the type gate fails in CI)."""
    import tomllib
    import typing
    from pathlib import Path

    from packaging.requirements import Requirement

    from ops.aws.session import ServiceName

    root = Path(__file__).resolve().parents[2]
    dev = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    [stubs] = [Requirement(r) for r in dev["dev"] if Requirement(r).name == "boto3-stubs"]
    services = set(typing.get_args(ServiceName))
    assert services <= stubs.extras, sorted(services - stubs.extras)
    lock = (root / "requirements" / "dev.lock").read_text()
    missing = [s for s in services if f"\nmypy-boto3-{s}==" not in lock]
    assert not missing, f"run `make lock`: {missing}"
