"""The scale schedule's construct: schedules with their zone, the bundled function, scoped IAM."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")

from aws_cdk import App, Environment, Stack, Validations  # noqa: E402
from aws_cdk import aws_kms as kms  # noqa: E402
from aws_cdk import aws_sns as sns  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from cdk_app.config import ScheduleConfig  # noqa: E402
from stacks.contract import names  # noqa: E402
from stacks.schedule import ACTIONS, HANDLER, ScaleSchedule, copy_sources  # noqa: E402
from stacks.validation.nag import acknowledge_scale_schedule  # noqa: E402

ACCOUNT, REGION = "111111111111", "ap-southeast-2"
SCHEDULE = ScheduleConfig(timezone="Australia/Sydney", up="Mon-Fri 08:00", down="Mon-Fri 18:00")
ALARMS = ["ohmycoins-test-alb-5xx", "ohmycoins-test-rds-cpu-high"]
RULES = ["ohmycoins-test-collect-nansen"]


def _stack(
    *, parked: bool = False, schedule: ScheduleConfig = SCHEDULE, account: str | None = ACCOUNT
) -> tuple[App, Stack]:
    app = App()
    stack = Stack(app, "Sched", env=Environment(account=account, region=REGION))
    topic = sns.Topic(stack, "Topic", master_key=kms.Key(stack, "Key", enable_key_rotation=True))
    construct = ScaleSchedule(
        stack,
        "ScaleSchedule",
        env_name="test",
        schedule=schedule,
        parked=parked,
        cluster_name="ohmycoins-test-cluster",
        instance_identifier="ohmycoins-test-db",
        alarm_names=ALARMS,
        collector_rule_names=[] if parked else RULES,
        topic=topic,
        log_retention_days=30,
    )
    acknowledge_scale_schedule(construct)
    return app, stack


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.from_stack(_stack()[1])


def _resolve(value: Any) -> Any:
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(str(_resolve(part)) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return {"AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}.get(value["Ref"], "REF")
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"GETATT:{value['Fn::GetAtt'][0]}"
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    return value


def _statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for logical_id, policy in template.find_resources("AWS::IAM::Policy").items()
        if logical_id.startswith(role_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_two_schedules_in_the_configured_zone_with_the_action_as_input(
    template: Template,
) -> None:
    schedules = {
        s["Properties"]["Name"]: s["Properties"]
        for s in template.find_resources("AWS::Scheduler::Schedule").values()
    }
    assert set(schedules) == {names.scale_schedule_name("test", d) for d in ("up", "down")}
    up = schedules[names.scale_schedule_name("test", "up")]
    down = schedules[names.scale_schedule_name("test", "down")]
    assert up["ScheduleExpression"] == "cron(0 8 ? * MON,TUE,WED,THU,FRI *)"
    assert down["ScheduleExpression"] == "cron(0 18 ? * MON,TUE,WED,THU,FRI *)"
    for direction, schedule in (("up", up), ("down", down)):
        assert schedule["ScheduleExpressionTimezone"] == "Australia/Sydney"
        assert schedule["State"] == "ENABLED"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        payload = json.loads(schedule["Target"]["Input"])
        assert payload == {
            "action": direction,
            "scheduled_time": "<aws.scheduler.scheduled-time>",
        }


@pytest.mark.parametrize(
    "options",
    [
        {"parked": True},
        {
            "schedule": ScheduleConfig(
                timezone="UTC", up="Mon 08:00", down="Mon 09:00", enabled=False
            )
        },
    ],
)
def test_parked_or_disabled_schedules_are_deployed_disabled(options: dict[str, Any]) -> None:
    template = Template.from_stack(_stack(**options)[1])
    states = {
        s["Properties"]["State"]
        for s in template.find_resources("AWS::Scheduler::Schedule").values()
    }
    assert states == {"DISABLED"}


def test_the_function_runs_the_ops_handler_without_retries(template: Template) -> None:
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    props = function["Properties"]
    assert props["Handler"] == HANDLER == "ops.schedule.handler.handler"
    assert props["Timeout"] == 900
    variables = props["Environment"]["Variables"]
    assert variables["OHMYCOINS_ENV"] == "test"
    assert variables["OHMYCOINS_PARKED"] == "false"
    assert variables["OHMYCOINS_SCHEDULE_ENABLED"] == "true"
    (config,) = template.find_resources("AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"]["MaximumRetryAttempts"] == 0


def test_every_permission_names_this_envs_resources(template: Template) -> None:
    statements = _statements(template, "ScaleScheduleRole")
    granted = {action for s in statements for action in _list(s["Action"])}
    assert {a for actions in ACTIONS.values() for a in actions} <= granted
    for statement in statements:
        resources = [_resolve(r) for r in _list(statement["Resource"])]
        actions = _list(statement["Action"])
        if any(a.startswith("application-autoscaling:") for a in actions):
            assert resources == ["*"]
            continue
        assert "*" not in resources, statement
        for resource in resources:
            if str(resource).startswith("arn:"):
                assert "test" in resource or "ohmycoins-test" in resource, resource
    ssm = next(s for s in statements if "ssm:PutParameter" in _list(s["Action"]))
    assert sorted(_resolve(r) for r in ssm["Resource"]) == sorted(
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{p}"
        for p in (
            names.scale_state_parameter("test"),
            names.scale_lock_parameter("test"),
            names.rds_stop_parameter("test"),
            names.schedule_parameter("test"),
            names.schedule_last_run_parameter("test"),
            names.db_rotation_deferred_parameter("test"),
        )
    )
    # A restore may start the database user's rotation: that one secret (any ARN suffix).
    rotate = next(s for s in statements if "secretsmanager:RotateSecret" in _list(s["Action"]))
    assert [_resolve(r) for r in _list(rotate["Resource"])] == [
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
        f"{names.app_database_secret('test')}-??????"
    ]
    alarms = next(s for s in statements if "cloudwatch:DisableAlarmActions" in _list(s["Action"]))
    assert [_resolve(r) for r in alarms["Resource"]] == [
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}" for name in ALARMS
    ]


def test_the_scheduler_may_invoke_only_this_function(template: Template) -> None:
    (statement,) = _statements(template, "ScaleScheduleSchedulerRole")
    assert statement["Action"] == "lambda:InvokeFunction"
    assert _resolve(statement["Resource"]).startswith("GETATT:ScaleScheduleFunction")


@pytest.mark.parametrize("account", [ACCOUNT, None])
def test_cdk_nag_passes_with_the_acknowledgements(account: str | None) -> None:
    app, _stack_ = _stack(account=account)  # a known account, or the deploy-time one
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on an unacknowledged finding


def test_local_bundling_copies_the_projects_modules(tmp_path: Path) -> None:
    copy_sources(tmp_path)
    for path in (
        "ops/schedule/handler.py",
        "ops/scale/engine.py",
        "stacks/__init__.py",
        "stacks/contract/names.py",
        "click/__init__.py",
    ):
        assert (tmp_path / path).is_file(), path
    assert not list(tmp_path.rglob("__pycache__"))
    assert not (tmp_path / "stacks" / "schedule.py").exists()  # no CDK code in the function


BLOCKER = """
import importlib.abc, sys
FORBIDDEN = {"yaml", "aws_cdk", "cdk_app", "constructs", "jsii", "localaws", "moto", "cdk_nag"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            raise ImportError(f"{name} is not in the function's bundle")
        return None
sys.meta_path.insert(0, Block())
sys.path = [p for p in sys.path if p not in ("", %(repo)r)]
sys.path.insert(0, %(bundle)r)
import ops.schedule.handler as h, ops.scale.engine, ops.schedule.run
assert h.__file__.startswith(%(bundle)r), h.__file__
print("imported", callable(h.handler))
"""


def test_the_bundle_imports_without_the_repository_yaml_or_the_cdk(tmp_path: Path) -> None:
    import subprocess
    import sys

    copy_sources(tmp_path)
    repo = str(Path(__file__).resolve().parents[2])
    script = BLOCKER % {"repo": repo, "bundle": str(tmp_path)}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported True"


@pytest.fixture(scope="module")
def staging_assembly(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """staging synthesized as `cdk synth` does, running and parked (`-c parked=true`)."""
    from dataclasses import replace

    from cdk_app.config import load
    from cdk_app.synth import synthesize

    found = {}
    for parked in (False, True):
        out = tmp_path_factory.mktemp(f"staging-parked-{parked}")
        synthesize(replace(load("staging"), parked=parked), outdir=str(out), validate=False)
        found[parked] = out
    return found


@pytest.mark.synth
def test_the_staged_templates_are_exactly_what_cdk_deploys(
    staging_assembly: dict[bool, Path],
) -> None:
    running, parked = staging_assembly[False], staging_assembly[True]
    staged = {path.read_text() for path in running.glob("asset.*.json")}
    for part in names.STACK_PARTS:
        stack = names.stack_name("staging", part)
        assert (running / f"{stack}.template.json").read_text() in staged, f"{stack} running"
        assert (parked / f"{stack}.template.json").read_text() in staged, f"{stack} parked"
    # the parked synthesis (what `ops park` deploys) carries no templates: nothing to park to
    assert not list(parked.glob("asset.*.json"))


@pytest.mark.synth
def test_the_function_may_deploy_only_the_staged_templates(
    staging_assembly: dict[bool, Path],
) -> None:
    from stacks.contract.schedule import TEMPLATES_VARIABLE

    stack = names.stack_name("staging", names.SCHEDULE)
    template = json.loads((staging_assembly[False] / f"{stack}.template.json").read_text())
    (function,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    assert TEMPLATES_VARIABLE in function["Properties"]["Environment"]["Variables"]
    statements = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    updates = [s for s in statements if "cloudformation:UpdateStack" in _list(s["Action"])]
    (update,) = updates
    urls = update["Condition"]["StringEquals"]["cloudformation:TemplateUrl"]
    assert len(urls) == 2 * len(names.STACK_PARTS)  # running and parked, nothing else
    resources = {str(_resolve(r)).split(":stack/")[-1] for r in _list(update["Resource"])}
    assert resources == {f"{names.stack_name('staging', p)}/*" for p in names.STACK_PARTS}


@pytest.mark.parametrize("validate", [True, False])
def test_a_validating_synthesis_checks_the_parked_templates_it_stages(
    tmp_path: Path, validate: bool
) -> None:
    from aws_cdk import aws_s3 as s3

    from cdk_app.synth import template_app

    for parked in (True, False):
        app = template_app(str(tmp_path / f"{parked}"), parked, region=REGION, validate=validate)
        s3.Bucket(Stack(app, "Unchecked", env=Environment(region=REGION)), "NoLogsNoSsl")
        if validate and parked:  # cdk-nag and cfn-lint run on the parked variant
            with pytest.raises(RuntimeError, match="AwsSolutions-S1"):
                app.synth()
        else:  # the running variant is the deploying app's own, checked there
            app.synth()
