"""The order ledger and price observations in the database, and PnL computed from them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import Session, col, select

from app import pnl
from app.core.columns import utcnow
from app.models import Order, OrderCreate, Price, PriceCreate, User


def list_orders(session: Session, user_id: uuid.UUID, *, symbol: str | None = None) -> list[Order]:
    """A user's orders in execution order."""
    stmt = select(Order).where(Order.user_id == user_id)
    if symbol:
        stmt = stmt.where(Order.symbol == symbol.upper())
    return list(session.exec(stmt.order_by(col(Order.executed_at), col(Order.id))).all())


def add_order(session: Session, user_id: uuid.UUID, order_in: OrderCreate) -> Order:
    """Record an order; raises pnl.OversellError (nothing stored) if the ledger would go short."""
    # Serialize a user's ledger writes so two concurrent sells cannot both pass the check.
    session.exec(select(User.id).where(User.id == user_id).with_for_update())
    order = Order(
        user_id=user_id,
        symbol=order_in.symbol,
        side=order_in.side,
        quantity=order_in.quantity,
        price=order_in.price,
        fee=order_in.fee,
        executed_at=order_in.executed_at or utcnow(),
    )
    history = list_orders(session, user_id, symbol=order.symbol)
    trades = sorted([*history, order], key=lambda o: (o.executed_at, o.id or 2**63))
    try:
        pnl.replay(trades)
    except pnl.OversellError:
        session.rollback()
        raise
    session.add(order)
    session.commit()
    session.refresh(order)
    return order


def add_price(session: Session, price_in: PriceCreate) -> Price:
    price = Price(
        symbol=price_in.symbol,
        price_usd=price_in.price_usd,
        observed_at=price_in.observed_at or utcnow(),
    )
    session.add(price)
    session.commit()
    session.refresh(price)
    return price


def latest_prices(session: Session, symbols: Sequence[str] | None = None) -> dict[str, Decimal]:
    """The most recent price per symbol (DISTINCT ON, served by ix_price_symbol_observed)."""
    stmt = (
        select(col(Price.symbol), col(Price.price_usd))
        .ext(distinct_on(col(Price.symbol)))
        .order_by(col(Price.symbol), sa.desc(col(Price.observed_at)), sa.desc(col(Price.id)))
    )
    if symbols is not None:
        stmt = stmt.where(col(Price.symbol).in_(list(symbols)))
    return {symbol: price for symbol, price in session.exec(stmt).all()}


def positions(session: Session, user_id: uuid.UUID) -> list[pnl.PositionPnL]:
    """Per-symbol quantity, cost, realized and unrealized PnL for a user."""
    books = pnl.replay(list_orders(session, user_id))
    return pnl.positions(books, latest_prices(session, list(books)))
