"""PnL: FIFO lots with fees on a hand-computed ledger, through the pure code and the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from app import pnl


@dataclass
class T:
    symbol: str
    side: str
    quantity: D
    price: D
    fee: D = D(0)


# Hand computation:
#   buy 2 BTC @ 100, fee 2   -> lot A: 2 BTC costing 202
#   buy 3 BTC @ 120, fee 3   -> lot B: 3 BTC costing 363 (121 each)
#   sell 4 BTC @ 150, fee 4  -> proceeds 600 - 4 = 596; FIFO cost = 202 (all of A) + 2 x 121 = 444
#                               realized = 596 - 444 = 152; left: 1 BTC costing 121
#   latest BTC price 130     -> unrealized = 130 - 121 = 9
#   buy 1 ETH @ 1000, fee 1  -> cost 1001; latest ETH 1100 -> unrealized 99
LEDGER = [
    T("BTC", "buy", D(2), D(100), D(2)),
    T("BTC", "buy", D(3), D(120), D(3)),
    T("BTC", "sell", D(4), D(150), D(4)),
    T("ETH", "buy", D(1), D(1000), D(1)),
]


def test_fifo_realized_and_unrealized_by_hand() -> None:
    rows = pnl.positions(pnl.replay(LEDGER), {"BTC": D(130), "ETH": D(1100)})
    btc, eth = rows
    assert (btc.symbol, btc.quantity, btc.cost_basis, btc.realized_pnl) == ("BTC", 1, 121, 152)
    assert (btc.unrealized_pnl, btc.fees, btc.average_cost) == (9, 9, 121)
    assert (eth.realized_pnl, eth.unrealized_pnl, eth.cost_basis) == (0, 99, 1001)
    total = pnl.summarize(rows)
    assert (total.realized_pnl, total.unrealized_pnl, total.total_pnl) == (152, 108, 260)
    assert (total.fees, total.cost_basis, total.market_value) == (10, 1122, 1230)
    assert total.unpriced_symbols == []


def test_partial_lots_split_the_fee_and_add_up_exactly() -> None:
    # 3 @ 10 with fee 1 costs 31; selling it in thirds at 20 realizes 60 - 31 = 29 in total.
    trades = [T("X", "buy", D(3), D(10), D(1))] + [T("X", "sell", D(1), D(20))] * 3
    book = pnl.replay(trades)["X"]
    assert book.realized == D(29)
    assert book.quantity == 0 and book.cost == 0


def test_oversell_is_rejected() -> None:
    with pytest.raises(pnl.OversellError):
        pnl.replay([T("X", "buy", D(1), D(10)), T("X", "sell", D("1.5"), D(10))])


def test_unpriced_position_is_listed_not_valued() -> None:
    total = pnl.summarize(pnl.positions(pnl.replay(LEDGER), {"BTC": D(130)}))
    assert total.unpriced_symbols == ["ETH"]
    assert total.unrealized_pnl == 9


def test_pnl_endpoints_match_the_hand_computation(api, make_account) -> None:
    user, admin = make_account(), make_account(admin=True)
    h = user.headers
    times = ["2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z", "2026-11-02T09:00:00Z"]
    for trade, when in zip(LEDGER, [*times, "2026-11-02T12:00:00+02:00"], strict=True):
        body = {
            "symbol": trade.symbol.lower(),
            "side": trade.side,
            "quantity": str(trade.quantity),
            "price": str(trade.price),
            "fee": str(trade.fee),
            "executed_at": when,
        }
        assert api.post("/pnl/orders", json=body, headers=h).status_code == 201
    prices = [("BTC", "90", "2026-11-01T00:00:00Z"), ("BTC", "130", "2026-11-02T00:00:00Z")]
    prices.append(("ETH", "1100", "2026-11-02T00:00:00Z"))
    for symbol, price, when in prices:
        body = {"symbol": symbol, "price_usd": price, "observed_at": when}
        assert api.post("/pnl/prices", json=body, headers=h).status_code == 403
        assert api.post("/pnl/prices", json=body, headers=admin.headers).status_code == 201

    summary = api.get("/pnl/summary", headers=h).json()
    assert summary["realized_pnl"] == "152"
    assert summary["unrealized_pnl"] == "108"
    assert summary["total_pnl"] == "260"
    assert summary["fees"] == "10"
    assert api.get("/pnl/realized", headers=h).json() == {
        "realized_pnl": "152",
        "by_symbol": {"BTC": "152", "ETH": "0"},
    }
    assert api.get("/pnl/unrealized", headers=h).json()["by_symbol"] == {"BTC": "9", "ETH": "99"}
    positions = {p["symbol"]: p for p in api.get("/pnl/positions", headers=h).json()}
    assert positions["BTC"]["quantity"] == "1" and positions["BTC"]["latest_price"] == "130"
    orders = api.get("/pnl/orders", headers=h).json()
    assert [o["side"] for o in orders] == ["buy", "buy", "sell", "buy"]
    assert orders[3]["executed_at"].endswith("Z") or orders[3]["executed_at"].endswith("+00:00")

    # Another user's ledger is separate; an oversell is refused and stores nothing.
    other = make_account().headers
    assert api.get("/pnl/summary", headers=other).json()["positions"] == []
    sell = {"symbol": "BTC", "side": "sell", "quantity": "1.5", "price": "130"}
    assert api.post("/pnl/orders", json=sell, headers=h).status_code == 400
    assert len(api.get("/pnl/orders", headers=h).json()) == 4
