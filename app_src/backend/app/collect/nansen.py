"""Nansen API v1: `POST /api/v1/smart-money/netflow` with the `apikey` header, to the last page."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.collect.http import CollectorError, Fetcher

log = logging.getLogger(__name__)

SOURCE = "nansen"
NETFLOW_URL = "https://api.nansen.ai/api/v1/smart-money/netflow"
CHAINS: tuple[str, ...] = ("ethereum", "solana", "base", "arbitrum")
PER_PAGE = 100
WINDOW = timedelta(hours=24)  # the stored figure is Nansen's `net_flow_24h_usd`


def period_start(now: datetime) -> datetime:
    """Start of the 24-hour window ending at the current hour; a re-run in that hour maps to it."""
    return now.replace(minute=0, second=0, microsecond=0) - WINDOW


def parse_row(row: dict[str, Any], *, start: datetime) -> dict[str, Any] | None:
    """One netflow row as SmartMoneyFlowCreate fields, or None when incomplete."""
    chain, address, flow = row.get("chain"), row.get("token_address"), row.get("net_flow_24h_usd")
    if not chain or not address or flow is None:
        return None
    try:
        net_flow = Decimal(str(flow))
    except InvalidOperation:
        return None
    return {
        "chain": str(chain),
        "token_address": str(address),
        "token_symbol": str(row["token_symbol"]) if row.get("token_symbol") else None,
        "net_flow_usd": net_flow,
        "period_start": start,
    }


def parse_page(body: Any, *, start: datetime) -> tuple[list[dict[str, Any]], bool]:
    """The items of one page and whether it is the last one."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise CollectorError(f"{SOURCE}: unexpected response shape (no `data` list)")
    items = [item for row in body["data"] if (item := parse_row(row, start=start)) is not None]
    pagination = body.get("pagination") or {}
    last = bool(pagination.get("is_last_page", True)) or not body["data"]
    return items, last


def request_body(page: int) -> dict[str, Any]:
    """The JSON body for one page of the netflow query."""
    return {
        "chains": list(CHAINS),
        "filters": {"include_stablecoins": False, "include_native_tokens": True},
        "pagination": {"page": page, "per_page": PER_PAGE},
        "order_by": [{"field": "net_flow_24h_usd", "direction": "DESC"}],
    }


def fetch_pages(
    fetcher: Fetcher, *, api_key: str, max_pages: int, now: datetime
) -> Iterator[list[dict[str, Any]]]:
    """Yield the parsed items page by page until `is_last_page` (or `max_pages`)."""
    start = period_start(now)
    for page in range(1, max_pages + 1):
        body = fetcher.json(
            "POST", NETFLOW_URL, json=request_body(page), headers={"apikey": api_key}
        )
        items, last = parse_page(body, start=start)
        log.info("%s: page %d, %d items", SOURCE, page, len(items))
        yield items
        if last:
            return
