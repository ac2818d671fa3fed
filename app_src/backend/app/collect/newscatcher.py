"""Newscatcher News API v3: `GET /api/search` with the `x-api-token` header, looping `page`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from app.collect.http import CollectorError, Fetcher
from app.collect.timeparse import aware_utc

log = logging.getLogger(__name__)

SOURCE = "newscatcher"
SEARCH_URL = "https://v3-api.newscatcherapi.com/api/search"
PAGE_SIZE = 100
# Currencies tagged on an article when its title names them (Newscatcher has no currency field).
CURRENCY_TERMS: dict[str, tuple[str, ...]] = {
    "BTC": ("bitcoin", "btc"),
    "ETH": ("ethereum", "ether", "eth"),
    "SOL": ("solana", "sol"),
    "XRP": ("xrp", "ripple"),
}
QUERY = " OR ".join(f'"{terms[0]}"' for terms in CURRENCY_TERMS.values()) + ' OR "crypto"'


def currencies_in(title: str) -> list[str]:
    """Currency codes whose terms appear as whole words in the title."""
    words = {w.strip(".,:;!?()[]'\"").lower() for w in title.split()}
    return sorted(code for code, terms in CURRENCY_TERMS.items() if words.intersection(terms))


def parse_article(article: dict[str, Any]) -> dict[str, Any] | None:
    """One article as NewsItemCreate fields, or None when it lacks an id, title or link."""
    external_id = article.get("_id") or article.get("id")
    title = (article.get("title") or "").strip()
    url = article.get("link")
    if not external_id or not title or not url:
        return None
    return {
        "source": SOURCE,
        "external_id": str(external_id),
        "title": title,
        "url": url,
        "published_at": aware_utc(article.get("published_date")),
        "currencies": currencies_in(title),
    }


def parse_page(body: Any) -> tuple[list[dict[str, Any]], int]:
    """The items of one page and the total number of pages."""
    if not isinstance(body, dict):
        raise CollectorError(f"{SOURCE}: unexpected response shape")
    articles = body.get("articles") or []
    if not isinstance(articles, list):
        raise CollectorError(f"{SOURCE}: unexpected response shape (`articles` is not a list)")
    items = [item for article in articles if (item := parse_article(article)) is not None]
    return items, int(body.get("total_pages") or 0)


def fetch_pages(
    fetcher: Fetcher, *, api_key: str, max_pages: int
) -> Iterator[list[dict[str, Any]]]:
    """Yield the parsed items page by page until the last page (or `max_pages`)."""
    page = 1
    while page <= max_pages:
        params = {
            "q": QUERY,
            "lang": "en",
            "from_": "1 day ago",
            "sort_by": "date",
            "page": page,
            "page_size": PAGE_SIZE,
        }
        body = fetcher.json("GET", SEARCH_URL, params=params, headers={"x-api-token": api_key})
        items, total_pages = parse_page(body)
        log.info("%s: page %d/%d, %d items", SOURCE, page, total_pages, len(items))
        yield items
        if not items or page >= total_pages:
            return
        page += 1
