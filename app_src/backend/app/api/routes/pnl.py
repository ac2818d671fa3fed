"""Order ledger, positions and PnL (realized FIFO with fees, unrealized at the latest price)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import SQLModel

from app import ledger
from app.api.deps import CurrentAdmin, CurrentUser, SessionDep
from app.api.errors import AUTH_RESPONSES, BAD_REQUEST
from app.core.columns import Dec
from app.core.inputs import Symbol
from app.models import OrderCreate, OrderPublic, PriceCreate, PricePublic
from app.pnl import OversellError, PnLSummary, PositionPnL, summarize

router = APIRouter(prefix="/pnl", tags=["pnl"], responses=AUTH_RESPONSES)


class RealizedPnL(SQLModel):
    realized_pnl: Dec
    by_symbol: dict[str, Dec]


class UnrealizedPnL(SQLModel):
    unrealized_pnl: Dec
    by_symbol: dict[str, Dec | None]


@router.post("/orders", response_model=OrderPublic, status_code=201, responses=BAD_REQUEST)
def create_order(session: SessionDep, user: CurrentUser, order_in: OrderCreate) -> OrderPublic:
    try:
        order = ledger.add_order(session, user.id, order_in)
    except OversellError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return OrderPublic.model_validate(order)


@router.get("/orders", response_model=list[OrderPublic])
def read_orders(
    session: SessionDep,
    user: CurrentUser,
    symbol: Annotated[Symbol | None, Query(description="e.g. BTC")] = None,
) -> list[OrderPublic]:
    return [
        OrderPublic.model_validate(o) for o in ledger.list_orders(session, user.id, symbol=symbol)
    ]


@router.get("/positions", response_model=list[PositionPnL])
def read_positions(session: SessionDep, user: CurrentUser) -> list[PositionPnL]:
    return ledger.positions(session, user.id)


@router.get("/realized", response_model=RealizedPnL)
def read_realized(session: SessionDep, user: CurrentUser) -> RealizedPnL:
    rows = ledger.positions(session, user.id)
    return RealizedPnL(
        realized_pnl=summarize(rows).realized_pnl,
        by_symbol={r.symbol: r.realized_pnl for r in rows},
    )


@router.get("/unrealized", response_model=UnrealizedPnL)
def read_unrealized(session: SessionDep, user: CurrentUser) -> UnrealizedPnL:
    rows = ledger.positions(session, user.id)
    return UnrealizedPnL(
        unrealized_pnl=summarize(rows).unrealized_pnl,
        by_symbol={r.symbol: r.unrealized_pnl for r in rows},
    )


@router.get("/summary", response_model=PnLSummary)
def read_summary(session: SessionDep, user: CurrentUser) -> PnLSummary:
    return summarize(ledger.positions(session, user.id))


@router.post("/prices", response_model=PricePublic, status_code=201, responses=BAD_REQUEST)
def create_price(session: SessionDep, _: CurrentAdmin, price_in: PriceCreate) -> PricePublic:
    """Record a price observation (admins; the latest per symbol values open positions)."""
    return PricePublic.model_validate(ledger.add_price(session, price_in))


@router.get("/prices", response_model=dict[str, Dec])
def read_prices(session: SessionDep, _: CurrentUser) -> dict[str, Decimal]:
    """The latest price per symbol."""
    return ledger.latest_prices(session)
