"""News and smart-money flows: the collectors' upserts, filters, pagination, the per-day index."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import Session


def news(source: str, ext: str, currencies: list[str]):
    from app.models import NewsItemCreate

    return NewsItemCreate(
        source=source,
        external_id=ext,
        title=f"{source} {ext}",
        url=f"https://example.com/{source}/{ext}",
        published_at=datetime(2026, 11, 1, 12, 0),  # naive: stored as UTC
        currencies=currencies,
    )


def set_collected(session: Session, ext: str, when: datetime) -> None:
    session.execute(
        text("UPDATE news_item SET collected_at = :w WHERE external_id = :e"), {"w": when, "e": ext}
    )
    session.commit()


@pytest.fixture
def seeded(clean):
    """Five items over three UTC days; one collected at 23:30 in UTC-05:00 (next day in UTC)."""
    from app import crud
    from app.core.db import engine

    with Session(engine) as session:
        items = [
            news("cryptopanic", "1", ["btc"]),
            news("cryptopanic", "2", ["ETH", "BTC"]),
            news("newscatcher", "3", ["ETH"]),
            news("newscatcher", "4", []),
            news("cryptopanic", "5", ["SOL"]),
        ]
        assert crud.upsert_news(session, items) == 5
        assert crud.upsert_news(session, items) == 0  # a re-run stores nothing new
        set_collected(session, "1", datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
        set_collected(session, "2", datetime(2026, 11, 1, 23, 59, tzinfo=UTC))
        set_collected(session, "3", datetime(2026, 11, 2, 0, 1, tzinfo=UTC))
        new_york = timezone(timedelta(hours=-5))
        set_collected(session, "4", datetime(2026, 11, 2, 23, 30, tzinfo=new_york))  # 3 Nov UTC
        set_collected(session, "5", datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    yield


def ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [row["external_id"] for row in resp.json()["data"]]


def test_news_requires_login(api) -> None:
    assert api.get("/news/").status_code == 401


def test_news_newest_first_with_pagination(api, make_account, seeded) -> None:
    h = make_account().headers
    first = api.get("/news/", params={"limit": 2}, headers=h)
    assert ids(first) == ["5", "4"]
    assert first.json()["count"] == 5
    assert ids(api.get("/news/", params={"limit": 2, "skip": 2}, headers=h)) == ["3", "2"]
    assert ids(api.get("/news/", params={"limit": 2, "skip": 4}, headers=h)) == ["1"]
    assert api.get("/news/", params={"limit": 0}, headers=h).status_code == 422


def test_news_filters(api, make_account, seeded) -> None:
    h = make_account().headers
    assert ids(api.get("/news/", params={"currency": "btc"}, headers=h)) == ["2", "1"]
    assert ids(api.get("/news/", params={"source": "newscatcher"}, headers=h)) == ["4", "3"]
    both = {"currency": "ETH", "source": "cryptopanic"}
    assert ids(api.get("/news/", params=both, headers=h)) == ["2"]
    day = {"date_from": "2026-11-01", "date_to": "2026-11-01"}
    assert ids(api.get("/news/", params=day, headers=h)) == ["2", "1"]
    assert ids(api.get("/news/", params={"date_from": "2026-11-02"}, headers=h)) == ["5", "4", "3"]
    span = {"date_from": "2026-11-02", "date_to": "2026-11-02"}
    resp = api.get("/news/", params=span, headers=h)
    assert ids(resp) == ["3"] and resp.json()["count"] == 1
    bad = {"date_from": "2026-11-03", "date_to": "2026-11-01"}
    assert api.get("/news/", params=bad, headers=h).status_code == 422


def test_news_timestamps_are_timezone_aware(api, make_account, seeded) -> None:
    row = api.get("/news/", params={"limit": 1}, headers=make_account().headers).json()["data"][0]
    for key in ("published_at", "collected_at"):
        assert datetime.fromisoformat(row[key]).utcoffset() == timedelta(0)


def test_date_filter_uses_the_per_day_index(seeded) -> None:
    """The SQL crud.list_news sends is planned on ix_news_item_collected_day."""
    from app import crud
    from app.core.db import engine
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if "news_item" in statement and "count(" not in statement:
            seen.append((statement, parameters))

    with Session(engine) as session:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            rows, _ = crud.list_news(
                session, date_from=date(2026, 11, 2), date_to=date(2026, 11, 2)
            )
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert [r.external_id for r in rows] == ["3"]
        [(statement, parameters)] = seen
        assert "AT TIME ZONE 'UTC'" in statement
        conn = session.connection()
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
        assert any("ix_news_item_collected_day" in line for line in plan), plan


def flow(symbol: str, address: str, hours: int, usd: str):
    from app.models import SmartMoneyFlowCreate

    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=hours)
    return SmartMoneyFlowCreate(
        chain="ethereum",
        token_address=address,
        token_symbol=symbol,
        net_flow_usd=Decimal(usd),
        period_start=start,
    )


def test_smart_money_upsert_is_idempotent_and_updates(clean) -> None:
    from app import crud
    from app.core.db import engine

    with Session(engine) as session:
        rows = [flow("PEPE", "0xabc", 0, "100.5"), flow("PEPE", "0xabc", 1, "-20")]
        assert crud.upsert_smart_money(session, rows) == 2
        assert crud.upsert_smart_money(session, [flow("PEPE", "0xabc", 1, "-25")]) == 0
        got, count, total = crud.list_smart_money(session, token="pepe")
        assert count == 2
        assert total == Decimal("75.5")


def test_smart_money_by_token_and_time_range(api, make_account, clean) -> None:
    from app import crud
    from app.core.db import engine

    with Session(engine) as session:
        crud.upsert_smart_money(
            session,
            [
                flow("PEPE", "0xAbC", 0, "100"),
                flow("PEPE", "0xAbC", 6, "50"),
                flow("PEPE", "0xAbC", 12, "-30"),
                flow("WIF", "0xdef", 6, "999"),
            ],
        )
    h = make_account().headers
    params = {"token": "pepe", "start": "2026-11-01T06:00:00Z", "end": "2026-11-01T12:00:00Z"}
    resp = api.get("/smart-money/flows", params=params, headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["count"] == 1
    assert body["data"][0]["net_flow_usd"] == "50"
    by_address = api.get("/smart-money/flows", params={"token": "0xabc"}, headers=h).json()
    assert by_address["count"] == 3
    assert by_address["total_net_flow_usd"] == "120"
    assert [r["token_symbol"] for r in by_address["data"]] == ["PEPE"] * 3
    assert datetime.fromisoformat(by_address["data"][0]["period_start"]).hour == 12
    reversed_range = {"start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"}
    assert api.get("/smart-money/flows", params=reversed_range, headers=h).status_code == 422


def test_collector_run_record(clean) -> None:
    from app import crud
    from app.core.db import engine

    with Session(engine) as session:
        run = crud.start_run(session, "nansen")
        assert run.status == "running" and run.finished_at is None
        done = crud.finish_run(
            session, run, fetched=10, stored=7, errors=["page 3: 500"], status="partial"
        )
        assert done.finished_at is not None and done.finished_at.utcoffset() == timedelta(0)
        [latest] = crud.latest_runs(session)
        assert (latest.fetched, latest.stored, latest.errors) == (10, 7, ["page 3: 500"])
