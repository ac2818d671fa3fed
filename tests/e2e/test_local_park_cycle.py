"""A park/unpark cycle of `local` in the local AWS (moto + the adapter, in process): the stacks
are updated as `ops park` and `ops unpark` deploy them, and nothing is left behind outside them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfn_deploy import deploy_assembly
from moto import mock_aws

from cdk_app.config import load
from cdk_app.synth import synthesize
from localaws import adapter
from localaws.deploy import DUMMY_CREDENTIALS, LOCAL_ENV, local_region
from stacks.contract import names

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """The `local` templates running and parked (`-c parked=true`), by `parked`."""
    found = {}
    for parked in (False, True):
        out = tmp_path_factory.mktemp(f"cdk-local-parked-{parked}")
        config = dataclasses.replace(load(LOCAL_ENV), parked=parked)
        synthesize(config, outdir=str(out), validate=False)
        found[parked] = out
    return found


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    adapter.apply()
    with mock_aws():
        yield boto3.Session(region_name=local_region(LOCAL_ENV))


def _deploy(session: boto3.Session, cdk_out: Path, *, parked: bool) -> None:
    """`ops park`: one stack at a time in reverse order; `ops unpark`: in the normal order."""
    cfn = session.client("cloudformation")
    parts = reversed(names.STACK_PARTS) if parked else iter(names.STACK_PARTS)
    for part in parts:
        name = names.stack_name(LOCAL_ENV, part)
        template = (cdk_out / f"{name}.template.json").read_text()
        cfn.update_stack(StackName=name, TemplateBody=template, Capabilities=CAPABILITIES)
        assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def _buckets(session: boto3.Session) -> set[str]:
    return {bucket["Name"] for bucket in session.client("s3").list_buckets()["Buckets"]}


def _service_types(session: boto3.Session) -> dict[str, str]:
    stack = names.stack_name(LOCAL_ENV, names.SERVICE)
    found = session.client("cloudformation").describe_stack_resources(StackName=stack)
    return {r["LogicalResourceId"]: r["ResourceType"] for r in found["StackResources"]}


def test_park_then_unpark_leaves_nothing_behind(
    session: boto3.Session, assemblies: dict[bool, Path]
) -> None:
    deploy_assembly(session, assemblies[False])
    buckets = _buckets(session)
    assert any("accesslogs" in name for name in buckets)
    running = _service_types(session)
    assert "AWS::ElasticLoadBalancingV2::LoadBalancer" in running.values()
    logs: Any = session.client("logs")
    log_groups = {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]}
    events = session.client("events")
    rules = {r["Name"] for r in events.list_rules()["Rules"]}
    assert rules  # the collectors' schedules

    _deploy(session, assemblies[True], parked=True)
    assert session.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert _buckets(session) == buckets  # the access-log bucket stays; none orphaned or added
    assert {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]} <= log_groups

    assert events.list_rules()["Rules"] == []

    _deploy(session, assemblies[False], parked=False)
    assert {r["Name"] for r in events.list_rules()["Rules"]} == rules  # created anew
    assert _buckets(session) == buckets  # the same bucket, not a second one
    assert _service_types(session) == running
    outputs = session.client("cloudformation").describe_stacks(
        StackName=names.stack_name(LOCAL_ENV, names.SERVICE)
    )["Stacks"][0]["Outputs"]
    assert names.Outputs.PUBLIC_URL in {o["OutputKey"] for o in outputs}
