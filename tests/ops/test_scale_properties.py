"""Property: whatever ran before, faults included, `--to 0` then `restore` give back what was.

Hypothesis draws an environment (database up or stopped, an alarm muted, a desired count) and a
sequence of `ops` commands, each possibly hit by one fault (faults.py). A model says what each
command must do; after the sequence the faults are removed, a lock left by a killed run is
released as its message says, a pending restore is finished, and then `--to 0` and `restore` must
give back every desired count, autoscaling bound and suspension, alarm action, collector rule and
the database state. A failing example shrinks to a short list of command lines such as
`ops scale --to 0 [kill before call 7]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from faults import Fault, Injector, Killed, injected
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto_env import MUTED_BEFORE, Deployed, build

from ops import services, status
from ops.aws.session import Aws
from ops.errors import OpsError
from ops.results import Report
from ops.scale import count, engine, manual
from stacks.contract import names

ENV = "staging"
LOW, HIGH = 1, 3  # the autoscaling bounds moto_env registers
ALARMS = ("rds-cpu-high", "alb-5xx", MUTED_BEFORE)
SUSPENSIONS = (
    "DynamicScalingInSuspended",
    "DynamicScalingOutSuspended",
    "ScheduledScalingSuspended",
)

# --- the world, read with the test's own clients (never faulted) -------------------------------


@dataclass(frozen=True)
class World:
    """Everything `--to 0` and `restore` touch."""

    desired: tuple[tuple[str, int], ...]
    bounds: tuple[tuple[str, int, int, bool], ...]  # service, min, max, any scaling suspended
    alarms: tuple[tuple[str, bool], ...]
    rules: tuple[tuple[str, str], ...]
    db: str

    def alarm(self, name: str) -> bool:
        return dict(self.alarms)[name]


def read_world(d: Deployed) -> World:
    ecs = d.client("ecs").describe_services(
        cluster=d.ids["cluster"], services=[d.ids["backend"], d.ids["frontend"]]
    )["services"]
    targets = d.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")[
        "ScalableTargets"
    ]
    alarms = d.client("cloudwatch").describe_alarms()["MetricAlarms"]
    events = d.client("events")
    rules = d.ids["collector_rules"].split(",")
    db = d.client("rds").describe_db_instances(DBInstanceIdentifier=d.ids["db"])["DBInstances"][0]
    return World(
        desired=tuple(sorted((s["serviceName"], s["desiredCount"]) for s in ecs)),
        bounds=tuple(
            sorted(
                (
                    t["ResourceId"].rsplit("/", 1)[-1],
                    t["MinCapacity"],
                    t["MaxCapacity"],
                    any(t.get("SuspendedState", {}).values()),
                )
                for t in targets
            )
        ),
        alarms=tuple(sorted((a["AlarmName"], a["ActionsEnabled"]) for a in alarms)),
        rules=tuple(sorted((n, events.describe_rule(Name=n)["State"]) for n in rules)),
        db=db["DBInstanceStatus"],
    )


def _parameter(d: Deployed, name: str) -> str | None:
    found = d.client("ssm").get_parameters(Names=[name])["Parameters"]
    return str(found[0]["Value"]) if found else None


# --- the commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One `ops` command line, and the fault that hits it (if any)."""

    command: str  # "to 0", "restore", "to N", "status", "mute", "unmute", "rds stop", ...
    dry_run: bool = False
    count: int = 0
    service: str | None = None
    alarm: str = ""
    fault: Fault | None = None

    def __repr__(self) -> str:
        line = {
            "to 0": "ops scale --to 0",
            "restore": "ops scale --to restore",
            "to N": f"ops scale --to {self.count}"
            + (f" --service {self.service}" if self.service else ""),
            "status": "ops status",
            "mute": f"ops alarms mute {self.alarm}",
            "unmute": f"ops alarms unmute {self.alarm}",
            "rds stop": "ops rds stop",
            "rds start": "ops rds start",
            "release lock": "delete the lock the refusal names",
        }[self.command]
        dry = " --dry-run" if self.dry_run else ""
        return line + dry + (f" [{self.fault!r}]" if self.fault else "")

    @property
    def takes_lock(self) -> bool:
        return not self.dry_run and self.command not in ("status", "release lock")


calls = st.integers(0, 30)
faults = st.one_of(
    st.none(),
    st.builds(Fault, kind=st.just("throttle"), at=calls, times=st.sampled_from([1, 2, 6])),
    st.builds(Fault, kind=st.sampled_from(["denied", "kill"]), at=calls),
)
dry = st.booleans()
steps = st.one_of(
    st.builds(Step, command=st.just("to 0"), dry_run=dry, fault=faults),
    st.builds(Step, command=st.just("restore"), dry_run=dry, fault=faults),
    st.builds(
        lambda target, dry_run, fault: Step("to N", dry_run, *target, fault=fault),
        # `--to 0` without `--service` is the scale to zero, above
        target=st.tuples(st.integers(0, 4), st.sampled_from([None, "backend", "frontend"])).filter(
            lambda target: target != (0, None)
        ),
        dry_run=dry,
        fault=faults,
    ),
    st.builds(Step, command=st.just("status"), fault=faults),
    st.builds(Step, command=st.sampled_from(["mute", "unmute"]), alarm=st.sampled_from(ALARMS),
              dry_run=dry, fault=faults),
    st.builds(Step, command=st.sampled_from(["rds stop", "rds start"]), dry_run=dry, fault=faults),
    st.just(Step("release lock")),
)  # fmt: skip


@dataclass(frozen=True)
class Start:
    """The environment before the first command."""

    db_stopped: bool
    backend_desired: int
    alarm_muted: str

    def __repr__(self) -> str:
        db = "stopped" if self.db_stopped else "available"
        return f"db {db}, backend desired {self.backend_desired}, {self.alarm_muted} muted"


starts = st.builds(
    Start,
    db_stopped=st.booleans(),
    backend_desired=st.integers(LOW, HIGH),
    alarm_muted=st.sampled_from(ALARMS),
)

# --- running a command -------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # "ok", "failed" (a report with failed steps), "refused" (OpsError), "aws", "killed"
    message: str = ""


def run(d: Deployed, injector: Injector, step: Step) -> Outcome:
    """The command through its service-layer function, in a fresh process (a new Aws)."""
    aws = Aws(region=d.region)
    aws.on("before-call", injector.before_call)
    outputs = d.outputs(aws)
    alarm_ids = (step.alarm,) if step.alarm else ()
    calls: dict[str, Any] = {
        "to 0": lambda: engine.to_zero(aws, outputs, ENV, dry_run=step.dry_run, poll_seconds=0),
        "restore": lambda: engine.restore(aws, ENV, dry_run=step.dry_run, poll_seconds=0),
        "to N": lambda: count.to_count(
            aws,
            outputs,
            ENV,
            step.count,
            roles=(step.service,) if step.service else names.SERVICES,
            dry_run=step.dry_run,
        ),
        "status": lambda: status.collect(aws, outputs, ENV),
        "mute": lambda: manual.set_alarm_actions(
            aws, ENV, alarm_ids, enabled=False, dry_run=step.dry_run
        ),
        "unmute": lambda: manual.set_alarm_actions(
            aws, ENV, alarm_ids, enabled=True, dry_run=step.dry_run
        ),
        "rds stop": lambda: manual.stop_database(
            aws, ENV, d.ids["db"], dry_run=step.dry_run, poll_seconds=0
        ),
        "rds start": lambda: manual.start_database(
            aws, ENV, d.ids["db"], dry_run=step.dry_run, poll_seconds=0
        ),
    }
    try:
        result = calls[step.command]()
    except Killed as exc:
        return Outcome("killed", str(exc))
    except OpsError as exc:
        return Outcome("refused", exc.message)
    except Exception as exc:  # an AWS error outside a report's steps (the CLI prints it, exit 1)
        if type(exc).__module__.startswith("botocore"):
            return Outcome("aws", str(exc))
        raise
    if isinstance(result, Report) and not result.ok:
        return Outcome("failed", "; ".join(f"{s.resource}: {s.detail}" for s in result.failed))
    return Outcome("ok")


def release_lock(d: Deployed) -> None:
    """What the refusal says: the lock names its holder; delete the parameter it names."""
    from ops.scale.state import ScaleLock

    try:
        with ScaleLock(Aws(region=d.region), ENV):
            return  # no lock was left
    except OpsError as exc:
        found = re.search(r"lock (\S+) is held by (.+?)\. If that run is gone", exc.message)
        assert found, exc.message
        assert "pid" in found.group(2), exc.message  # the holder is named
        d.client("ssm").delete_parameter(Name=found.group(1))


# --- the model ---------------------------------------------------------------------------------


@dataclass
class Model:
    """What `ops` must have done: whether a saved state is pending and what restore owes."""

    saved: bool = False  # a scale state exists (pending or restored)
    owed: World | None = None  # pending: the world restore must give back (alarms as adjusted)
    locked: bool = False
    log: list[str] = field(default_factory=list)

    def sync(self, d: Deployed, before: World, step: Step) -> None:
        """After a faulted run: learn from the saved state whether it got saved or restored."""
        raw = _parameter(d, names.scale_state_parameter(ENV))
        self.locked = _parameter(d, names.scale_lock_parameter(ENV)) is not None
        if raw is None:
            assert self.owed is None, "a pending saved state disappeared"
            return
        document = json.loads(raw)
        self.saved = True
        pending = document["phase"] != "restored"
        if pending and self.owed is None:
            self.owed = before  # `--to 0` saved the world it found
        elif not pending:
            self.owed = None
        if self.owed is not None:  # mute/unmute while down may have reached the saved state
            saved_alarms: dict[str, bool] = document["alarms"]
            touched = names.alarm_name(ENV, step.alarm) if step.alarm else None
            changed = {n for n, on in self.owed.alarms if saved_alarms[n] != on}
            assert changed <= {touched}, f"{step!r} changed the saved actions of {changed}"
            self.owed = replace(self.owed, alarms=tuple(sorted(saved_alarms.items())))


def restored(owed: World, before: World) -> World:
    """What a successful restore leaves: the owed world; the database started if it was up."""
    was_up = owed.db not in ("stopped", "stopping")
    return replace(owed, db="available" if was_up else before.db)


def check_clean(d: Deployed, model: Model, step: Step, out: Outcome, before: World) -> None:
    """A run without a fault (or with one botocore absorbed): exactly what the model says."""
    after = read_world(d)
    where = f"{step!r}: {out.kind} {out.message}"
    if step.dry_run or step.command == "status":
        assert out.kind in ("ok", "failed", "refused"), where
        assert after == before, f"{where} changed the world"
        return
    if model.locked and step.takes_lock and not (step.command == "restore" and not model.owed):
        assert out.kind == "refused" and "is held by" in out.message, where
        assert after == before, where
        return
    db, alarm = d.ids["db"], names.alarm_name(ENV, step.alarm) if step.alarm else ""
    if step.command == "to 0":
        assert out.kind == "ok", where
        assert {n for n, c in after.desired if c} == set(), where
        assert all((lo, hi, susp) == (0, 0, True) for _, lo, hi, susp in after.bounds), where
        assert not any(on for _, on in after.alarms), where
        assert {s for _, s in after.rules} == {"DISABLED"}, where
        assert after.db == "stopped", where
        model.owed, model.saved = model.owed or before, True
    elif step.command == "restore":
        if model.owed is None:
            assert out.kind == ("ok" if model.saved else "refused"), where
            assert after == before, where
            return
        assert out.kind == "ok", where
        assert after == restored(model.owed, before), where
        model.owed = None
    elif step.command == "to N":
        if model.owed is not None:
            assert out.kind == "refused" and "scaled to zero" in out.message, where
            assert after == before, where
            return
        chosen = {d.ids[step.service]} if step.service else {d.ids["backend"], d.ids["frontend"]}
        if LOW <= step.count <= HIGH:
            assert out.kind == "ok", where
            assert {n: c for n, c in after.desired if n in chosen} == dict.fromkeys(
                chosen, step.count
            ), where
        else:
            assert out.kind == "failed", where
            assert after == before, f"{where}: a refused count changed something"
    elif step.command in ("mute", "unmute"):
        enabled = step.command == "unmute"
        assert out.kind == "ok", where
        if model.owed is None:
            assert after.alarm(alarm) is enabled, where
        else:
            assert after.alarm(alarm) is (before.alarm(alarm) and enabled), where
            owed = dict(model.owed.alarms) | {alarm: enabled}
            model.owed = replace(model.owed, alarms=tuple(sorted(owed.items())))
    elif step.command in ("rds stop", "rds start"):
        assert out.kind == "ok", where
        assert after.db == ("stopped" if step.command == "rds stop" else "available"), where
        assert (_parameter(d, names.rds_stop_parameter(ENV)) is not None) is (
            step.command == "rds stop"
        ), f"{where}: the stop mark"
    else:
        raise AssertionError(f"no model for {step!r} ({db})")


# --- the property ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Deployed, Injector]]:
    with pytest.MonkeyPatch.context() as mp:
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE", "OHMYCOINS_ENV"):
            mp.delenv(key, raising=False)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }.items():
            mp.setenv(key, value)
        mp.setattr("time.sleep", lambda _: None)  # botocore's retry back-off, ops's polling
        injector = Injector()
        with mock_aws(), injected(injector):
            yield build(), injector


def reset(d: Deployed, start: Start) -> None:
    """The drawn starting point: services 1..3 at their desired counts, alarms, rules, db."""
    ecs, scaling = d.client("ecs"), d.client("application-autoscaling")
    for role in names.SERVICES:
        scaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{d.ids['cluster']}/{d.ids[role]}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=LOW,
            MaxCapacity=HIGH,
            SuspendedState=dict.fromkeys(services.SUSPEND_ALL, False),
        )
        desired = start.backend_desired if role == "backend" else 1
        ecs.update_service(cluster=d.ids["cluster"], service=d.ids[role], desiredCount=desired)
    cloudwatch = d.client("cloudwatch")
    everything = [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]]
    cloudwatch.enable_alarm_actions(AlarmNames=everything)
    cloudwatch.disable_alarm_actions(AlarmNames=[names.alarm_name(ENV, start.alarm_muted)])
    events = d.client("events")
    for rule in d.ids["collector_rules"].split(","):
        events.enable_rule(Name=rule)
    events.disable_rule(Name=names.resource_name(ENV, "collect", "nansen"))
    rds, db = d.client("rds"), d.ids["db"]
    now = rds.describe_db_instances(DBInstanceIdentifier=db)["DBInstances"][0]["DBInstanceStatus"]
    if start.db_stopped and now != "stopped":
        rds.stop_db_instance(DBInstanceIdentifier=db)
    elif not start.db_stopped and now != "available":
        rds.start_db_instance(DBInstanceIdentifier=db)
    ssm = d.client("ssm")
    for name in (
        names.scale_state_parameter(ENV),
        names.scale_lock_parameter(ENV),
        names.rds_stop_parameter(ENV),
    ):
        if _parameter(d, name) is not None:
            ssm.delete_parameter(Name=name)


@settings(
    max_examples=15,  # about 15 s alone, 30 to 45 s on a loaded two-core machine
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(start=starts, sequence=st.lists(steps, max_size=7))
def test_to_zero_then_restore_gives_back_what_was(
    world: tuple[Deployed, Injector], start: Start, sequence: list[Step]
) -> None:
    d, injector = world
    reset(d, start)
    note(f"start: {start!r}")
    model = Model()
    for step in sequence:
        before = read_world(d)
        locked_before = _parameter(d, names.scale_lock_parameter(ENV)) is not None
        if step.command == "release lock":
            release_lock(d)
            model.locked = False
            continue
        injector.arm(step.fault)
        out = run(d, injector, step)
        fired = injector.fired
        injector.arm(None)
        note(f"{step!r} -> {out.kind} {out.message[:160]}")
        harmless = step.fault is not None and step.fault.kind == "throttle" and step.fault.times < 6
        if not fired or harmless or out.kind == "ok":
            check_clean(d, model, step, out, before)
            model.locked = _parameter(d, names.scale_lock_parameter(ENV)) is not None
            if not fired or harmless:
                assert model.locked is locked_before, f"{step!r} took or released the lock"
        else:
            model.sync(d, before, step)
    # the faults are gone; a killed run's lock is released as its message says
    release_lock(d)
    if model.owed is not None:
        before = read_world(d)
        assert run(d, injector, Step("restore")).kind == "ok", "the pending restore"
        assert read_world(d) == restored(model.owed, before), "restore gave back the wrong world"
    was = read_world(d)
    down = run(d, injector, Step("to 0"))
    assert down.kind == "ok", down.message
    up = run(d, injector, Step("restore"))
    assert up.kind == "ok", up.message
    assert read_world(d) == was, "--to 0 then restore did not give back what was"
