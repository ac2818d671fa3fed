"""Unexpected exceptions: answered 500, logged without the data they carry.

An exception's message can carry request data: PostgreSQL's DETAIL line repeats the failing row
("Failing row contains (..., <password hash>, ...)") or key ("Key (email)=(...)"), a response
validation error repeats the values. The server's own error log prints all of that, so this
middleware catches the exception first and logs only what locates the fault: the request line
without its query, the exception types, the SQLSTATE and PostgreSQL's primary message (which names
constraints, never values) and the stack frames.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sqlalchemy.exc import DBAPIError

log = logging.getLogger("app.errors")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]
BODY = b'{"detail":"Internal Server Error"}'


def describe(exc: BaseException) -> str:
    """Exception types along the chain, SQLSTATE and primary message of a database error."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 5:
        part = type(seen).__name__
        if isinstance(seen, DBAPIError):
            diag = getattr(seen.orig, "diag", None)
            sqlstate = getattr(seen.orig, "sqlstate", None)
            primary = getattr(diag, "message_primary", None)
            part += f" (SQLSTATE {sqlstate}: {primary})" if sqlstate else ""
        parts.append(part)
        seen = seen.__cause__ or seen.__context__
    return " <- ".join(parts)


def frames(exc: BaseException) -> str:
    """The stack of the exception: file, line and function, no message, no local values."""
    summary = traceback.extract_tb(exc.__traceback__)
    return "".join(f"\n  {f.filename}:{f.lineno} in {f.name}" for f in summary)


class ServerErrorMiddleware:
    """Innermost pure ASGI middleware: turns any exception into a 500 with a data-free log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "unhandled error on %s %s: %s%s",
                scope.get("method"),
                scope.get("path"),
                describe(exc),
                frames(exc),
            )
            if started:  # too late for a status: end the body so the connection is not left open
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(BODY)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": BODY})
