"""Collector runs write one EMF line each; replayed through the catalog's alarms, a rejected key
raises `collector-<name>-failing` and runs without success raise `collector-<name>-stale`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alarm_replay import ALARM, OK, state
from app.collect.registry import COLLECTORS
from app.collect.runner import run_collector
from emf_spec import emf_lines, metric_names, problems

from stacks.contract import alarm_catalog
from stacks.contract.collector_schedule import interval_seconds

NOW = datetime(2026, 11, 25, 9, 41, tzinfo=UTC)
SCHEDULE = "rate(1 hour)"


def _run(name, api, session, api_key, sleeps, capsys) -> dict:
    """One run; returns its single EMF line (stdout holds nothing else)."""
    capsys.readouterr()
    run_collector(
        COLLECTORS[name],
        api_key=api_key,
        session=session,
        client=api.client(),
        sleep=sleeps.append,
        now=NOW,
    )
    (event,) = emf_lines(capsys.readouterr().out)
    assert problems(event) == []
    return event


def _alarm(name: str, kind: str) -> alarm_catalog.AlarmSpec:
    """The alarm as an environment running `name` on SCHEDULE deploys it."""
    specs = alarm_catalog.for_environment({}, {name: interval_seconds(SCHEDULE)})
    (spec,) = [s for s in specs if s.id == f"collector-{name}-{kind}"]
    return spec


def _sources(env_name: str):
    """The Monitoring stack's metric sources, with stand-ins for the other stacks' resources."""
    from stacks.metrics import MetricSources

    return MetricSources(
        db_instance_id="db",
        replication_group_id=None,
        redis_nodes=0,
        alb_full_name=None,
        target_group_full_names={},
        cluster_name="cluster",
        service_names={},
        env_name=env_name,
    )


def _pages(recorded, name: str) -> list[tuple[int, object]]:
    return [(200, recorded(f"{name}_page{i}")) for i in (1, 2)]


@pytest.mark.parametrize("name", sorted(COLLECTORS))
def test_a_successful_run_writes_the_catalogs_metrics(
    db_session, fake_api, recorded, api_key, sleeps, capsys, name
) -> None:
    event = _run(name, fake_api(*_pages(recorded, name)), db_session, api_key, sleeps, capsys)
    watched = {m.name for a in alarm_catalog.ALARMS if a.collector == name for m in a.metrics} | {
        m.namespace for a in alarm_catalog.ALARMS if a.collector == name for m in a.metrics
    }
    assert watched == {"FailedRunsInARow", "SuccessfulRuns", alarm_catalog.APP_NAMESPACE}
    directive = event["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == alarm_catalog.APP_NAMESPACE
    # The alarms' dimensions (stacks/metrics.py) are exactly the line's, with its values.
    sources = _sources(event["Environment"])
    (dimensions,) = sources.dimensions(alarm_catalog.Source.COLLECTOR, collector=name)
    assert directive["Dimensions"] == [list(dimensions)]
    assert {key: event[key] for key in dimensions} == dimensions
    assert metric_names(event) == {
        "SuccessfulRuns", "FailedRunsInARow", "ItemsFetched", "ItemsStored", "RunDuration",
    }  # fmt: skip
    assert (event["Collector"], event["Status"], event["Errors"]) == (name, "success", [])
    assert (event["SuccessfulRuns"], event["FailedRunsInARow"]) == (1, 0)
    assert (event["ItemsFetched"], event["ItemsStored"]) == (3, 3)
    assert event["RunDuration"] >= 0


def test_a_rejected_key_fails_runs_in_a_row_and_raises_failing(
    db_session, fake_api, recorded, api_key, sleeps, capsys
) -> None:
    """The recorded 401 of a revoked key: failed runs, never `success` with zero items."""
    interval = interval_seconds(SCHEDULE)
    failing = _alarm("nansen", "failing")
    points: list[tuple[float, float]] = []
    states = []
    for run in range(3):
        api = fake_api((401, {"message": "Invalid API key"}))
        event = _run("nansen", api, db_session, api_key, sleeps, capsys)
        assert (event["Status"], event["SuccessfulRuns"], event["ItemsFetched"]) == ("failed", 0, 0)
        assert "HTTP 401" in event["Errors"][0] and "NANSEN_API_KEY" in event["Errors"][0]
        assert api_key not in str(event)
        at = run * interval + 30
        points.append((at, event["FailedRunsInARow"]))
        states.append(state(failing, points, at=at + 120))
    assert [v for _, v in points] == [1, 2, 3]
    assert states == [OK, ALARM, ALARM]
    # Between runs (no datapoint) the alarm keeps its state, then a good run clears it.
    assert state(failing, points, at=3 * interval, previous=ALARM) == ALARM
    good = fake_api(*_pages(recorded, "nansen"))
    event = _run("nansen", good, db_session, api_key, sleeps, capsys)
    points.append((3 * interval + 30, event["FailedRunsInARow"]))
    assert event["FailedRunsInARow"] == 0
    assert state(failing, points, at=3 * interval + 150, previous=ALARM) == OK


def test_runs_without_success_raise_stale_and_no_run_at_all_does_too(
    db_session, fake_api, recorded, api_key, sleeps, capsys
) -> None:
    interval = interval_seconds(SCHEDULE)
    stale = _alarm("cryptopanic", "stale")
    assert stale.period_seconds == alarm_catalog.STALE_INTERVALS * interval
    ok = _run("cryptopanic", fake_api(*_pages(recorded, "cryptopanic")), db_session, api_key,
              sleeps, capsys)  # fmt: skip
    points = [(30.0, float(ok["SuccessfulRuns"]))]
    for run in range(1, 4):
        event = _run("cryptopanic", fake_api((500, {}), (500, {}), (500, {}), (500, {}), (500, {})),
                     db_session, api_key, sleeps, capsys)  # fmt: skip
        assert event["Status"] == "failed" and event["SuccessfulRuns"] == 0
        points.append((run * interval + 30, float(event["SuccessfulRuns"])))
    assert state(stale, points, at=2 * interval + 60) == OK  # the success is inside the window
    assert state(stale, points, at=3 * interval + 60) == ALARM  # three intervals, no success
    assert state(stale, [], at=10 * interval) == ALARM  # paused or never started: no data
    later = [*points, (4 * interval, 1.0)]
    assert state(stale, later, at=4 * interval + 60) == OK


def test_a_disabled_run_is_no_success_and_no_failure(db_session, fake_api, sleeps, capsys) -> None:
    event = _run("newscatcher", fake_api(), db_session, None, sleeps, capsys)
    assert (event["Status"], event["SuccessfulRuns"], event["FailedRunsInARow"]) == (
        "disabled",
        0,
        0,
    )
    assert "NEWSCATCHER_API_KEY is not set" in event["Errors"][0]


def test_partial_runs_count_as_success_and_break_a_streak(
    db_session, fake_api, recorded, api_key, sleeps, capsys
) -> None:
    first = _run("newscatcher", fake_api((401, {})), db_session, api_key, sleeps, capsys)
    assert first["FailedRunsInARow"] == 1
    api = fake_api((200, recorded("newscatcher_page1")), (403, {"message": "Plan limit"}))
    partial = _run("newscatcher", api, db_session, api_key, sleeps, capsys)
    assert (partial["Status"], partial["SuccessfulRuns"], partial["FailedRunsInARow"]) == (
        "partial",
        1,
        0,
    )
    assert partial["ItemsStored"] == 2


def test_an_unreachable_database_still_writes_a_failed_run(fake_api, api_key, sleeps, capsys):
    from sqlalchemy import create_engine
    from sqlmodel import Session

    engine = create_engine("postgresql+psycopg://nobody:x@127.0.0.1:1/none")
    with Session(engine) as session, pytest.raises(Exception):  # noqa: B017 - any driver error
        run_collector(
            COLLECTORS["cryptopanic"], api_key=api_key, session=session,
            client=fake_api().client(), sleep=sleeps.append, now=NOW,
        )  # fmt: skip
    (event,) = emf_lines(capsys.readouterr().out)
    assert (event["Status"], event["FailedRunsInARow"]) == ("failed", 1)
    assert problems(event) == []
