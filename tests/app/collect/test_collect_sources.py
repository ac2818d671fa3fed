"""Each provider's requests and parsing, against recorded multi-page responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from app.collect import cryptopanic, nansen, newscatcher
from app.collect.http import AuthRejected, CollectorError, Fetcher


def fetcher(api, sleeps, api_key, provider) -> Fetcher:
    return Fetcher(client=api.client(), provider=provider, secret=api_key, sleep=sleeps.append)


def test_cryptopanic_follows_next_with_our_key_and_parses_posts(
    fake_api, sleeps, api_key, recorded
):
    api = fake_api((200, recorded("cryptopanic_page1")), (200, recorded("cryptopanic_page2")))
    f = fetcher(api, sleeps, api_key, "cryptopanic")
    pages = list(cryptopanic.fetch_pages(f, api_key=api_key, max_pages=5))

    assert [len(p) for p in pages] == [2, 1]  # the untitled post on page 2 is dropped
    first, second = api.requests
    assert first.url.path == "/api/developer/v2/posts/"
    assert first.url.params["auth_token"] == api_key
    assert first.url.params["public"] == "true"
    assert second.url.params["page"] == "2"
    assert second.url.params["auth_token"] == api_key  # not the recorded token in `next`

    btc = pages[0][0]
    assert btc["source"] == "cryptopanic"
    assert btc["external_id"] == "24461001"
    assert btc["url"].startswith("https://www.coindesk.com/")  # original_url preferred
    assert btc["published_at"] == datetime(2026, 11, 24, 21, 14, 3, tzinfo=UTC)
    assert btc["currencies"] == ["BTC"]
    assert pages[0][1]["currencies"] == ["ETH", "SOL"]
    assert pages[1][0]["url"].startswith("https://cryptopanic.com/news/")  # no original_url


def test_cryptopanic_stops_at_max_pages(fake_api, sleeps, api_key, recorded):
    api = fake_api((200, recorded("cryptopanic_page1")))
    f = fetcher(api, sleeps, api_key, "cryptopanic")
    assert len(list(cryptopanic.fetch_pages(f, api_key=api_key, max_pages=1))) == 1
    assert len(api.requests) == 1


def test_cryptopanic_never_sends_the_key_to_another_host(fake_api, sleeps, api_key, recorded):
    page = recorded("cryptopanic_page1")
    page["next"] = "https://evil.example/api/developer/v2/posts/?page=2"
    api = fake_api((200, page))
    f = fetcher(api, sleeps, api_key, "cryptopanic")
    with pytest.raises(CollectorError, match="another origin"):
        list(cryptopanic.fetch_pages(f, api_key=api_key, max_pages=5))
    assert len(api.requests) == 1


def test_cryptopanic_rejects_an_unexpected_shape(fake_api, sleeps, api_key):
    api = fake_api((200, {"status": "error", "info": "plan required"}))
    f = fetcher(api, sleeps, api_key, "cryptopanic")
    with pytest.raises(CollectorError, match="unexpected response shape"):
        list(cryptopanic.fetch_pages(f, api_key=api_key, max_pages=5))


def test_newscatcher_loops_page_with_the_token_header(fake_api, sleeps, api_key, recorded):
    api = fake_api((200, recorded("newscatcher_page1")), (200, recorded("newscatcher_page2")))
    f = fetcher(api, sleeps, api_key, "newscatcher")
    pages = list(newscatcher.fetch_pages(f, api_key=api_key, max_pages=10))

    assert [len(p) for p in pages] == [2, 1]
    assert [r.url.params["page"] for r in api.requests] == ["1", "2"]
    assert all(r.headers["x-api-token"] == api_key for r in api.requests)
    assert all("api_key" not in str(r.url) and api_key not in str(r.url) for r in api.requests)
    miners = pages[0][0]
    assert miners["external_id"] == "7c1e2b6f0a9d4e3b8f21c5d6a7b8c9d0"
    assert (
        miners["url"]
        == "https://www.reuters.com/markets/currencies/bitcoin-miners-sell-2026-11-24/"
    )
    assert miners["published_at"] == datetime(2026, 11, 24, 19, 30, tzinfo=UTC)
    assert miners["currencies"] == ["BTC"]
    assert pages[0][1]["currencies"] == ["ETH"]
    assert pages[1][0]["currencies"] == []


def test_newscatcher_429_then_success_keeps_paging(fake_api, sleeps, api_key, recorded):
    api = fake_api(
        (200, recorded("newscatcher_page1")),
        (429, {"message": "Too many requests"}, {"Retry-After": "2"}),
        (200, recorded("newscatcher_page2")),
    )
    f = fetcher(api, sleeps, api_key, "newscatcher")
    assert sum(len(p) for p in newscatcher.fetch_pages(f, api_key=api_key, max_pages=10)) == 3
    assert sleeps == [2.0]
    assert [r.url.params["page"] for r in api.requests] == ["1", "2", "2"]


def test_newscatcher_401_stops_without_retry(fake_api, sleeps, api_key):
    api = fake_api((401, {"message": "Invalid API token"}))
    f = fetcher(api, sleeps, api_key, "newscatcher")
    with pytest.raises(AuthRejected):
        list(newscatcher.fetch_pages(f, api_key=api_key, max_pages=10))
    assert len(api.requests) == 1


def test_nansen_posts_pages_until_the_last(fake_api, sleeps, api_key, recorded):
    api = fake_api((200, recorded("nansen_page1")), (200, recorded("nansen_page2")))
    f = fetcher(api, sleeps, api_key, "nansen")
    now = datetime(2026, 11, 25, 9, 41, 17, tzinfo=UTC)
    pages = list(nansen.fetch_pages(f, api_key=api_key, max_pages=10, now=now))

    assert [len(p) for p in pages] == [2, 1]  # the row without a 24h figure is dropped
    assert all(
        r.method == "POST" and r.url.path == "/api/v1/smart-money/netflow" for r in api.requests
    )
    assert all(r.headers["apikey"] == api_key for r in api.requests)
    bodies = [json.loads(r.content) for r in api.requests]
    assert [b["pagination"]["page"] for b in bodies] == [1, 2]
    assert set(bodies[0]["chains"]) == set(nansen.CHAINS)
    weth = pages[0][0]
    assert weth == {
        "chain": "ethereum",
        "token_address": "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
        "token_symbol": "WETH",
        "net_flow_usd": Decimal("4812950.55"),
        "period_start": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    }
    assert pages[0][1]["net_flow_usd"] == Decimal("-310442.9")


def test_nansen_same_hour_maps_to_the_same_period():
    a = nansen.period_start(datetime(2026, 11, 25, 9, 0, 1, tzinfo=UTC))
    b = nansen.period_start(datetime(2026, 11, 25, 9, 59, 59, tzinfo=UTC))
    c = nansen.period_start(datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC))
    assert a == b != c
