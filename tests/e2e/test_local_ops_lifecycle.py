"""`ops` operating the deployed `local` environment: the stack-output contract tested for real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfn_deploy import deploy_assembly
from click.testing import CliRunner, Result

from cdk_app.config import load
from localaws import runner
from localaws.deploy import LOCAL_ENV
from ops.cli import cli
from stacks.contract import names
from stacks.contract.alarm_catalog import ALARMS

ENV = LOCAL_ENV


@pytest.fixture(scope="module")
def deployed(local_deployment: Any, local_assembly: Path) -> dict[str, dict[str, str]]:
    """A fresh deployment of `local` for this module (the lifecycle changes its state)."""
    runner.reset(local_deployment.endpoint)
    return deploy_assembly(
        local_deployment.session, local_assembly, endpoint_url=local_deployment.endpoint
    )


def ops(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, [*args, "--env", ENV], input=stdin)
    assert result.exit_code == 0, f"ops {' '.join(args)}: {result.output}"
    return result


def test_scale_to_zero_and_restore(local_aws: Any, deployed: dict[str, Any]) -> None:
    session = local_aws.session
    data = deployed[names.stack_name(ENV, names.DATA)]
    service = deployed[names.stack_name(ENV, names.SERVICE)]
    ecs, rds = session.client("ecs"), session.client("rds")
    instance = data[names.Outputs.DATABASE_INSTANCE_ID]
    services = [
        service[names.Outputs.BACKEND_SERVICE_NAME],
        service[names.Outputs.FRONTEND_SERVICE_NAME],
    ]

    def desired() -> list[int]:
        described = ecs.describe_services(
            cluster=service[names.Outputs.CLUSTER_NAME], services=services
        )
        return [s["desiredCount"] for s in described["services"]]

    rules = service[names.Outputs.COLLECTOR_RULE_NAMES].split(",")

    def rule_states() -> set[str]:
        events = session.client("events")
        return {events.describe_rule(Name=rule)["State"] for rule in rules}

    def rds_state() -> str:
        return rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"][0][
            "DBInstanceStatus"
        ]

    assert desired() == [1, 1]
    assert rule_states() == {"ENABLED"} and len(rules) == len(load(ENV).collectors)
    assert "available" in ops("status").output
    ops("scale", "--to", "0", "--yes")
    assert desired() == [0, 0]
    assert rds_state() == "stopped"
    assert rule_states() == {"DISABLED"}  # no collector task starts against the stopped database
    saved = session.client("ssm").get_parameter(Name=names.scale_state_parameter(ENV))
    assert json.loads(saved["Parameter"]["Value"])
    ops("scale", "--to", "restore", "--yes")
    assert rds_state() == "available"
    assert desired() == [1, 1]
    assert rule_states() == {"ENABLED"}


def test_secrets_set_then_check(local_aws: Any, deployed: dict[str, Any]) -> None:
    for key in names.API_KEY_NAMES:
        ops("secrets", "set", key, "--yes", stdin="e2e-value")
    ops("secrets", "check")
    secret_arn = deployed[names.stack_name(ENV, names.DATA)][names.Outputs.APP_SECRET_ARN]
    value = local_aws.session.client("secretsmanager").get_secret_value(SecretId=secret_arn)
    document = json.loads(value["SecretString"])
    assert all(document[key] == "e2e-value" for key in names.API_KEY_NAMES)


def test_alarm_test_sets_the_catalog_alarm(local_aws: Any, deployed: Any) -> None:
    alarm_name = names.alarm_name(ENV, ALARMS[0].id)
    output = ops("alarms", "test", ALARMS[0].id, "--yes").output
    assert alarm_name in output
    [alarm] = local_aws.session.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name])[
        "MetricAlarms"
    ]
    assert alarm["StateValue"] == "OK"
    assert alarm["StateReason"] == "ops alarms test: OK"


def test_preflight_against_the_local_aws(local_aws: Any, deployed: Any) -> None:
    """Deployed through the CloudFormation API (no `cdk bootstrap`, so no service role on the
    stacks either): those checks fail."""
    for key in names.API_KEY_NAMES:
        ops("secrets", "set", key, "--yes", stdin="e2e-value")
    result = CliRunner().invoke(cli, ["preflight", "--env", ENV, "--json"])
    assert result.exit_code == 1, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    verdicts = {name: row["verdict"] for name, row in rows.items()}
    assert verdicts == {
        "credentials": "PASS",
        "cdk bootstrap": "FAIL",
        "secrets": "PASS",
        "certificate": "PASS",
        "alarm subscription": "WARN",  # confirmed, but the shipped example recipient
        "quota: elastic IPs": "WARN",  # the local AWS has no Service Quotas for EC2/Fargate
        "quota: Fargate vCPUs": "WARN",
        "database": "PASS",
        "parking schedule": "FAIL",  # `cdk deploy` would have left its execution role
    }
    assert "email:oncall@example.com" in rows["alarm subscription"]["detail"]
    assert rows["certificate"]["detail"].startswith("none: plain HTTP, acknowledged")
    public_url = deployed[names.stack_name(ENV, names.SERVICE)][names.Outputs.PUBLIC_URL]
    assert public_url.startswith("http://")  # local: plain HTTP, acknowledged in local.yaml
    assert public_url in ops("status").output
