"""Request body size limit as pure ASGI middleware, enforced before anything parses the body.

A declared Content-Length over the limit is answered 413 at once, without reading a byte of the
body. A body without one (chunked) is counted as it arrives: past the limit, reading stops and the
answer is 413. The limit is per path (the login form gets a smaller one).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

MIB = 1024 * 1024


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit; rendered as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body larger than {limit} bytes")


def declared_length(scope: MutableMapping[str, Any]) -> int | None:
    """The Content-Length header as a number, None when absent or unreadable."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """413 for bodies over `default` bytes, or over `per_path[path]` on that path."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        length = declared_length(scope)
        if length is not None and length > limit:
            await reply_413(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:  # read outside the routes' handlers (which answer 413 themselves)
            if started:
                raise
            await reply_413(send, limit)


async def reply_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
