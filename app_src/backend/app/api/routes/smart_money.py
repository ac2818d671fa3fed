"""Smart-money net flows by token and time range."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from app import crud
from app.api.deps import CurrentUser, SessionDep
from app.models import SmartMoneyFlowPublic, SmartMoneyPage, aware

router = APIRouter(prefix="/smart-money", tags=["smart-money"])


@router.get("/flows", response_model=SmartMoneyPage)
def read_flows(
    session: SessionDep,
    _: CurrentUser,
    token: str | None = Query(None, max_length=128, description="symbol or address"),
    chain: str | None = Query(None, max_length=32),
    start: Annotated[
        datetime | None, Query(description="period_start >= start (naive = UTC)")
    ] = None,
    end: Annotated[datetime | None, Query(description="period_start < end (naive = UTC)")] = None,
    skip: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=500),
) -> SmartMoneyPage:
    start, end = aware(start), aware(end)
    if start and end and start >= end:
        raise HTTPException(status_code=422, detail="start must be before end")
    rows, count, total = crud.list_smart_money(
        session, token=token, chain=chain, start=start, end=end, skip=skip, limit=limit
    )
    data = [SmartMoneyFlowPublic.model_validate(r) for r in rows]
    return SmartMoneyPage(data=data, count=count, total_net_flow_usd=total)
