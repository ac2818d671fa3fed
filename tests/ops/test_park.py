"""`ops park` / `ops unpark`: cdk deploy faked at the subprocess boundary, scaling real on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from click.testing import CliRunner
from moto import mock_aws

from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.cli import cli
from ops.context import OpsContext
from ops.cost.estimate import Estimate, Line
from ops.envs import region_of
from ops.errors import OpsError
from ops.scale import park as parking
from ops.scale import state as scale_state
from stacks.contract import alarm_catalog, names

ENV = "staging"
REGION = region_of(ENV)
CLUSTER = names.resource_name(ENV, "cluster")
SERVICE_NAMES = {role: names.resource_name(ENV, role) for role in names.SERVICES}
DB = names.resource_name(ENV, "postgres")
CONTEXT = ["-c", f"env={ENV}"]
PUBLIC_URL = "https://d111111abcdef8.cloudfront.net"
PARK_COMMANDS = [
    ["npx", "cdk", "deploy", "--exclusively", f"OhMyCoins-{ENV}-{part}", *CONTEXT]
    + ["-c", "parked=true", "--require-approval", "never"]
    for part in ("Monitoring", "Service", "Data", "Network")
]
UNPARK_COMMANDS = [
    ["npx", "cdk", "deploy", "--all", *CONTEXT, "-c", "parked=false"]
    + ["--require-approval", "never"]
]


class FakeCdk:
    """Records every command line; fails the command whose index is `fail_at`."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.commands: list[list[str]] = []
        self.fail_at = fail_at

    def __call__(self, command: Sequence[str]) -> int:
        self.commands.append(list(command))
        return 1 if len(self.commands) - 1 == self.fail_at else 0


def _burn(state: str, usd: float):
    line = Line(resource="x", quantity=1, unit="u", unit_usd=usd, price="p", monthly_usd=usd)
    return lambda: Estimate(state=state, region=REGION, lines=[line])


def _stack(cfn: Any, part: str, outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Marker": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cfn.create_stack(StackName=names.stack_name(ENV, part), TemplateBody=json.dumps(template))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A deployed-looking staging env on moto: services at 2 and 1 tasks, RDS available."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # no instance here: EC2 without public AMIs
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        aws = Aws(region=REGION)
        ecs = aws.client("ecs")
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(
            family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 512}]
        )
        scaling = aws.client("application-autoscaling")
        for role, desired in (("backend", 2), ("frontend", 1)):
            ecs.create_service(
                cluster=CLUSTER,
                serviceName=SERVICE_NAMES[role],
                taskDefinition="app",
                desiredCount=desired,
            )
            scaling.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=f"service/{CLUSTER}/{SERVICE_NAMES[role]}",
                ScalableDimension="ecs:service:DesiredCount",
                MinCapacity=desired,
                MaxCapacity=6,
            )
        aws.client("rds").create_db_instance(
            DBInstanceIdentifier=DB,
            DBInstanceClass="db.t3.small",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password-1",
        )
        for alarm_id in alarm_catalog.ALARM_IDS:
            aws.client("cloudwatch").put_metric_alarm(
                AlarmName=names.alarm_name(ENV, alarm_id),
                MetricName="CPUUtilization",
                Namespace="AWS/RDS",
                Statistic="Average",
                Period=300,
                EvaluationPeriods=1,
                Threshold=80,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                ActionsEnabled=True,
            )
        cfn = aws.client("cloudformation")
        _stack(cfn, names.DATA, {names.Outputs.DATABASE_INSTANCE_ID: DB})
        _stack(
            cfn,
            names.SERVICE,
            {
                names.Outputs.CLUSTER_NAME: CLUSTER,
                names.Outputs.BACKEND_SERVICE_NAME: SERVICE_NAMES["backend"],
                names.Outputs.FRONTEND_SERVICE_NAME: SERVICE_NAMES["frontend"],
                names.Outputs.PUBLIC_URL: PUBLIC_URL,
                names.Outputs.DISTRIBUTION_ID: "E2EXAMPLE",
            },
        )
        yield aws


def _desired(aws: Aws) -> dict[str, int]:
    found = aws.client("ecs").describe_services(
        cluster=CLUSTER, services=list(SERVICE_NAMES.values())
    )["services"]
    return {s["serviceName"]: s["desiredCount"] for s in found}


def _rds_status(aws: Aws) -> str:
    instance = aws.client("rds").describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]
    return str(instance["DBInstanceStatus"])


def _actions_enabled(aws: Aws) -> set[bool]:
    alarms = aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return {alarm["ActionsEnabled"] for alarm in alarms}


def _park(aws: Aws, cdk: FakeCdk, **kwargs: Any):
    return parking.park(
        aws, StackOutputs(aws, ENV), ENV, before=_burn("current", 300.0),
        after=_burn("current", 12.0), run=cdk, poll_seconds=0.01, **kwargs,
    )  # fmt: skip


def _unpark(aws: Aws, cdk: FakeCdk, **kwargs: Any):
    return parking.unpark(
        aws, ENV, before=_burn("current", 12.0), after=_burn("current", 300.0),
        run=cdk, poll_seconds=0.01, **kwargs,
    )  # fmt: skip


def test_park_scales_to_zero_then_deploys_parked_stacks_in_reverse_order(aws: Aws) -> None:
    cdk = FakeCdk()
    report = _park(aws, cdk)
    assert report.ok, report.text()
    assert cdk.commands == PARK_COMMANDS
    assert set(_desired(aws).values()) == {0}
    assert _rds_status(aws) == "stopped"
    assert _actions_enabled(aws) == {False}
    assert scale_state.load(aws, ENV).services["backend"].desired == 2
    costs = [s.detail for s in report.steps if s.resource == "monthly cost"]
    assert costs == ["$300.00 (current)", "$12.00 (current)"]


def test_park_dry_run_changes_nothing_and_runs_no_deploy(aws: Aws) -> None:
    cdk = FakeCdk()
    report = _park(aws, cdk, dry_run=True)
    assert report.ok and cdk.commands == []
    assert _desired(aws) == {SERVICE_NAMES["backend"]: 2, SERVICE_NAMES["frontend"]: 1}
    assert _rds_status(aws) == "available"
    assert scale_state.load(aws, ENV) is None
    shown = [s.detail for s in report.steps if s.action == "would deploy parked"]
    assert shown == [" ".join(c) for c in PARK_COMMANDS]


def test_failed_deploy_stops_the_sequence_and_keeps_the_saved_state(aws: Aws) -> None:
    cdk = FakeCdk(fail_at=1)
    report = _park(aws, cdk)
    assert not report.ok
    assert cdk.commands == PARK_COMMANDS[:2]
    assert [s.resource for s in report.failed] == [f"OhMyCoins-{ENV}-Service"]
    assert scale_state.load(aws, ENV) is not None


def test_unpark_refuses_without_saved_state(aws: Aws) -> None:
    cdk = FakeCdk()
    with pytest.raises(OpsError, match="refusing to unpark staging: no saved scale state"):
        _unpark(aws, cdk)
    assert cdk.commands == []


def test_park_then_unpark_deploys_everything_then_restores(aws: Aws) -> None:
    assert _park(aws, FakeCdk()).ok
    cdk = FakeCdk()
    report = _unpark(aws, cdk)
    assert report.ok, report.text()
    assert cdk.commands == UNPARK_COMMANDS
    assert _desired(aws) == {SERVICE_NAMES["backend"]: 2, SERVICE_NAMES["frontend"]: 1}
    assert _rds_status(aws) == "available"
    assert _actions_enabled(aws) == {True}
    assert scale_state.load(aws, ENV).restored_at
    (note,) = (s.detail for s in report.steps if s.resource == "public URL")
    assert note == f"public URL unchanged (CloudFront): {PUBLIC_URL}"
    with pytest.raises(OpsError, match="it was restored at"):
        _unpark(aws, FakeCdk())


def test_cli_park_dry_run_json(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    cdk = FakeCdk()
    monkeypatch.setattr(parking, "run_cdk", cdk)
    monkeypatch.setattr(
        "ops.cost.environment.current_burn", lambda aws, env: _burn("current", 300.0)()
    )
    monkeypatch.setattr(
        "ops.cost.environment.estimate_states", lambda env, states: [_burn(states[0], 12.0)()]
    )
    obj = OpsContext(region=REGION)
    obj._aws[ENV] = aws
    result = CliRunner().invoke(cli, ["park", "--env", ENV, "--dry-run", "--json"], obj=obj)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["dry_run"] is True and cdk.commands == []
    costs = [s["detail"] for s in data["steps"] if s["resource"] == "monthly cost"]
    assert costs == ["$300.00 (current)", "$12.00 (parked)"]


def test_cli_unpark_without_state_exits_1(aws: Aws) -> None:
    obj = OpsContext(region=REGION)
    obj._aws[ENV] = aws
    result = CliRunner().invoke(cli, ["unpark", "--env", ENV, "--yes"], obj=obj)
    assert result.exit_code == 1
    assert "no saved scale state" in result.output


def test_cli_park_yes_runs_the_deploys_through_the_subprocess_boundary(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    cdk = FakeCdk()
    monkeypatch.setattr(parking, "run_cdk", cdk)
    monkeypatch.setattr(parking, "_require_cdk", lambda: None)
    monkeypatch.setattr(
        "ops.cost.environment.current_burn", lambda aws, env: _burn("current", 50.0)()
    )
    obj = OpsContext(region=REGION)
    obj._aws[ENV] = aws
    result = CliRunner().invoke(cli, ["park", "--env", ENV, "--yes", "--json"], obj=obj)
    assert result.exit_code == 0, result.output
    assert cdk.commands == PARK_COMMANDS
    assert set(_desired(aws).values()) == {0}
    assert json.loads(result.stdout)["ok"] is True
    assert "keep_rds_stopped is false" not in result.stderr  # staging keeps RDS stopped


def test_cli_park_warns_when_rds_would_restart_after_7_days(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from cdk_app import config as config_module

    real_load = config_module.load
    monkeypatch.setattr(
        config_module,
        "load",
        lambda env, **kw: dataclasses.replace(real_load(env, **kw), keep_rds_stopped=False),
    )
    monkeypatch.setattr(parking, "run_cdk", FakeCdk())
    monkeypatch.setattr(parking, "_require_cdk", lambda: None)
    monkeypatch.setattr(
        "ops.cost.environment.current_burn", lambda aws, env: _burn("current", 50.0)()
    )
    obj = OpsContext(region=REGION)
    obj._aws[ENV] = aws
    result = CliRunner().invoke(cli, ["park", "--env", ENV, "--yes"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "keep_rds_stopped is false for staging" in result.stderr


def test_park_without_the_cdk_cli_refuses_before_changing_anything(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parking.shutil, "which", lambda name: None)
    with pytest.raises(OpsError, match="CDK CLI is not installed"):
        parking.park(
            aws, StackOutputs(aws, ENV), ENV, before=_burn("x", 1.0), after=_burn("x", 1.0)
        )
    assert _desired(aws) == {SERVICE_NAMES["backend"]: 2, SERVICE_NAMES["frontend"]: 1}
    assert scale_state.load(aws, ENV) is None


def test_url_note_warns_when_plain_http_moves_the_url(aws: Aws) -> None:
    cfn = aws.client("cloudformation")
    cfn.delete_stack(StackName=names.stack_name(ENV, names.SERVICE))
    _stack(cfn, names.SERVICE, {names.Outputs.PUBLIC_URL: "http://new-alb.example"})
    note = parking.url_note(aws, ENV)
    assert "has changed" in note and note.endswith("http://new-alb.example")
    cfn.delete_stack(StackName=names.stack_name(ENV, names.SERVICE))
    assert parking.url_note(aws, ENV).startswith("not read: stack OhMyCoins-staging-Service")


def _protected_alb(aws: Aws) -> str:
    """An ALB named as the stacks name it, with deletion protection on (as in production)."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    elbv2 = aws.client("elbv2")
    arn = elbv2.create_load_balancer(Name=names.resource_name(ENV, "alb"), Subnets=subnets)[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
    )
    return str(arn)


def _protection(aws: Aws, arn: str) -> str:
    attributes = aws.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)
    (value,) = (
        a["Value"] for a in attributes["Attributes"] if a["Key"] == "deletion_protection.enabled"
    )
    return str(value)


def test_park_lifts_the_load_balancers_deletion_protection_before_deploying(aws: Aws) -> None:
    arn = _protected_alb(aws)
    dry = _park(aws, FakeCdk(), dry_run=True)
    assert _protection(aws, arn) == "true"
    assert "would lift deletion protection" in [s.detail for s in dry.steps]
    cdk = FakeCdk()
    report = _park(aws, cdk)
    assert report.ok, report.text()
    assert _protection(aws, arn) == "false"
    assert cdk.commands == PARK_COMMANDS
    lifted = [s for s in report.steps if s.resource == "load balancer"]
    assert lifted and lifted[0].detail.startswith("deletion protection lifted")


def test_park_stops_before_deploying_when_the_protection_cannot_be_lifted(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from ops import load_balancer

    arn = _protected_alb(aws)

    def denied(aws: Aws, env: str, *, dry_run: bool) -> str:
        error = {"Error": {"Code": "AccessDenied", "Message": "not allowed"}}
        raise ClientError(error, "ModifyLoadBalancerAttributes")

    monkeypatch.setattr(parking, "lift_deletion_protection", denied)
    cdk = FakeCdk()
    report = _park(aws, cdk)
    assert not report.ok and cdk.commands == []
    assert [s.resource for s in report.failed] == ["load balancer"]
    assert load_balancer.lift_deletion_protection(aws, ENV, dry_run=True).startswith("would")
    assert _protection(aws, arn) == "true"


def test_lifting_the_protection_is_idempotent_and_tolerates_no_load_balancer(aws: Aws) -> None:
    from ops import load_balancer

    assert load_balancer.lift_deletion_protection(aws, ENV, dry_run=False).startswith("no load")
    arn = _protected_alb(aws)
    assert load_balancer.lift_deletion_protection(aws, ENV, dry_run=False).startswith("deletion")
    assert _protection(aws, arn) == "false"
    assert load_balancer.lift_deletion_protection(aws, ENV, dry_run=False) == (
        "deletion protection already off"
    )


def test_a_parked_env_refuses_a_persons_restore_until_unparked(aws: Aws) -> None:
    from ops.scale import engine

    assert _park(aws, FakeCdk()).ok
    state = scale_state.load(aws, ENV)
    assert state is not None and state.parked
    with pytest.raises(OpsError, match="ops unpark"):
        engine.restore(aws, ENV)  # its services would start without ALB, cache and NAT
    result = CliRunner().invoke(cli, ["scale", "--env", ENV, "--to", "restore", "--yes"])
    assert result.exit_code == 1 and "ops unpark" in result.output

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "StartDBInstance")

    aws.on("before-call.rds.StartDBInstance", deny)
    report = _unpark(aws, FakeCdk())
    assert not report.ok  # the stacks run again, the restore failed: a person may finish it
    state = scale_state.load(aws, ENV)
    assert state is not None and not state.parked and state.pending
