"""The client's address behind CloudFront, for the per-IP rate limits (pure ASGI middleware).

Behind CloudFront and the load balancer, X-Forwarded-For ends with CloudFront's own address (the
load balancer's peer), so uvicorn's proxy headers would give every viewer of one edge location
the same address. CloudFront sends the viewer's address and port in its own header
(`CloudFront-Viewer-Address: 203.0.113.7:46532`, IPv6 without brackets), which a viewer cannot
set. It is trusted only when CLIENT_ADDRESS_HEADER names it, which the stacks do only when the
load balancer is reachable from CloudFront alone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def viewer_address(value: str) -> tuple[str, int] | None:
    """`(ip, port)` from `ip:port` (IPv4 or IPv6); None when malformed."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit():
        return None
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return str(address), int(port)


class ClientAddressMiddleware:
    """Sets `scope["client"]` from the trusted header; leaves it as is when absent or malformed."""

    def __init__(self, app: ASGIApp, *, header: str) -> None:
        self.app = app
        self.header = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            for name, value in scope.get("headers", ()):
                if name == self.header:
                    found = viewer_address(value.decode("latin-1"))
                    if found is not None:
                        scope["client"] = found
                    break
        await self.app(scope, receive, send)
