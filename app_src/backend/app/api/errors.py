"""Error answers: 422 without echoing the input, and the documented error responses.

A validation error names the field (`loc`) and the rule (`msg`) but never repeats the value: it
may be a password, or text JSON cannot encode (an unpaired surrogate).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlmodel import SQLModel


class ErrorDetail(SQLModel):
    detail: str


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: renders any str, even one UTF-8 cannot encode."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 listing each failed field: its location, the rule it broke and the error type."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
    return AsciiJSONResponse({"detail": errors}, status_code=422)


def invalid(location: tuple[str, ...], message: str) -> RequestValidationError:
    """A 422 for a rule across fields, in the same shape as the per-field ones."""
    return RequestValidationError([{"type": "value_error", "loc": location, "msg": message}])


def _described(description: str) -> dict[str, Any]:
    return {"model": ErrorDetail, "description": description}


# Answers any API route may give besides its own: the body limit and the rate limiter.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: _described("Request body too large"),
    429: _described("Rate limit exceeded (see Retry-After)"),
    503: _described("Rate limiter unavailable, with RATE_LIMIT_FAIL_OPEN=false"),
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _described("Missing, invalid or expired token, or unknown user"),
    403: _described("Inactive user, or the route needs the admin role"),
}
BAD_REQUEST: dict[int | str, dict[str, Any]] = {
    400: _described("A body that cannot be parsed, or refused by a business rule")
}
