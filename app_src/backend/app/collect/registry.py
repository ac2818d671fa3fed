"""The three collectors: which key enables each, what it stores, how it pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from app.collect import cryptopanic, nansen, newscatcher
from app.collect.http import Fetcher

Pages = Iterator[list[dict[str, Any]]]
PageSource = Callable[[Fetcher, str, int, datetime], Pages]


@dataclass(frozen=True, kw_only=True)
class Collector:
    """One collector: its name, the setting holding its key, its target table, its pager."""

    name: str
    key_setting: str
    kind: Literal["news", "smart_money"]
    pages: PageSource


COLLECTORS: dict[str, Collector] = {
    c.name: c
    for c in (
        Collector(
            name=cryptopanic.SOURCE,
            key_setting="CRYPTOPANIC_API_KEY",
            kind="news",
            pages=lambda f, key, n, _now: cryptopanic.fetch_pages(f, api_key=key, max_pages=n),
        ),
        Collector(
            name=newscatcher.SOURCE,
            key_setting="NEWSCATCHER_API_KEY",
            kind="news",
            pages=lambda f, key, n, _now: newscatcher.fetch_pages(f, api_key=key, max_pages=n),
        ),
        Collector(
            name=nansen.SOURCE,
            key_setting="NANSEN_API_KEY",
            kind="smart_money",
            pages=lambda f, key, n, now: nansen.fetch_pages(f, api_key=key, max_pages=n, now=now),
        ),
    )
}
