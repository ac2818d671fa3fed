"""Profit and loss from an order ledger: FIFO lot matching with fees, valued at the latest price.

Pure functions on Decimals. A buy opens a lot whose cost includes its fee; a sell consumes the
oldest lots first; its realized PnL is (quantity x price - sell fee) - cost of the consumed lots.
Arithmetic runs in a context wide enough for any values the columns hold (columns.WIDE).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Protocol

from sqlmodel import SQLModel

from app.core.columns import WIDE, Dec

ZERO = Decimal(0)
CENT = Decimal("0.00000001")  # results are rounded to 8 decimal places (USD)


def usd(value: Decimal) -> Decimal:
    return value.quantize(CENT)


class Trade(Protocol):
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal


class OversellError(ValueError):
    """A sell larger than the open quantity (short selling is not supported)."""


@dataclass
class Lot:
    quantity: Decimal
    cost: Decimal  # what the open quantity cost, buy fee included

    def take(self, quantity: Decimal) -> Decimal:
        """Remove `quantity` from the lot and return its share of the cost (exact when whole)."""
        part = self.cost if quantity == self.quantity else self.cost * quantity / self.quantity
        self.quantity -= quantity
        self.cost -= part
        return part


@dataclass
class Book:
    """The state of one symbol after replaying its trades."""

    lots: deque[Lot] = field(default_factory=deque)
    realized: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def quantity(self) -> Decimal:
        return sum((lot.quantity for lot in self.lots), ZERO)

    @property
    def cost(self) -> Decimal:
        return sum((lot.cost for lot in self.lots), ZERO)

    def apply(self, trade: Trade) -> None:
        self.fees += trade.fee
        if trade.side == "buy":
            self.lots.append(Lot(trade.quantity, trade.quantity * trade.price + trade.fee))
            return
        if trade.quantity > self.quantity:
            raise OversellError(
                f"sell of {trade.quantity} {trade.symbol} exceeds the open {self.quantity}"
            )
        remaining, matched_cost = trade.quantity, ZERO
        while remaining > 0:
            lot = self.lots[0]
            take = min(lot.quantity, remaining)
            matched_cost += lot.take(take)
            remaining -= take
            if lot.quantity == 0:
                self.lots.popleft()
        self.realized += trade.quantity * trade.price - trade.fee - matched_cost


def replay(trades: Iterable[Trade]) -> dict[str, Book]:
    """Books per symbol; trades must be in execution order."""
    books: dict[str, Book] = {}
    with localcontext(WIDE):
        for trade in trades:
            books.setdefault(trade.symbol, Book()).apply(trade)
    return books


class PositionPnL(SQLModel):
    symbol: str
    quantity: Dec
    cost_basis: Dec
    average_cost: Dec | None
    latest_price: Dec | None
    market_value: Dec | None
    realized_pnl: Dec
    unrealized_pnl: Dec | None
    fees: Dec


class PnLSummary(SQLModel):
    realized_pnl: Dec
    unrealized_pnl: Dec
    total_pnl: Dec
    fees: Dec
    cost_basis: Dec
    market_value: Dec
    unpriced_symbols: list[str]
    positions: list[PositionPnL]


def positions(books: Mapping[str, Book], prices: Mapping[str, Decimal]) -> list[PositionPnL]:
    """One row per symbol ever traded; unrealized is None when an open position has no price."""
    with localcontext(WIDE):
        return [_position(symbol, books[symbol], prices.get(symbol)) for symbol in sorted(books)]


def _position(symbol: str, book: Book, price: Decimal | None) -> PositionPnL:
    qty, cost = book.quantity, book.cost
    value = qty * price if price is not None else (ZERO if qty == 0 else None)
    return PositionPnL(
        symbol=symbol,
        quantity=qty,
        cost_basis=usd(cost),
        average_cost=usd(cost / qty) if qty else None,
        latest_price=price,
        market_value=usd(value) if value is not None else None,
        realized_pnl=usd(book.realized),
        unrealized_pnl=usd(value - cost) if value is not None else None,
        fees=usd(book.fees),
    )


def summarize(rows: list[PositionPnL]) -> PnLSummary:
    """Totals over the positions; unpriced open positions are listed, not valued."""
    with localcontext(WIDE):
        return _summary(rows)


def _summary(rows: list[PositionPnL]) -> PnLSummary:
    realized = sum((r.realized_pnl for r in rows), ZERO)
    unrealized = sum((r.unrealized_pnl for r in rows if r.unrealized_pnl is not None), ZERO)
    return PnLSummary(
        realized_pnl=realized,
        unrealized_pnl=unrealized,
        total_pnl=realized + unrealized,
        fees=sum((r.fees for r in rows), ZERO),
        cost_basis=sum((r.cost_basis for r in rows), ZERO),
        market_value=sum((r.market_value for r in rows if r.market_value is not None), ZERO),
        unpriced_symbols=[r.symbol for r in rows if r.market_value is None],
        positions=rows,
    )
