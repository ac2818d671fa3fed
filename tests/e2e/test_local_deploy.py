"""The synthesized `local` templates deploy into the local AWS and every resource really exists."""

from __future__ import annotations

import json
from typing import Any

from cdk_app.config import load
from localaws.deploy import LOCAL_ENV
from localaws.verify import verify
from stacks.contract import names, parked
from stacks.contract.alarm_catalog import ALARMS


def test_every_stack_deploys(local_aws: Any) -> None:
    scheduled = load(LOCAL_ENV).schedule is not None
    expected = {names.stack_name(LOCAL_ENV, p) for p in names.stack_parts(scheduled=scheduled)}
    assert set(local_aws.outputs) == expected


def test_every_resource_of_every_stack_exists(local_aws: Any) -> None:
    reports = verify(local_aws.session, list(local_aws.outputs))
    assert sum(len(r.checked) for r in reports) > 50


def test_stack_outputs_honour_the_ops_contract(local_aws: Any) -> None:
    config = load(LOCAL_ENV)
    for part in names.OUTPUTS_BY_STACK:
        outputs = local_aws.outputs[names.stack_name(LOCAL_ENV, part)]
        for key in parked.outputs(config, part):  # local: plain HTTP, so no DistributionId
            assert outputs.get(key), f"{part} lacks output {key}"


def test_outputs_name_real_resources(local_aws: Any) -> None:
    session = local_aws.session
    data = local_aws.outputs[names.stack_name(LOCAL_ENV, names.DATA)]
    service = local_aws.outputs[names.stack_name(LOCAL_ENV, names.SERVICE)]
    monitoring = local_aws.outputs[names.stack_name(LOCAL_ENV, names.MONITORING)]
    rds = session.client("rds").describe_db_instances(
        DBInstanceIdentifier=data[names.Outputs.DATABASE_INSTANCE_ID]
    )
    assert rds["DBInstances"][0]["DBInstanceStatus"] == "available"
    secrets = session.client("secretsmanager")
    database_secret = json.loads(
        secrets.get_secret_value(SecretId=data[names.Outputs.DATABASE_SECRET_ARN])["SecretString"]
    )
    assert database_secret["host"] == rds["DBInstances"][0]["Endpoint"]["Address"]
    app_secret = json.loads(
        secrets.get_secret_value(SecretId=data[names.Outputs.APP_SECRET_ARN])["SecretString"]
    )
    assert set(names.APP_SECRET_KEYS) <= set(app_secret)
    cache = session.client("elasticache").describe_replication_groups(
        ReplicationGroupId=data[names.Outputs.CACHE_REPLICATION_GROUP_ID]
    )
    assert cache["ReplicationGroups"][0]["Status"] == "available"
    ecs = session.client("ecs")
    described = ecs.describe_services(
        cluster=service[names.Outputs.CLUSTER_NAME],
        services=[
            service[names.Outputs.BACKEND_SERVICE_NAME],
            service[names.Outputs.FRONTEND_SERVICE_NAME],
        ],
    )
    assert [s["status"] for s in described["services"]] == ["ACTIVE", "ACTIVE"]
    alarms = session.client("cloudwatch").describe_alarms(
        AlarmNamePrefix=names.resource_name(LOCAL_ENV, "")
    )["MetricAlarms"]
    catalog_names = {names.alarm_name(LOCAL_ENV, alarm.id) for alarm in ALARMS}
    assert catalog_names <= {a["AlarmName"] for a in alarms}
    for alarm in alarms:
        if alarm["AlarmName"] in catalog_names:
            assert alarm["AlarmActions"] == [monitoring[names.Outputs.ALARM_TOPIC_ARN]]


def test_the_apps_alarms_deploy_as_the_catalog_says(local_aws: Any) -> None:
    from stacks.contract import alarm_catalog

    session = local_aws.session
    wanted = [spec for spec in ALARMS if spec.collector or spec.id.startswith("ratelimit-")]
    found = session.client("cloudwatch").describe_alarms(
        AlarmNames=[names.alarm_name(LOCAL_ENV, spec.id) for spec in wanted]
    )["MetricAlarms"]
    by_name = {alarm["AlarmName"]: alarm for alarm in found}
    assert len(by_name) == len(wanted) == 2 + 2 * len(names.COLLECTORS)
    for spec in wanted:
        alarm = by_name[names.alarm_name(LOCAL_ENV, spec.id)]
        assert alarm["Namespace"] == alarm_catalog.APP_NAMESPACE
        assert alarm["MetricName"] == spec.metrics[0].name
        assert alarm["TreatMissingData"] == spec.treat_missing_data
        assert alarm["ActionsEnabled"] is True
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert dimensions["Environment"] == LOCAL_ENV
        if spec.collector:
            assert dimensions["Collector"] == spec.collector
