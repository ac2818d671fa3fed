"""The collectors' HTTP policy: Retry-After, backoff, stop on 401/403, no secret in messages."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from app.collect.http import AuthRejected, CollectorError, Fetcher, RetryPolicy, retry_after_seconds

URL = "https://api.example.test/v1/things"


def fetcher(api, sleeps, api_key, **policy) -> Fetcher:
    return Fetcher(
        client=api.client(),
        provider="example",
        secret=api_key,
        sleep=sleeps.append,
        policy=RetryPolicy(**policy),
    )


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 25 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Wed, 25 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_429_waits_as_long_as_retry_after_says_then_succeeds(fake_api, sleeps, api_key):
    api = fake_api((429, {"detail": "slow down"}, {"Retry-After": "7"}), (200, {"ok": True}))
    assert fetcher(api, sleeps, api_key).json("GET", URL) == {"ok": True}
    assert sleeps == [7.0]
    assert len(api.requests) == 2


def test_retry_after_is_capped_by_the_policy(fake_api, sleeps, api_key):
    api = fake_api((429, {}, {"Retry-After": "3600"}), (200, []))
    fetcher(api, sleeps, api_key, max_delay=30.0).json("GET", URL)
    assert sleeps == [30.0]


def test_429_without_retry_after_backs_off_exponentially_then_gives_up(fake_api, sleeps, api_key):
    api = fake_api(*[(429, {})] * 4)
    with pytest.raises(CollectorError, match="HTTP 429 after 4 attempts"):
        fetcher(api, sleeps, api_key, max_attempts=4, base_delay=2.0).json("GET", URL)
    assert sleeps == [2.0, 4.0, 8.0]
    assert len(api.requests) == 4


@pytest.mark.parametrize("status", [401, 403])
def test_auth_rejection_stops_at_once(fake_api, sleeps, api_key, status):
    api = fake_api((status, {"detail": "Invalid token"}), (200, {"never": "reached"}))
    with pytest.raises(AuthRejected, match=f"rejected the API key \\(HTTP {status}\\)"):
        fetcher(api, sleeps, api_key).json("GET", URL)
    assert len(api.requests) == 1
    assert sleeps == []


def test_server_errors_and_transport_errors_are_retried(fake_api, sleeps, api_key):
    api = fake_api((503, {}), (0, httpx.ConnectError("connection refused")), (200, {"n": 1}))
    assert fetcher(api, sleeps, api_key).json("GET", URL) == {"n": 1}
    assert sleeps == [1.0, 2.0]


def test_other_client_errors_are_not_retried(fake_api, sleeps, api_key):
    api = fake_api((422, {"detail": "bad body"}))
    with pytest.raises(CollectorError, match="HTTP 422; not retried"):
        fetcher(api, sleeps, api_key).json("GET", URL)
    assert sleeps == []


def test_a_transport_error_message_never_carries_the_key(fake_api, sleeps, api_key):
    api = fake_api((0, httpx.ReadTimeout(f"timed out reading {URL}?auth_token={api_key}")))
    with pytest.raises(CollectorError) as caught:
        fetcher(api, sleeps, api_key, max_attempts=1).json("GET", URL)
    assert api_key not in str(caught.value)
    assert "auth_token=***" in str(caught.value)
