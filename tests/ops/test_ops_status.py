"""`ops status`: every section, concurrent calls, a failing section."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

from click.testing import CliRunner
from moto_env import MUTED_BEFORE, PAUSED_BEFORE, Deployed

from ops import status
from ops.cli import cli
from ops.scale import engine as scale
from stacks.contract import alarm_catalog, names


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
    outputs.of_stack(names.DATA), outputs.of_stack(names.SERVICE)  # discovery first, as collect
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


def _put_run(d: Deployed, collector: str, when: dt.datetime, ok: int, stored: int) -> None:
    dims = [{"Name": "Environment", "Value": d.env}, {"Name": "Collector", "Value": collector}]
    d.client("cloudwatch").put_metric_data(
        Namespace=alarm_catalog.APP_NAMESPACE,
        MetricData=[
            {"MetricName": "SuccessfulRuns", "Dimensions": dims, "Timestamp": when, "Value": ok},
            {"MetricName": "ItemsStored", "Dimensions": dims, "Timestamp": when, "Value": stored},
        ],
    )


def test_status_shows_each_collectors_last_success_from_its_metrics(deployed: Deployed) -> None:
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    good = now - dt.timedelta(hours=2)
    _put_run(deployed, "cryptopanic", good - dt.timedelta(hours=1), ok=1, stored=7)
    _put_run(deployed, "cryptopanic", good, ok=1, stored=5)
    _put_run(deployed, "cryptopanic", now - dt.timedelta(minutes=30), ok=0, stored=0)  # failed
    _put_run(deployed, "newscatcher", now - dt.timedelta(minutes=10), ok=0, stored=0)
    other_env = [{"Name": "Environment", "Value": "production"},
                 {"Name": "Collector", "Value": "nansen"}]  # fmt: skip
    deployed.client("cloudwatch").put_metric_data(
        Namespace=alarm_catalog.APP_NAMESPACE,
        MetricData=[{"MetricName": "SuccessfulRuns", "Dimensions": other_env, "Value": 1}],
    )
    result = CliRunner().invoke(
        cli, ["status", "--env", "staging", "--json"], obj=deployed.context()
    )
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["collectors"]["runs"]
    assert sorted(runs) == ["cryptopanic", "nansen", "newscatcher"]
    crypto = runs["cryptopanic"]
    assert dt.datetime.fromisoformat(crypto["last_success"]) == good
    assert crypto["items_stored"] == 5
    assert (crypto["rule"], crypto["state"]) == (
        names.resource_name("staging", "collect", "cryptopanic"),
        "ENABLED",
    )
    assert runs["newscatcher"]["last_success"] is None  # ran, never succeeded
    assert runs["nansen"] == {  # another environment's success is not this one's
        "rule": names.resource_name("staging", "collect", PAUSED_BEFORE),
        "state": "DISABLED",
        "last_success": None,
        "items_stored": None,
    }
    text = CliRunner().invoke(cli, ["status", "--env", "staging"], obj=deployed.context())
    assert f"cryptopanic ENABLED  last success {good.isoformat()}, 5 items stored" in text.stdout
    assert "newscatcher ENABLED  last success none in 7 days" in text.stdout
    assert "(runs from CloudWatch metrics OhMyCoins SuccessfulRuns/ItemsStored)" in text.stdout


def test_status_keeps_the_rules_when_the_metrics_are_denied(deployed: Deployed) -> None:
    from botocore.exceptions import ClientError

    def deny(model: Any, **_: Any) -> None:
        if model.name == "GetMetricData":
            error = {"Error": {"Code": "AccessDenied", "Message": "not allowed"}}
            raise ClientError(error, model.name)

    aws = deployed.aws()
    aws.on("before-call", deny)
    found = status.collect(aws, deployed.outputs(aws), "staging")
    assert found["collectors"]["by_state"] == {"DISABLED": 1, "ENABLED": 2}
    assert "AccessDenied" in found["collectors"]["runs_error"]
    assert "last runs unknown: " in status.text(found)
    assert "collectors" not in status.failed_sections(found)
