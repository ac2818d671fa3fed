"""`ops status`: every section, concurrent calls, a failing section."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from click.testing import CliRunner
from moto_env import MUTED_BEFORE, PAUSED_BEFORE, Deployed

from ops import status
from ops.cli import cli
from ops.scale import engine as scale
from stacks.contract import names


def test_status_json_sections(deployed: Deployed) -> None:
    result = CliRunner().invoke(
        cli, ["status", "--env", "staging", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    backend = data["services"]["backend"]
    assert (backend["desired"], backend["min"], backend["max"]) == (1, 1, 3)
    assert backend["scaling_suspended"] is False
    assert data["rds"]["status"] == "available"
    assert data["redis"] == {"id": deployed.ids["cache"], "status": "available"}
    assert data["targets"] == {"backend": {}, "frontend": {}}  # moto has no target health
    assert data["alarms"]["muted"] == [MUTED_BEFORE]
    assert data["scale"] == {"scaled_to_zero": False}
    rules = data["collectors"]["rules"]
    assert sorted(rules) == sorted(deployed.ids["collector_rules"].split(","))
    assert rules.pop(names.resource_name("staging", "collect", PAUSED_BEFORE)) == "DISABLED"
    assert set(rules.values()) == {"ENABLED"}
    assert data["collectors"]["by_state"] == {"DISABLED": 1, "ENABLED": 2}
    assert data["edge"] == {
        "url": deployed.ids["public_url"],
        "distribution": deployed.ids["distribution"],
        "status": "Deployed",
        "enabled": True,
        "paused": False,
    }
    assert data["edge"]["url"].startswith("https://")
    # Every section the Status type declares is read, and nothing else.
    assert sorted(data) == sorted(["env", *status.SECTIONS])
    assert status.failed_sections(data) == []


def test_failed_tells_an_error_from_a_section() -> None:
    assert status.failed({"error": "AccessDenied"})
    assert not status.failed({"error": "x", "status": "available"})  # a section with such a key
    assert not status.failed({"backend": {}, "frontend": {}})
    assert not status.failed(None)


def test_status_text_after_scaling_to_zero(deployed: Deployed) -> None:
    aws = deployed.aws()
    assert scale.to_zero(aws, deployed.outputs(aws), "staging", poll_seconds=0).ok
    result = CliRunner().invoke(cli, ["status", "--env", "staging"], obj=deployed.context())
    assert result.exit_code == 0, result.output
    assert "SCALED TO ZERO" in result.stdout
    assert "scaling suspended" in result.stdout and "database  stopped" in result.stdout
    assert "collectors DISABLED 3" in result.stdout
    assert f"public    {deployed.ids['public_url']} (CloudFront Deployed)" in result.stdout
    assert deployed.calls.count("DescribeStacks") >= 2


def test_status_reads_only(deployed: Deployed) -> None:
    status.collect(deployed.aws(), deployed.outputs(), "staging")
    assert deployed.mutating_calls() == []


def test_status_calls_run_concurrently(deployed: Deployed) -> None:
    threads: set[str] = set()
    active, peak = [0], [0]
    lock = threading.Lock()

    def slow(**_: Any) -> None:
        with lock:
            threads.add(threading.current_thread().name)
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1

    aws = deployed.aws()
    aws.on("before-call", slow)
    outputs = deployed.outputs(aws)
    outputs.of_stack("Data"), outputs.of_stack("Service")  # discovery first, as collect does
    status.collect(aws, outputs, "staging")
    # eight sections, each starting with a 0.2 s call: at least four were in flight at once
    assert len(threads) >= 4 and peak[0] >= 4


def test_status_section_failure_exits_1(deployed: Deployed) -> None:
    deployed.client("elbv2").delete_target_group(TargetGroupArn=deployed.ids["frontend_tg"])
    result = CliRunner().invoke(cli, ["status", "--env", "staging"], obj=deployed.context())
    assert result.exit_code == 1
    assert "targets: ERROR" in result.stdout and "could not read: targets" in result.stderr
    assert "database  available" in result.stdout  # the other sections are still shown


def _replace_service_outputs(deployed: Deployed, drop: set[str]) -> None:
    cfn, stack = deployed.client("cloudformation"), names.stack_name("staging", names.SERVICE)
    found = cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    values = {o["OutputKey"]: o["OutputValue"] for o in found if o["OutputKey"] not in drop}
    body = {
        "Resources": {"M": {"Type": "AWS::SSM::Parameter",
                            "Properties": {"Name": "/svc", "Type": "String", "Value": "s"}}},
        "Outputs": {k: {"Value": v} for k, v in values.items()},
    }  # fmt: skip
    cfn.delete_stack(StackName=stack)
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(body))


def test_status_while_parked_shows_the_same_url_answering_paused(deployed: Deployed) -> None:
    out = names.Outputs
    _replace_service_outputs(
        deployed,
        {out.LOAD_BALANCER_DNS_NAME, out.BACKEND_TARGET_GROUP_ARN, out.FRONTEND_TARGET_GROUP_ARN},
    )
    result = CliRunner().invoke(cli, ["status", "--env", "staging"], obj=deployed.context())
    assert result.exit_code == 0, result.output
    url = deployed.ids["public_url"]
    assert f"public    {url} (CloudFront Deployed, answering 503 paused)" in result.stdout


def test_status_with_plain_http_says_so(deployed: Deployed) -> None:
    _replace_service_outputs(deployed, {names.Outputs.DISTRIBUTION_ID})
    result = CliRunner().invoke(
        cli, ["status", "--env", "staging", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["edge"] == {
        "url": deployed.ids["public_url"],
        "distribution": None,
    }
