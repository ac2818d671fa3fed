"""CryptoPanic developer API v2: `GET /api/developer/v2/posts/`, following `next` to the end."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx

from app.collect.http import CollectorError, Fetcher
from app.collect.timeparse import aware_utc

log = logging.getLogger(__name__)

SOURCE = "cryptopanic"
POSTS_URL = "https://cryptopanic.com/api/developer/v2/posts/"


def parse_post(post: dict[str, Any]) -> dict[str, Any] | None:
    """One post as NewsItemCreate fields, or None when it lacks an id, title or link."""
    external_id = post.get("id")
    title = (post.get("title") or "").strip()
    url = post.get("original_url") or post.get("url")
    if external_id is None or not title or not url:
        return None
    instruments = post.get("instruments") or post.get("currencies") or []
    codes = sorted(
        {str(i["code"]).upper() for i in instruments if isinstance(i, dict) and i.get("code")}
    )
    return {
        "source": SOURCE,
        "external_id": str(external_id),
        "title": title,
        "url": url,
        "published_at": aware_utc(post.get("published_at")),
        "currencies": codes,
    }


def parse_page(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The items of one page and the `next` link (None on the last page)."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise CollectorError(f"{SOURCE}: unexpected response shape (no `results` list)")
    items = [item for post in body["results"] if (item := parse_post(post)) is not None]
    return items, body.get("next") or None


def next_request_url(next_link: str, *, api_key: str) -> httpx.URL:
    """The `next` link with our key; refuses to send the key to another host."""
    url = httpx.URL(next_link)
    if url.host != httpx.URL(POSTS_URL).host or url.scheme != "https":
        raise CollectorError(f"{SOURCE}: refusing to follow `next` to another origin")
    return url.copy_set_param("auth_token", api_key)


def fetch_pages(
    fetcher: Fetcher, *, api_key: str, max_pages: int
) -> Iterator[list[dict[str, Any]]]:
    """Yield the parsed items page by page, following `next` up to `max_pages` pages."""
    url: httpx.URL | None = httpx.URL(
        POSTS_URL, params={"auth_token": api_key, "public": "true", "kind": "news"}
    )
    page = 0
    while url is not None and page < max_pages:
        page += 1
        items, next_link = parse_page(fetcher.json("GET", url))
        log.info("%s: page %d, %d items", SOURCE, page, len(items))
        yield items
        url = next_request_url(next_link, api_key=api_key) if next_link else None
