"""RFC 9530 `Content-Digest: sha-256=:<base64>:` on every response with a body, as pure ASGI.

The digest covers exactly the bytes sent as the response's content. The response start is held
back until the body is complete (the API's answers are single JSON bodies; a streamed one is
gathered first), then sent with the header. HEAD answers and empty bodies get no header.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

HEADER = b"content-digest"


def content_digest(body: bytes) -> bytes:
    """The header value for `body`: `sha-256=:<base64 of the SHA-256>:` (a structured field)."""
    return b"sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()) + b":"


class ContentDigestMiddleware:
    """Adds Content-Digest to each response with a body; outermost, so it sees the final bytes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def digest_send(message: Message) -> None:
            nonlocal start
            kind = message["type"]
            if kind == "http.response.start":
                start = message
                return
            if start is None or kind != "http.response.body":
                if start is not None:  # another extension (e.g. pathsend): no digest
                    await send(start)
                    start = None
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            if body:
                headers = [*start.get("headers", ()), (HEADER, content_digest(body))]
                start = {**start, "headers": headers}
            await send(start)
            start = None
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, digest_send)
