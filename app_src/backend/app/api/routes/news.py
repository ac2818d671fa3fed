"""News from the collectors, newest first, with filters and pagination."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app import crud
from app.api.deps import CurrentUser, SessionDep
from app.api.errors import AUTH_RESPONSES, invalid
from app.api.params import Skip
from app.core.inputs import Text
from app.models import NewsItemPublic, NewsPage

router = APIRouter(prefix="/news", tags=["news"], responses=AUTH_RESPONSES)


@router.get("/", response_model=NewsPage)
def read_news(
    session: SessionDep,
    _: CurrentUser,
    currency: Annotated[Text | None, Query(max_length=32, description="e.g. BTC")] = None,
    source: Annotated[
        Text | None, Query(max_length=64, description="cryptopanic or newscatcher")
    ] = None,
    date_from: Annotated[
        date | None, Query(description="first UTC collection day, inclusive")
    ] = None,
    date_to: Annotated[date | None, Query(description="last UTC collection day, inclusive")] = None,
    skip: Skip = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NewsPage:
    if date_from and date_to and date_from > date_to:
        raise invalid(("query", "date_from"), "date_from is after date_to")
    rows, count = crud.list_news(
        session,
        currency=currency,
        source=source,
        date_from=date_from,
        date_to=date_to,
        skip=skip,
        limit=limit,
    )
    data = [NewsItemPublic.model_validate(r) for r in rows]
    return NewsPage(data=data, count=count, skip=skip, limit=limit)
