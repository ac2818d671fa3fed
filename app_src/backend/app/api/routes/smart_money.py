"""Smart-money net flows by token and time range."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app import crud
from app.api.deps import CurrentUser, SessionDep
from app.api.errors import AUTH_RESPONSES, invalid
from app.api.params import Skip
from app.core.inputs import Instant, Text
from app.models import SmartMoneyFlowPublic, SmartMoneyPage

router = APIRouter(prefix="/smart-money", tags=["smart-money"], responses=AUTH_RESPONSES)


@router.get("/flows", response_model=SmartMoneyPage)
def read_flows(
    session: SessionDep,
    _: CurrentUser,
    token: Annotated[Text | None, Query(max_length=128, description="symbol or address")] = None,
    chain: Annotated[Text | None, Query(max_length=32)] = None,
    start: Annotated[
        Instant | None, Query(description="period_start >= start (naive = UTC)")
    ] = None,
    end: Annotated[Instant | None, Query(description="period_start < end (naive = UTC)")] = None,
    skip: Skip = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SmartMoneyPage:
    if start and end and start >= end:
        raise invalid(("query", "start"), "start must be before end")
    rows, count, total = crud.list_smart_money(
        session, token=token, chain=chain, start=start, end=end, skip=skip, limit=limit
    )
    data = [SmartMoneyFlowPublic.model_validate(r) for r in rows]
    return SmartMoneyPage(data=data, count=count, total_net_flow_usd=total)
