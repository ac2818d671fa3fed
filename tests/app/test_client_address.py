"""The client address the per-IP limits see, behind CloudFront + ALB and behind a plain ALB.

The chain is rebuilt as in production: uvicorn's proxy-headers middleware with the image's
FORWARDED_ALLOW_IPS, then app.client_address when CLIENT_ADDRESS_HEADER is set.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from app.client_address import ClientAddressMiddleware, viewer_address
from backend_testenv import backend_process
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

DOCKERFILE = Path(__file__).resolve().parents[2] / "app_src" / "backend" / "Dockerfile"
# The Dockerfile sets it (None would fail the import loudly, which is the point).
TRUSTED = re.search(r"FORWARDED_ALLOW_IPS=(\S+)", DOCKERFILE.read_text())[1]  # type: ignore[index]
HEADER = "CloudFront-Viewer-Address"
ALB = ("10.0.1.5", 41000)  # the load balancer's private address: the backend's peer
EDGE = "130.176.12.34"  # a CloudFront origin-facing address: the load balancer's peer
VIEWER = "203.0.113.7"
SPOOF = "6.6.6.6"  # what a viewer may put into X-Forwarded-For itself


def _client(headers: dict[str, str], *, header: str | None) -> str:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen["client"] = scope["client"]

    chain: Any = app if header is None else ClientAddressMiddleware(app, header=header)
    chain = ProxyHeadersMiddleware(chain, trusted_hosts=TRUSTED)
    scope = {
        "type": "http",
        "client": ALB,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(chain(scope, None, None))
    return str(seen["client"][0])


def test_behind_cloudfront_the_viewer_header_is_the_client() -> None:
    headers = {"X-Forwarded-For": f"{SPOOF}, {VIEWER}, {EDGE}", HEADER: f"{VIEWER}:51234"}
    assert _client(headers, header=HEADER) == VIEWER
    # Without it every viewer of one edge location would share CloudFront's address.
    assert _client(headers, header=None) == EDGE


def test_behind_a_plain_alb_the_forwarded_chain_gives_the_client() -> None:
    headers = {"X-Forwarded-For": f"{SPOOF}, {VIEWER}"}
    assert _client(headers, header=None) == VIEWER
    assert _client(headers, header=HEADER) == VIEWER  # header absent: unchanged


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("203.0.113.7:443", ("203.0.113.7", 443)),
        ("2001:db8::1:51234", ("2001:db8::1", 51234)),
        ("[2001:db8::1]:51234", ("2001:db8::1", 51234)),
        ("not-an-ip:80", None),
        ("203.0.113.7", None),
        ("", None),
    ],
)
def test_viewer_address_parsing(value: str, expected: tuple[str, int] | None) -> None:
    assert viewer_address(value) == expected


def test_a_malformed_header_keeps_the_forwarded_client() -> None:
    headers = {"X-Forwarded-For": f"{VIEWER}", HEADER: "garbage"}
    assert _client(headers, header=HEADER) == VIEWER


@pytest.fixture(scope="module")
def behind_cloudfront(database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    overrides = {
        "CLIENT_ADDRESS_HEADER": HEADER,
        "FORWARDED_ALLOW_IPS": TRUSTED,
        "RATE_LIMIT_PER_MINUTE": "3",
    }
    log = tmp_path_factory.mktemp("edge") / "backend.log"
    with backend_process(overrides, log) as url:
        yield url


def test_each_viewer_gets_its_own_bucket_on_the_real_backend(behind_cloudfront: str) -> None:
    """Two viewers behind one edge location: the limits count them apart."""
    run = uuid.uuid4().int
    viewers = [f"198.18.{run % 250}.{n}" for n in (1, 2)]  # fresh addresses every run

    def get(viewer: str) -> int:
        headers = {"X-Forwarded-For": f"{viewer}, {EDGE}", HEADER: f"{viewer}:40000"}
        return httpx.get(f"{behind_cloudfront}/api/v1/users/me", headers=headers).status_code

    first = [get(viewers[0]) for _ in range(4)]
    assert first == [401, 401, 401, 429]
    assert get(viewers[1]) == 401  # not limited by the first viewer's requests
