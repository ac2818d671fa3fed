"""Hostile input at the API edge: refused with a 4xx naming the field, never a 500, nothing stored.

Each case is one a hostile client tried: NUL characters, unpaired surrogates, huge offsets,
numbers too large or too small for their columns, timestamps that leave the range of the
database's or Python's calendars. Rows stored before the API refused them are read gracefully.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from backend_testenv import PASSWORD
from sqlalchemy import text

ORDER = {"symbol": "BTC", "side": "buy", "quantity": "1", "price": "100"}


def rows(table: str) -> int:
    from app.core.db import engine

    with engine.connect() as conn:
        return conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def refused(resp, field: str, status: int = 422) -> None:
    """A 4xx whose detail names the field (and never echoes the input back)."""
    assert resp.status_code == status, resp.text
    detail = resp.json()["detail"]
    assert any(field in error["loc"] for error in detail), detail
    assert all("input" not in error for error in detail)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"full_name": "Ada\u0000Lovelace"}, "full_name"),
        ({"full_name": "x" * 256}, "full_name"),
        ({"password": "pass\u0000word-long"}, "password"),
    ],
)
def test_signup_refuses_text_the_database_cannot_hold(api, body, field) -> None:
    resp = api.post("/users/signup", json={"email": "a@example.com", "password": PASSWORD, **body})
    refused(resp, field)
    assert rows("user") == 0


def test_a_lone_surrogate_is_refused_not_a_500(api) -> None:
    raw = f'{{"email": "s@example.com", "password": "{PASSWORD}", "full_name": "\\ud800"}}'
    resp = api.post("/users/signup", content=raw, headers={"content-type": "application/json"})
    refused(resp, "full_name")
    raw = f'{{"email": "s@example.com", "password": "\\udfff-{PASSWORD}"}}'
    resp = api.post("/users/signup", content=raw, headers={"content-type": "application/json"})
    refused(resp, "password")
    assert rows("user") == 0


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/news/?currency=%00", "currency"),
        ("/news/?source=a%00b", "source"),
        ("/smart-money/flows?chain=%00", "chain"),
        ("/smart-money/flows?token=%00", "token"),
        ("/pnl/orders?symbol=%00", "symbol"),
        ("/pnl/orders?symbol=%20%20", "symbol"),
        (f"/news/?skip={2**63}", "skip"),
        (f"/smart-money/flows?skip={2**63}", "skip"),
        (f"/users/?skip={2**63}", "skip"),
        ("/users/?skip=100001", "skip"),
        ("/smart-money/flows?start=0001-01-01T00:00:00%2B14:00", "start"),
    ],
)
def test_query_parameters_are_bounded(api, make_account, path, field) -> None:
    admin = make_account(admin=True)
    refused(api.get(path, headers=admin.headers), field)


def test_deepest_allowed_page_answers(api, make_account) -> None:
    admin = make_account(admin=True)
    for path in ("/news/", "/smart-money/flows", "/users/"):
        resp = api.get(f"{path}?skip=100000", headers=admin.headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["data"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"symbol": "BT\u0000C"}, "symbol"),
        ({"symbol": "   "}, "symbol"),
        ({"symbol": "ß" * 20}, "symbol"),  # 40 characters once upper-cased
        ({"quantity": 1e25}, "quantity"),
        ({"quantity": "1e-30"}, "quantity"),
        ({"quantity": "0.0000000000000000001"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"price": 1e30}, "price"),
        ({"price": "-1"}, "price"),
        ({"fee": 1e21}, "fee"),
        ({"fee": "Infinity"}, "fee"),
        ({"executed_at": "0001-01-01T00:00:00+14:00"}, "executed_at"),
        ({"executed_at": "2009-01-02T23:59:59Z"}, "executed_at"),
        ({"executed_at": "2999-01-01T00:00:00Z"}, "executed_at"),
        ({"side": "short"}, "side"),
    ],
)
def test_orders_refuse_values_their_columns_cannot_hold(api, make_account, change, field) -> None:
    user = make_account()
    refused(api.post("/pnl/orders", json={**ORDER, **change}, headers=user.headers), field)
    assert rows("trade_order") == 0
    assert api.get("/pnl/summary", headers=user.headers).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price_usd": 1e30}, "price_usd"),
        ({"price_usd": "1e-19"}, "price_usd"),
        ({"symbol": "\u0000"}, "symbol"),
        ({"observed_at": "0001-01-01T00:00:00+14:00"}, "observed_at"),
    ],
)
def test_admin_prices_refuse_values_their_columns_cannot_hold(
    api, make_account, change, field
) -> None:
    admin = make_account(admin=True)
    body = {"symbol": "BTC", "price_usd": "100", **change}
    refused(api.post("/pnl/prices", json=body, headers=admin.headers), field)
    assert rows("price") == 0
    assert api.get("/pnl/prices", headers=admin.headers).json() == {}


def test_largest_values_the_columns_hold_are_stored_exactly_and_valued(api, make_account) -> None:
    user, admin = make_account(), make_account(admin=True)
    big, tiny = "99999999999999999999.999999999999999999", "0.000000000000000001"
    for body in (
        {**ORDER, "quantity": big, "price": big, "fee": big},
        {**ORDER, "symbol": " eth ", "quantity": tiny, "price": tiny, "fee": tiny},
    ):
        resp = api.post("/pnl/orders", json=body, headers=user.headers)
        assert resp.status_code == 201, resp.text
        assert resp.json()["quantity"] == body["quantity"]
    assert api.get("/pnl/orders?symbol=eth", headers=user.headers).json()[0]["symbol"] == "ETH"
    price = {"symbol": "BTC", "price_usd": big}
    assert api.post("/pnl/prices", json=price, headers=admin.headers).status_code == 201
    summary = api.get("/pnl/summary", headers=user.headers)
    assert summary.status_code == 200, summary.text
    btc = next(p for p in summary.json()["positions"] if p["symbol"] == "BTC")
    assert btc["quantity"] == big
    # value - cost = big * big - (big * big + big) = -big, rounded to 8 places
    assert btc["unrealized_pnl"] == "-100000000000000000000"
    assert btc["market_value"] == "9999999999999999999999999999999999999800"


def test_login_form_refuses_nul_and_oversized_fields(api) -> None:
    form = {"username": "a\u0000@example.com", "password": PASSWORD}
    refused(api.post("/login/access-token", data=form), "username")
    form = {"username": "a@example.com", "password": "x" * 129}
    refused(api.post("/login/access-token", data=form), "password")


def test_concurrent_signups_of_one_email_create_one_user(api) -> None:
    body = {"email": "race@example.com", "password": PASSWORD}
    with ThreadPoolExecutor(8) as pool:
        codes = sorted(
            pool.map(lambda _: api.post("/users/signup", json=body).status_code, range(8))
        )
    assert codes == [201] + [400] * 7
    assert rows("user") == 1


def _store_raw(statement: str, **params: object) -> None:
    from app.core.db import engine

    with engine.begin() as conn:
        conn.execute(text(statement), params)


def test_rows_stored_before_the_checks_are_read_gracefully(api, make_account) -> None:
    """An order and a price dated 1 BC (stored by an older version) break no endpoint."""
    user, admin = make_account(), make_account(admin=True)
    assert api.post("/pnl/orders", json=ORDER, headers=user.headers).status_code == 201
    bad = "0001-01-01T00:00:00+14:00"  # 1 BC in UTC
    _store_raw(
        "INSERT INTO trade_order (user_id, symbol, side, quantity, price, fee, executed_at) "
        "VALUES (:u, 'BTC', 'buy', 2, 50, 0, :t)",
        u=user.id,
        t=bad,
    )
    _store_raw(
        "INSERT INTO price (symbol, price_usd, observed_at) VALUES ('BTC', 70, :t), "
        "('ETH', 5, 'infinity')",
        t=bad,
    )
    h = user.headers
    for path in ("/pnl/orders", "/pnl/positions", "/pnl/summary", "/pnl/realized", "/pnl/prices"):
        assert api.get(path, headers=h).status_code == 200, path
    orders = api.get("/pnl/orders", headers=h).json()
    assert orders[0]["executed_at"].startswith("0001-01-01T00:00:00")
    assert api.get("/pnl/summary", headers=h).json()["positions"][0]["quantity"] == "3"
    sell = {**ORDER, "side": "sell", "quantity": "3"}
    assert api.post("/pnl/orders", json=sell, headers=h).status_code == 201
    assert api.get("/pnl/realized", headers=h).json()["realized_pnl"] == "100"
    assert api.get("/pnl/prices", headers=admin.headers).json() == {"BTC": "70", "ETH": "5"}


def test_validation_errors_do_not_echo_a_password(api) -> None:
    resp = api.post("/users/signup", json={"email": "not-an-email", "password": "short-secret"})
    assert resp.status_code == 422
    assert "short-secret" not in resp.text
    assert json.loads(resp.text)["detail"][0]["loc"] == ["body", "email"]


def test_a_signup_that_loses_the_race_gets_400_not_500(clean, monkeypatch) -> None:
    """The unique index refuses the second insert after both passed the existence check."""
    from app import crud
    from app.api.routes import users
    from app.core.db import engine
    from app.models import UserCreate
    from fastapi import HTTPException
    from sqlmodel import Session

    new = UserCreate(email="late@example.com", password=PASSWORD)
    with Session(engine) as session:
        crud.create_user(session, user_create=new)
    monkeypatch.setattr(crud, "get_user_by_email", lambda *_, **__: None)  # the check raced
    with Session(engine) as session, pytest.raises(HTTPException) as refused_:
        users._create(session, new)
    assert refused_.value.status_code == 400
    assert rows("user") == 1
