"""Property tests of the PnL ledger (hypothesis, seeded): for any sequence of valid orders, FIFO
realized PnL equals a simple reference computation, and a refused order changes nothing.

The reference does not match lots: under FIFO the units still held are always the most recently
bought ones, so realized PnL = sell proceeds - sell fees - (cost of all buys - cost of the newest
units still held), computed exactly with fractions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SYMBOLS = ("BTC", "ETH")
START = datetime(2026, 1, 1, tzinfo=UTC)
SEEDED = settings(derandomize=True, database=None, deadline=None)


@dataclass(frozen=True)
class Trade:
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    minute: int = 0


def decimals(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals in [low, high] with at most `places` decimal places (as the API takes them)."""
    scale = 10**places
    return st.integers(low * scale, high * scale).map(lambda n: Decimal(n).scaleb(-places))


trades = st.builds(
    Trade,
    symbol=st.sampled_from(SYMBOLS),
    side=st.sampled_from(("buy", "sell")),
    quantity=decimals(0, 1_000, 6).filter(lambda q: q > 0),
    price=decimals(0, 100_000, 4),
    fee=decimals(0, 10, 4),
)


def usd(value: Fraction) -> Decimal:
    """Rounded to 8 places, half to even (as the ledger rounds its results)."""
    return Decimal(round(value * 10**8)).scaleb(-8)


def reference(accepted: list[Trade]) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Per symbol: (quantity held, realized PnL, cost of what is held), from totals alone."""
    out = {}
    for symbol in {t.symbol for t in accepted}:
        mine = [t for t in accepted if t.symbol == symbol]
        buys = [t for t in mine if t.side == "buy"]
        sells = [t for t in mine if t.side == "sell"]
        held = sum((Fraction(t.quantity) for t in buys), Fraction(0)) - sum(
            (Fraction(t.quantity) for t in sells), Fraction(0)
        )
        open_cost, left = Fraction(0), held
        for buy in reversed(buys):  # the newest units are the ones still held
            take = min(left, Fraction(buy.quantity))
            open_cost += (Fraction(buy.quantity) * Fraction(buy.price) + Fraction(buy.fee)) * (
                take / Fraction(buy.quantity)
            )
            left -= take
        bought = sum((Fraction(t.quantity) * Fraction(t.price) + Fraction(t.fee) for t in buys), 0)
        proceeds = sum(
            (Fraction(t.quantity) * Fraction(t.price) - Fraction(t.fee) for t in sells), 0
        )
        realized = proceeds - (bought - open_cost)
        out[symbol] = (Decimal(held.numerator) / held.denominator, usd(realized), usd(open_cost))
    return out


def goes_short(ordered: list[Trade]) -> bool:
    """Whether some prefix sells more of a symbol than was bought before it."""
    held: dict[str, Decimal] = {}
    for t in ordered:
        held[t.symbol] = held.get(t.symbol, Decimal(0)) + (
            t.quantity if t.side == "buy" else -t.quantity
        )
        if held[t.symbol] < 0:
            return True
    return False


@SEEDED
@given(st.lists(trades, max_size=30))
def test_fifo_realized_pnl_equals_the_reference(sequence: list[Trade]) -> None:
    from app import pnl

    accepted: list[Trade] = []
    for trade in sequence:
        try:
            pnl.replay([*accepted, trade])
        except pnl.OversellError:
            assert goes_short([*accepted, trade])
            continue
        assert not goes_short([*accepted, trade])
        accepted.append(trade)
    rows = {r.symbol: r for r in pnl.positions(pnl.replay(accepted), {})}
    assert set(rows) == {t.symbol for t in accepted}
    for symbol, (held, realized, open_cost) in reference(accepted).items():
        row = rows[symbol]
        assert row.quantity == held
        assert row.realized_pnl == realized
        assert row.cost_basis == open_cost


@pytest.fixture(scope="module")
def ledger_db(database):
    """A session factory on the migrated test database (each example uses a fresh user)."""
    from app.core.db import engine
    from sqlmodel import Session

    return lambda: Session(engine, expire_on_commit=False)


def _new_user(session) -> uuid.UUID:
    from app.models import User

    user = User(email=f"prop-{uuid.uuid4().hex}@example.com", hashed_password="x")
    session.add(user)
    session.commit()
    return user.id


orders_in_time = st.lists(
    st.tuples(trades, st.integers(0, 10_000)), max_size=12, unique_by=lambda pair: pair[1]
)


@settings(SEEDED, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders_in_time)
def test_the_stored_ledger_matches_the_reference_and_refusals_store_nothing(
    ledger_db, pairs: list[tuple[Trade, int]]
) -> None:
    """Orders arrive in any order of execution time (backdated ones too); each is accepted only
    if no point of the resulting history goes short, and a refused one leaves the ledger as it
    was."""
    from app import ledger, pnl
    from app.models import OrderCreate

    with ledger_db() as session:
        user_id = _new_user(session)
        accepted: list[Trade] = []
        for trade, minute in pairs:
            trade = Trade(**{**trade.__dict__, "minute": minute})
            before = [(o.id, o.quantity) for o in ledger.list_orders(session, user_id)]
            order = OrderCreate(
                symbol=trade.symbol,
                side=trade.side,
                quantity=trade.quantity,
                price=trade.price,
                fee=trade.fee,
                executed_at=START + timedelta(minutes=minute),
            )
            history = sorted([*accepted, trade], key=lambda t: t.minute)
            try:
                ledger.add_order(session, user_id, order)
            except pnl.OversellError:
                assert goes_short(history)
                after = [(o.id, o.quantity) for o in ledger.list_orders(session, user_id)]
                assert after == before
                continue
            assert not goes_short(history)
            accepted.append(trade)
        rows = {r.symbol: r for r in ledger.positions(session, user_id)}
        in_time = sorted(accepted, key=lambda t: t.minute)
        for symbol, (held, realized, open_cost) in reference(in_time).items():
            assert (rows[symbol].quantity, rows[symbol].realized_pnl) == (held, realized)
            assert rows[symbol].cost_basis == open_cost
