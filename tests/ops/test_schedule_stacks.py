"""Parking from inside the account: the staged templates deployed in order, waiting, refusing."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.errors import OpsError
from ops.results import Report
from ops.schedule import handler as entry
from ops.schedule.stacks import Deployer, Progress, StackTemplates
from stacks.contract import names

ENV = "test"
STACKS = [names.stack_name(ENV, part) for part in names.STACK_PARTS]


def _url(variant: str, stack: str) -> str:
    return f"https://s3.ap-southeast-2.amazonaws.com/bucket/{variant}-{stack}.json"


def _body(variant: str, stack: str) -> dict[str, Any]:
    return {
        "Parameters": {"BootstrapVersion": {"Type": "String", "Default": "/cdk/version"}},
        "Resources": {variant: {"Type": "AWS::SNS::Topic"}},
        "Description": stack,
    }


TEMPLATES = StackTemplates(
    running={s: _url("running", s) for s in STACKS},
    parked={s: _url("parked", s) for s in STACKS},
)


class FakeCloud:
    """CloudFormation that takes `steps` polls to finish an update, S3 with the staged bodies."""

    def __init__(self, *, steps: int = 1, fail: str | None = None) -> None:
        self.deployed = {s: _body("running", s) for s in STACKS}
        self.status = dict.fromkeys(STACKS, "CREATE_COMPLETE")
        self.remaining: dict[str, int] = {}
        self.target: dict[str, dict[str, Any]] = {}
        self.steps, self.fail = steps, fail
        self.updates: list[tuple[str, str, list[Any]]] = []

    def client(self, service: str) -> FakeCloud:
        return self

    # s3
    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        variant, _, stack = Key.removesuffix(".json").partition("-")
        return {"Body": io.BytesIO(json.dumps(_body(variant, stack)).encode())}

    # cloudformation
    def get_template(self, *, StackName: str, TemplateStage: str) -> dict[str, Any]:
        return {"TemplateBody": json.dumps(self.deployed[StackName])}

    def describe_stacks(self, *, StackName: str) -> dict[str, Any]:
        if StackName in self.remaining:
            self.remaining[StackName] -= 1
            if self.remaining[StackName] <= 0:
                del self.remaining[StackName]
                if StackName == self.fail:
                    self.status[StackName] = "UPDATE_ROLLBACK_COMPLETE"
                else:
                    self.status[StackName] = "UPDATE_COMPLETE"
                    self.deployed[StackName] = self.target[StackName]
        stack = {"StackStatus": self.status[StackName], "StackStatusReason": "boom"}
        stack["Parameters"] = [{"ParameterKey": "BootstrapVersion", "ParameterValue": "v"}]
        return {"Stacks": [stack]}

    def update_stack(self, **kw: Any) -> None:
        stack = kw["StackName"]
        self.updates.append((stack, kw["TemplateURL"], kw["Parameters"]))
        variant = "parked" if "/parked-" in kw["TemplateURL"] else "running"
        self.target[stack] = _body(variant, stack)
        self.status[stack] = "UPDATE_IN_PROGRESS"
        self.remaining[stack] = self.steps

    # elbv2 (no load balancer: nothing to lift)
    @property
    def exceptions(self) -> Any:
        return type("E", (), {"LoadBalancerNotFoundException": KeyError})

    def describe_load_balancers(self, **kw: Any) -> dict[str, Any]:
        return {"LoadBalancers": []}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _deployer(cloud: FakeCloud, clock: Clock | None = None) -> Deployer:
    clock = clock or Clock()
    return Deployer(cloud, ENV, TEMPLATES, poll_seconds=1, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def test_park_deploys_in_reverse_order_with_the_default_parameters() -> None:
    cloud = FakeCloud(steps=2)
    report = Report("park", ENV)
    assert _deployer(cloud).deploy(report, park=True, deadline=100) is Progress.DONE
    assert [u[0] for u in cloud.updates] == STACKS[::-1]
    assert all(url == TEMPLATES.parked[stack] for stack, url, _ in cloud.updates)
    assert all(params == [] for _, _, params in cloud.updates)  # BootstrapVersion: its default
    assert report.ok and cloud.deployed == {s: _body("parked", s) for s in STACKS}


def test_unpark_goes_in_dependency_order_and_skips_what_already_runs() -> None:
    cloud = FakeCloud()
    cloud.deployed = {s: _body("parked", s) for s in STACKS}
    cloud.deployed[STACKS[0]] = _body("running", STACKS[0])
    report = Report("unpark", ENV)
    assert _deployer(cloud).deploy(report, park=False, deadline=100) is Progress.DONE
    assert [u[0] for u in cloud.updates] == STACKS[1:]
    assert report.steps[0].detail == "already deployed"


def test_a_run_out_of_time_is_pending_and_the_next_goes_on() -> None:
    cloud, clock = FakeCloud(steps=50), Clock()
    first = Report("park", ENV)
    assert _deployer(cloud, clock).deploy(first, park=True, deadline=10) is Progress.PENDING
    assert len(cloud.updates) == 1 and "new run" in first.steps[-1].detail
    second = Report("park", ENV)
    assert _deployer(cloud, clock).deploy(second, park=True, deadline=1000) is Progress.DONE
    assert [u[0] for u in cloud.updates] == STACKS[::-1]  # the first stack was not updated twice


def test_a_failed_update_stops_the_deploy_with_its_reason() -> None:
    cloud = FakeCloud(fail=STACKS[2])
    report = Report("park", ENV)
    assert _deployer(cloud).deploy(report, park=True, deadline=100) is Progress.FAILED
    assert [u[0] for u in cloud.updates] == [STACKS[3], STACKS[2]]
    assert report.failed[0].detail == "UPDATE_ROLLBACK_COMPLETE: boom"


def test_a_stack_deployed_from_other_templates_is_refused_untouched() -> None:
    cloud = FakeCloud()
    cloud.deployed[STACKS[1]] = {"Resources": {"hand": {"Type": "AWS::SNS::Topic"}}}
    deployer = _deployer(cloud)
    report = Report("park", ENV)
    assert not deployer.refuse_foreign(report, deployer.variants())
    assert [s.resource for s in report.failed] == [STACKS[1]] and cloud.updates == []
    assert deployer.deploy(Report("park", ENV), park=True, deadline=100) is Progress.FAILED


def test_nothing_to_update_counts_as_done() -> None:
    class NoChange(FakeCloud):
        def update_stack(self, **kw: Any) -> None:
            error = {
                "Error": {"Code": "ValidationError", "Message": "No updates are to be performed."}
            }
            raise ClientError(error, "UpdateStack")  # type: ignore[arg-type]

    cloud = NoChange()
    cloud.deployed[STACKS[3]] = _body("running", STACKS[3])
    report = Report("park", ENV)
    assert _deployer(cloud).deploy(report, park=True, deadline=100) is Progress.DONE
    assert report.steps[0].detail == "no changes"


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        json.dumps({"running": {}}),
        json.dumps({"running": TEMPLATES.running, "parked": {STACKS[0]: _url("p", STACKS[0])}}),
        json.dumps({"running": TEMPLATES.running, "parked": dict.fromkeys(STACKS, "http://x")}),
    ],
)
def test_staged_templates_that_are_not_the_four_stacks_are_refused(raw: str) -> None:
    with pytest.raises(OpsError, match="OHMYCOINS_STACK_TEMPLATES"):
        StackTemplates.parse(raw, ENV)


def test_staged_templates_round_trip() -> None:
    raw = json.dumps({"running": TEMPLATES.running, "parked": TEMPLATES.parked})
    assert StackTemplates.parse(raw, ENV) == TEMPLATES


@pytest.mark.parametrize("value", [-1, entry.MAX_RESUMED + 1, "2", True, 1.5])
def test_an_invalid_resumed_count_is_refused(value: Any) -> None:
    with pytest.raises(OpsError, match="resumed"):
        entry._resumed({"resumed": value})


def test_going_on_invokes_the_function_asynchronously_with_the_next_count() -> None:
    calls: list[dict[str, Any]] = []

    class Lambda:
        def client(self, service: str) -> Lambda:
            assert service == "lambda"
            return self

        def invoke(self, **kw: Any) -> None:
            calls.append(kw)

    event = {"action": "down", "scheduled_time": "2026-12-07T07:00:00Z", "resumed": 2}
    entry.go_on(Lambda(), "fn", event, 2)  # type: ignore[arg-type]
    (call,) = calls
    assert call["InvocationType"] == "Event" and call["FunctionName"] == "fn"
    assert json.loads(call["Payload"]) == {**event, "resumed": 3}


@settings(max_examples=200, deadline=None)
@given(
    park=st.booleans(),
    start=st.lists(st.sampled_from(["running", "parked", "foreign"]), min_size=4, max_size=4),
    steps=st.integers(min_value=1, max_value=6),
    budgets=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=12),
)
def test_runs_with_any_budgets_reach_the_target_in_order_or_refuse(
    park: bool, start: list[str], steps: int, budgets: list[int]
) -> None:
    cloud, clock = FakeCloud(steps=steps), Clock()
    for stack, variant in zip(STACKS, start, strict=True):
        cloud.deployed[stack] = (
            {"Resources": {"hand": {"Type": "AWS::SNS::Topic"}}}
            if variant == "foreign"
            else _body(variant, stack)
        )
    target = "parked" if park else "running"
    order = STACKS[::-1] if park else STACKS
    outcome = Progress.PENDING
    for budget in [*budgets, 10_000]:  # the last run has time enough
        report = Report("scheduled", ENV)
        outcome = _deployer(cloud, clock).deploy(report, park=park, deadline=clock.now + budget)
        if outcome is not Progress.PENDING:
            break
        assert any(s.endswith("_IN_PROGRESS") for s in cloud.status.values())
    updated = [stack for stack, _, _ in cloud.updates]
    assert len(updated) == len(set(updated))  # each stack updated at most once
    assert updated == [s for s in order if s in updated]  # in the deploy order
    first_foreign = next((s for s in order if start[STACKS.index(s)] == "foreign"), None)
    if first_foreign is None:
        assert outcome is Progress.DONE
        assert cloud.deployed == {s: _body(target, s) for s in STACKS}
        assert updated == [s for s in order if start[STACKS.index(s)] != target]
    else:
        assert outcome is Progress.FAILED
        assert first_foreign not in updated  # refused, never overwritten
        assert updated == [
            s for s in order[: order.index(first_foreign)] if start[STACKS.index(s)] != target
        ]
