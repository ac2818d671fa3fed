"""Collector runs against the real PostgreSQL: idempotent upserts, run records, disabled keys."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

import pytest
from app.collect.registry import COLLECTORS
from app.collect.runner import run_collector
from app.models import CollectorRun, NewsItem, SmartMoneyFlow
from sqlmodel import Session, func, select

NOW = datetime(2026, 11, 25, 9, 41, tzinfo=UTC)


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def run(name, api, session, api_key, sleeps):
    return run_collector(
        COLLECTORS[name],
        api_key=api_key,
        session=session,
        client=api.client(),
        sleep=sleeps.append,
        now=NOW,
    )


def pages(recorded, name, n=2):
    return [(200, recorded(f"{name}_page{i}")) for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("name", "model", "expected"),
    [("cryptopanic", NewsItem, 3), ("newscatcher", NewsItem, 3), ("nansen", SmartMoneyFlow, 3)],
)
def test_a_rerun_stores_no_duplicates(
    db_session, fake_api, recorded, api_key, sleeps, name, model, expected
):
    first = run(name, fake_api(*pages(recorded, name)), db_session, api_key, sleeps)
    assert (first.status, first.fetched, first.stored, first.exit_code) == ("success", 3, 3, 0)
    assert count(db_session, model) == expected

    second = run(name, fake_api(*pages(recorded, name)), db_session, api_key, sleeps)
    assert (second.status, second.fetched, second.stored) == ("success", 3, 0)
    assert count(db_session, model) == expected

    runs = db_session.exec(select(CollectorRun).where(CollectorRun.collector == name)).all()
    assert [(r.status, r.fetched, r.stored, r.errors) for r in runs] == [
        ("success", 3, 3, []),
        ("success", 3, 0, []),
    ]
    assert all(r.finished_at is not None and r.finished_at >= r.started_at for r in runs)


def test_stored_news_keeps_timezones_and_currencies(
    db_session, fake_api, recorded, api_key, sleeps
):
    run("cryptopanic", fake_api(*pages(recorded, "cryptopanic")), db_session, api_key, sleeps)
    item = db_session.exec(select(NewsItem).where(NewsItem.external_id == "24460877")).one()
    assert item.source == "cryptopanic"
    assert item.published_at == datetime(2026, 11, 24, 20, 2, 41, tzinfo=UTC)
    assert item.currencies == ["ETH", "SOL"]


def test_429_with_retry_after_then_success_is_recorded_as_success(
    db_session, fake_api, recorded, api_key, sleeps
):
    api = fake_api(
        (429, {"detail": "Request was throttled."}, {"Retry-After": "3"}),
        *pages(recorded, "cryptopanic"),
    )
    outcome = run("cryptopanic", api, db_session, api_key, sleeps)
    assert (outcome.status, outcome.stored) == ("success", 3)
    assert sleeps == [3.0]


def test_401_stops_at_once_and_the_run_says_why(db_session, fake_api, api_key, sleeps, caplog):
    api = fake_api((401, {"message": "Invalid API key"}))
    with caplog.at_level(logging.ERROR):
        outcome = run("nansen", api, db_session, api_key, sleeps)
    assert (outcome.status, outcome.fetched, outcome.exit_code) == ("failed", 0, 1)
    assert len(api.requests) == 1 and sleeps == []
    assert "nansen rejected the API key (HTTP 401)" in caplog.text
    assert "(NANSEN_API_KEY)" in caplog.text
    record = db_session.exec(select(CollectorRun)).one()
    assert record.status == "failed"
    assert record.errors and "HTTP 401" in record.errors[0]
    assert api_key not in caplog.text and api_key not in " ".join(record.errors)


def test_an_error_after_the_first_page_keeps_what_was_stored(
    db_session, fake_api, recorded, api_key, sleeps
):
    api = fake_api((200, recorded("newscatcher_page1")), (403, {"message": "Plan limit"}))
    outcome = run("newscatcher", api, db_session, api_key, sleeps)
    assert (outcome.status, outcome.stored, outcome.exit_code) == ("partial", 2, 1)
    assert count(db_session, NewsItem) == 2


@pytest.mark.parametrize("key", [None, ""])
def test_a_missing_key_disables_the_collector(db_session, fake_api, sleeps, caplog, key):
    api = fake_api()
    with caplog.at_level(logging.WARNING):
        outcome = run("cryptopanic", api, db_session, key, sleeps)
    assert (outcome.status, outcome.exit_code) == ("disabled", 0)
    assert api.requests == []
    assert "cryptopanic collector disabled: CRYPTOPANIC_API_KEY is not set" in caplog.text
    record = db_session.exec(select(CollectorRun)).one()
    assert (record.status, record.fetched, record.stored) == ("disabled", 0, 0)


def sha256_of_pages(api, status: int = 200) -> list[str]:
    return [hashlib.sha256(body).hexdigest() for code, body in api.sent if code == status]


@pytest.mark.parametrize("name", ["cryptopanic", "newscatcher", "nansen"])
def test_the_run_records_the_sha256_of_each_page_received(
    db_session, fake_api, recorded, api_key, sleeps, name
):
    api = fake_api((503, {"detail": "busy"}), *pages(recorded, name))
    outcome = run(name, api, db_session, api_key, sleeps)
    assert outcome.status == "success"
    digests = sha256_of_pages(api)
    assert len(digests) == 2 and digests[0] != digests[1]
    record = db_session.exec(select(CollectorRun)).one()
    assert record.page_sha256 == digests  # the 503 answer is no page


def test_a_partial_run_records_the_pages_it_received(
    db_session, fake_api, recorded, api_key, sleeps
):
    page = recorded("newscatcher_page1")
    api = fake_api((200, page), (403, {"message": "Plan limit"}))
    run("newscatcher", api, db_session, api_key, sleeps)
    record = db_session.exec(select(CollectorRun)).one()
    assert record.status == "partial"
    assert record.page_sha256 == [hashlib.sha256(api.sent[0][1]).hexdigest()]


def test_a_disabled_run_records_no_page(db_session, fake_api, sleeps):
    run("nansen", fake_api(), db_session, None, sleeps)
    assert db_session.exec(select(CollectorRun)).one().page_sha256 == []


def test_provider_text_is_made_storable_and_items_that_do_not_fit_are_skipped(
    db_session, fake_api, api_key, sleeps
):
    """A hostile or broken page: NUL and unpaired surrogates in a title, an id longer than its
    column, a date with no UTC day. The run stores what fits and says what it skipped."""
    post = {"title": "ok", "url": "https://example.com/a", "instruments": [{"code": "btc"}]}
    page = {
        "next": None,
        "results": [
            {**post, "id": 1, "title": "nul\u0000and\ud800surrogate"},
            {**post, "id": "x" * 256},
            {**post, "id": 3, "published_at": "0001-01-01T00:00:00+14:00"},
            {**post, "id": 4, "instruments": [{"code": "c" * 33}, {"code": "eth"}]},
        ],
    }
    wire = json.dumps(page).encode()  # the surrogate travels escaped, as JSON allows
    outcome = run("cryptopanic", fake_api((200, wire)), db_session, api_key, sleeps)
    assert (outcome.status, outcome.fetched, outcome.stored) == ("partial", 4, 3)
    assert outcome.errors == ["cryptopanic: 1 item(s) skipped, unstorable external_id"]
    stored = {n.external_id: n for n in db_session.exec(select(NewsItem)).all()}
    assert stored["1"].title == "nuland\ufffdsurrogate"
    assert stored["3"].published_at is None
    assert stored["4"].currencies == ["ETH"]


def test_flows_out_of_the_column_range_are_skipped_and_the_rest_rounded(
    db_session, fake_api, api_key, sleeps
):
    row = {"chain": "ethereum", "token_symbol": "T"}
    page = {
        "data": [
            {**row, "token_address": "0x1", "net_flow_24h_usd": "123.123456789"},
            {**row, "token_address": "0x2", "net_flow_24h_usd": "1e40"},
            {**row, "token_address": "0x3", "net_flow_24h_usd": "NaN"},
            {**row, "token_address": "0x4", "net_flow_24h_usd": 1, "token_symbol": "S" * 65},
        ],
        "pagination": {"is_last_page": True},
    }
    outcome = run("nansen", fake_api((200, page)), db_session, api_key, sleeps)
    assert (outcome.status, outcome.stored) == ("partial", 1)
    assert outcome.errors == ["nansen: 3 item(s) skipped, unstorable net_flow_usd, token_symbol"]
    flow = db_session.exec(select(SmartMoneyFlow)).one()
    assert str(flow.net_flow_usd) == "123.12345679"
