"""RFC 9530 Content-Digest on the responses, checked against the bytes received."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest


def expected(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def test_the_rfc_9530_example() -> None:
    from app.content_digest import content_digest

    rfc = b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"  # RFC 9530, section 2
    assert content_digest(b'{"hello": "world"}') == rfc


def test_every_answer_with_a_body_carries_the_digest_of_its_bytes(api, make_account) -> None:
    user = make_account()
    answers = [
        api.get("/users/me", headers=user.headers),  # 200 through the limiter
        api.get("/utils/health-check/"),  # exempt from the limiter
        api.get("/users/me"),  # 401
        api.post("/pnl/orders", json={"symbol": "\u0000"}, headers=user.headers),  # 422
        api.get("/no-such-path"),  # 404
    ]
    for resp in answers:
        assert resp.content, resp
        assert resp.headers["content-digest"] == expected(resp.content), resp.request.url


def test_rate_limited_and_too_large_answers_carry_it_too(api, make_account) -> None:
    user = make_account()
    for _ in range(60):
        api.get("/users/me", headers=user.headers)
    limited = api.get("/users/me", headers=user.headers)
    assert limited.status_code == 429
    assert limited.headers["content-digest"] == expected(limited.content)
    big = api.post("/users/signup", content=b"x" * (2 * 1024 * 1024))
    assert big.status_code == 413
    assert big.headers["content-digest"] == expected(big.content)


def test_head_answers_have_no_digest(api) -> None:
    resp = api.head("/utils/health-check/")
    assert "content-digest" not in resp.headers


def test_streamed_bodies_are_digested_whole() -> None:
    from app.content_digest import ContentDigestMiddleware, content_digest

    async def streaming_app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"abc", b"", b"def"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"!", "more_body": False})

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/"}
    asyncio.run(ContentDigestMiddleware(streaming_app)(scope, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == b"abcdef!"
    assert dict(sent[0]["headers"])[b"content-digest"] == content_digest(b"abcdef!")
    assert content_digest(b"abcdef!").decode() == expected(b"abcdef!")


@pytest.mark.parametrize("status", [204, 304])
def test_empty_bodies_have_no_digest(status) -> None:
    from app.content_digest import ContentDigestMiddleware

    async def empty_app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/"}
    asyncio.run(ContentDigestMiddleware(empty_app)(scope, receive, send))
    assert sent[0]["headers"] == []
