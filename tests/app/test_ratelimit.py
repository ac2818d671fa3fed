"""Rate limiting on the real Redis: exact admissions under concurrency, headers, fail modes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from backend_testenv import free_port

ME = "/api/v1/users/me"


async def burst(base: str, headers: dict[str, str], n: int) -> list[httpx.Response]:
    """n requests at once, each on its own connection."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        return await asyncio.gather(*(client.get(ME, headers=headers) for _ in range(n)))


def statuses(responses: list[httpx.Response]) -> dict[int, int]:
    out: dict[int, int] = {}
    for r in responses:
        out[r.status_code] = out.get(r.status_code, 0) + 1
    return out


def test_100_concurrent_requests_admit_exactly_60(isolated_backend, make_account) -> None:
    user = make_account()
    responses = asyncio.run(burst(isolated_backend.url, user.headers, 100))
    assert "x-ratelimit-limit" in responses[0].headers  # counted, not failed open
    assert statuses(responses) == {200: 60, 429: 40}
    remaining = sorted(int(r.headers["x-ratelimit-remaining"]) for r in responses if r.is_success)
    assert remaining == list(range(60))  # each admitted request saw its own count


def test_admin_gets_five_times_the_limit(isolated_backend, make_account) -> None:
    admin = make_account(admin=True)
    responses = asyncio.run(burst(isolated_backend.url, admin.headers, 320))
    assert statuses(responses) == {200: 300, 429: 20}
    assert {r.headers["x-ratelimit-limit"] for r in responses} == {"300"}


def test_headers_are_exact_for_the_minute_window(api, make_account) -> None:
    user = make_account()
    for n in range(1, 61):
        resp = api.get("/users/me", headers=user.headers)
        assert resp.status_code == 200
        assert resp.headers["x-ratelimit-limit"] == "60"
        assert resp.headers["x-ratelimit-remaining"] == str(60 - n)
        assert 1 <= int(resp.headers["x-ratelimit-reset"]) <= 60
        assert "retry-after" not in resp.headers
    rejected = api.get("/users/me", headers=user.headers)
    assert rejected.status_code == 429
    assert rejected.json() == {"detail": "rate limit exceeded"}
    assert rejected.headers["x-ratelimit-limit"] == "60"
    assert rejected.headers["x-ratelimit-remaining"] == "0"
    reset = int(rejected.headers["x-ratelimit-reset"])
    assert 1 <= reset <= 60
    assert rejected.headers["retry-after"] == str(reset)


def test_rejected_requests_do_not_consume_the_hour_window(api, make_account, redis_sync) -> None:
    user = make_account()
    for _ in range(65):
        api.get("/users/me", headers=user.headers)
    assert int(redis_sync.get(f"rl:{{u:{user.id}}}:h")) == 60
    assert int(redis_sync.get(f"rl:{{u:{user.id}}}:m")) == 60


def test_headers_follow_the_hour_window_when_it_is_tighter(api, make_account, redis_sync) -> None:
    user = make_account()
    redis_sync.set(f"rl:{{u:{user.id}}}:h", 995, ex=1800)
    resp = api.get("/users/me", headers=user.headers)
    assert resp.headers["x-ratelimit-limit"] == "1000"
    assert resp.headers["x-ratelimit-remaining"] == "4"
    assert 1790 <= int(resp.headers["x-ratelimit-reset"]) <= 1800
    for _ in range(4):
        assert api.get("/users/me", headers=user.headers).status_code == 200
    rejected = api.get("/users/me", headers=user.headers)
    assert rejected.status_code == 429
    assert rejected.headers["x-ratelimit-limit"] == "1000"
    assert int(rejected.headers["retry-after"]) > 60


def test_anonymous_clients_are_limited_per_ip(api, make_account, redis_sync) -> None:
    user = make_account()
    redis_sync.flushdb()  # forget the login request
    for _ in range(3):
        assert api.get("/users/me").status_code == 401
    bad = api.get("/users/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.headers["x-ratelimit-remaining"] == "56"  # an invalid token counts as the IP
    assert int(redis_sync.get("rl:{ip:127.0.0.1}:m")) == 4
    assert api.get("/users/me", headers=user.headers).headers["x-ratelimit-remaining"] == "59"


def test_client_ip_comes_from_the_trusted_proxy_hop(isolated_backend) -> None:
    """Behind the load balancer the client is the rightmost untrusted X-Forwarded-For entry, so a
    client cannot pick its own bucket by sending the header itself."""
    client = isolated_backend.redis_client()
    spoofed = {"X-Forwarded-For": "192.0.2.66, 198.51.100.7"}
    try:
        for _ in range(2):
            httpx.get(f"{isolated_backend.url}{ME}", headers=spoofed, timeout=10)
        assert int(client.get("rl:{ip:198.51.100.7}:m")) == 2
        assert client.get("rl:{ip:192.0.2.66}:m") is None
    finally:
        client.close()


def test_exempt_paths_are_not_counted(api, server, redis_sync) -> None:
    for _ in range(70):
        assert api.get("/utils/health-check/").status_code == 200
    assert httpx.get(f"{server}/docs", timeout=10).status_code == 200
    assert redis_sync.keys("rl:*") == []


def test_redis_down_mid_test_fails_open_with_a_warning(isolated_backend) -> None:
    """Redis stops under a running backend: requests still succeed, a warning is logged, the
    failure counter grows; limiting resumes when Redis is back."""
    backend = isolated_backend
    with httpx.Client(base_url=backend.url, timeout=30) as client:
        token = client.post(
            "/api/v1/login/access-token", data={"username": "nobody@example.com", "password": "x"}
        )
        assert token.status_code == 400
        assert "x-ratelimit-limit" in token.headers  # counted per IP while Redis is up
        backend.redis("stop")
        try:
            for _ in range(5):
                resp = client.get("/api/v1/users/me")
                assert resp.status_code == 401  # reached the app: the limiter failed open
                assert "x-ratelimit-limit" not in resp.headers
            ready = client.get("/api/v1/utils/ready")
            assert ready.status_code == 503
            assert ready.json()["ratelimit_redis_failures"] >= 5
        finally:
            backend.redis("start")
        log = backend.log_text()
        assert "WARNING" in log and "Redis unavailable" in log and "failing open" in log
        resumed = [client.get("/api/v1/users/me") for _ in range(3)]
        assert "x-ratelimit-limit" in resumed[-1].headers
        assert client.get("/api/v1/utils/ready").status_code == 200


@pytest.mark.parametrize(("fail_open", "expected"), [(False, 503), (True, 200)])
def test_fail_mode_is_configurable(fail_open: bool, expected: int) -> None:
    from app.core.redis import make_client
    from app.ratelimit import RateLimitMiddleware

    async def ok_app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    dead = make_client(f"redis://127.0.0.1:{free_port()}/0", password="")
    app = RateLimitMiddleware(
        ok_app,
        redis=lambda: dead,
        per_minute=60,
        per_hour=1000,
        admin_multiplier=5,
        fail_open=fail_open,
        exempt=lambda path: False,
    )

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/api/v1/news/")

    assert asyncio.run(call()).status_code == expected
