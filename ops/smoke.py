"""`ops smoke`: HTTP checks of the backend and frontend health paths through the public URL."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import TypedDict

from ops.aws.stack_outputs import StackOutputs
from stacks.contract import names

TIMEOUT_SECONDS = 10.0
PAUSED_STATUS = 503  # what the edge answers on every path while parked (stacks/edge.py)
CHECKS = {names.BACKEND: names.BACKEND_HEALTH_PATH, names.FRONTEND: names.FRONTEND_HEALTH_PATH}


class UrlCheck(TypedDict):
    """One GET: its final status (None when nothing answered), time and error."""

    url: str
    status: int | None
    ok: bool
    ms: int
    error: str


class ServiceCheck(UrlCheck):
    """The check of one service's health path (`ops smoke --json`)."""

    service: str


def base_url(outputs: StackOutputs) -> str:
    """The public URL from the Service stack (CloudFront over HTTPS, unless plain HTTP is
    acknowledged); it is absent only for a parked plain-HTTP env, which is then a clear error."""
    return outputs.value(names.Outputs.PUBLIC_URL)


def check_url(url: str, *, timeout: float = TIMEOUT_SECONDS) -> UrlCheck:
    """GET `url` (following redirects): ok when the final status is 200."""
    started = time.monotonic()
    status: int | None
    request = urllib.request.Request(url, headers={"User-Agent": "ohmycoins-ops-smoke"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, error = response.status, ""
    except urllib.error.HTTPError as exc:
        status, error = exc.code, str(exc.reason)
    except (urllib.error.URLError, OSError) as exc:
        status, error = None, str(getattr(exc, "reason", exc))
    elapsed = round((time.monotonic() - started) * 1000)
    return {"url": url, "status": status, "ok": status == 200, "ms": elapsed, "error": error}


def run(
    outputs: StackOutputs, *, timeout: float = TIMEOUT_SECONDS, base: str | None = None
) -> list[ServiceCheck]:
    """One result per service health path, through the public URL (or `base`)."""
    base = (base or base_url(outputs)).rstrip("/")
    return [
        {"service": service, **check_url(base + path, timeout=timeout)}
        for service, path in CHECKS.items()
    ]


def failure(results: list[ServiceCheck]) -> str | None:
    """Why the smoke test failed (None when it passed); a 503 from every path is the parked edge."""
    failed = [r["service"] for r in results if not r["ok"]]
    if not failed:
        return None
    message = f"smoke test failed for: {', '.join(failed)}"
    if all(r["status"] == PAUSED_STATUS for r in results):
        message += " (503 everywhere: a parked environment answers paused until `ops unpark`)"
    return message
