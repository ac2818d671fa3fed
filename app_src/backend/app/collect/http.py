"""Collector HTTP policy: timeouts, backoff on 429/5xx honouring Retry-After, stop on 401/403."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class CollectorError(Exception):
    """A page could not be fetched; the message never contains a secret."""


class AuthRejected(CollectorError):
    """The provider answered 401/403: the key is wrong, expired or lacks the plan."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how long to wait before giving up on one request."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 120.0


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta-seconds or HTTP-date) into seconds, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Fetcher:
    """Sends requests for one provider and returns decoded JSON, retrying what is worth retrying.

    `page_sha256` lists the SHA-256 (hex) of each JSON body received, in order: what the run
    record keeps so an audit can tell exactly which pages were received.
    """

    def __init__(
        self,
        *,
        client: httpx.Client,
        provider: str,
        secret: str,
        sleep: Callable[[float], None] = time.sleep,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._client = client
        self._provider = provider
        self._secret = secret
        self._sleep = sleep
        self._policy = policy or RetryPolicy()
        self.page_sha256: list[str] = []

    def redact(self, text: str) -> str:
        """Remove the API key from a message before it is logged or stored."""
        return text.replace(self._secret, "***") if self._secret else text

    def _backoff(self, attempt: int) -> float:
        return float(min(self._policy.max_delay, self._policy.base_delay * 2 ** (attempt - 1)))

    def json(self, method: str, url: str | httpx.URL, **kwargs: Any) -> Any:
        """Send one request and return its JSON body; raise CollectorError when it cannot."""
        policy = self._policy
        for attempt in range(1, policy.max_attempts + 1):
            last = attempt == policy.max_attempts
            try:
                response = self._client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                reason = self.redact(f"{type(exc).__name__}: {exc}")
                if last:
                    raise CollectorError(f"{self._provider}: {reason}") from None
                delay = self._backoff(attempt)
                log.warning("%s: %s; retrying in %.1fs", self._provider, reason, delay)
                self._sleep(delay)
                continue
            status = response.status_code
            if status in (401, 403):
                raise AuthRejected(
                    f"{self._provider} rejected the API key (HTTP {status}); "
                    "check the key and the plan, then run again"
                )
            if status == 429 or status >= 500:
                if last:
                    raise CollectorError(
                        f"{self._provider}: HTTP {status} after {attempt} attempts; giving up"
                    )
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                delay = min(policy.max_delay, wait) if wait is not None else self._backoff(attempt)
                log.warning("%s: HTTP %s; retrying in %.1fs", self._provider, status, delay)
                self._sleep(delay)
                continue
            if status >= 400:
                raise CollectorError(f"{self._provider}: HTTP {status}; not retried")
            try:
                body = response.json()
            except ValueError:
                raise CollectorError(f"{self._provider}: response is not JSON") from None
            self.page_sha256.append(hashlib.sha256(response.content).hexdigest())
            return body
        raise CollectorError(f"{self._provider}: no attempt made")  # max_attempts < 1
