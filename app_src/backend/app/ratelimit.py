"""Rate limiting as pure ASGI middleware backed by Redis.

Two windows per client, a minute and an hour, each starting at the client's first request in it
(the key's TTL is the window). One Lua script checks and updates both atomically, so each request
costs one Redis round trip; a rejected request consumes neither window. Clients are the user of a
valid bearer token (admins get a multiple of the limits) or else the client IP. The headers describe
the tightest window. When Redis fails the middleware fails open (configurable) with a warning log
and a counter. Rejections and fail-open passes are also counted as metrics (`app.metrics`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import Message, Receive, Scope, Send

from app import metrics
from app.core.security import ROLE_ADMIN, decode_access_token

log = logging.getLogger("app.ratelimit")

CLAIMS_STATE_KEY = "verified_token_claims"
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
WARN_EVERY_S = 10.0

# KEYS: minute key, hour key. ARGV: minute limit, hour limit, minute ms, hour ms.
# Returns {allowed, minute count, minute pttl, hour count, hour pttl}.
LUA = """
local function state(key, window)
  local count = tonumber(redis.call('GET', key) or '0')
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then ttl = window end
  return count, ttl
end
local ml, hl = tonumber(ARGV[1]), tonumber(ARGV[2])
local mw, hw = tonumber(ARGV[3]), tonumber(ARGV[4])
local m, mt = state(KEYS[1], mw)
local h, ht = state(KEYS[2], hw)
if m >= ml or h >= hl then
  return {0, m, mt, h, ht}
end
m = redis.call('INCR', KEYS[1])
if m == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], mw) end
h = redis.call('INCR', KEYS[2])
if h == 1 or redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], hw) end
return {1, m, redis.call('PTTL', KEYS[1]), h, redis.call('PTTL', KEYS[2])}
"""


@dataclass(frozen=True)
class Window:
    limit: int
    count: int
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    window: Window  # the tightest window: what the headers describe

    def headers(self) -> list[tuple[bytes, bytes]]:
        w = self.window
        out = [
            (b"x-ratelimit-limit", str(w.limit).encode()),
            (b"x-ratelimit-remaining", str(w.remaining).encode()),
            (b"x-ratelimit-reset", str(w.reset).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(w.reset).encode()))
        return out


def decide(allowed: bool, windows: Iterable[Window]) -> Decision:
    """The tightest window: when rejected, the exhausted one that resets last; else the one with
    the fewest remaining requests (ties: the one that resets last)."""
    pool = list(windows)
    if not allowed:
        pool = [w for w in pool if w.remaining == 0] or pool
        return Decision(False, max(pool, key=lambda w: w.reset))
    return Decision(True, min(pool, key=lambda w: (w.remaining, -w.reset)))


@dataclass
class LimiterStats:
    """Process-wide counters (read by the readiness endpoint and the tests)."""

    redis_failures: int = 0
    rejected: int = 0


stats = LimiterStats()


def verified_claims(scope: Scope, token: str) -> dict[str, Any] | None:
    """The claims the middleware verified for exactly this token in this request, if any."""
    seen = scope.get("state", {}).get(CLAIMS_STATE_KEY)
    if seen is None or seen[0] != token:
        return None
    claims: dict[str, Any] = seen[1]
    return claims


def _seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


class RateLimitMiddleware:
    """ASGI middleware; `redis` is called per request so the client can be replaced at runtime."""

    def __init__(
        self,
        app: Any,
        *,
        redis: Callable[[], Redis],
        per_minute: int,
        per_hour: int,
        admin_multiplier: int,
        fail_open: bool,
        exempt: Callable[[str], bool],
    ) -> None:
        self.app = app
        self.redis = redis
        self.limits = (per_minute, per_hour)
        self.admin_multiplier = admin_multiplier
        self.fail_open = fail_open
        self.exempt = exempt
        self._script: Any = None
        self._script_client: Redis | None = None
        self._last_warning = -math.inf
        self._healthy = True

    def identify(self, scope: Scope) -> tuple[str, bool]:
        """(client key, is admin): the token's user when valid, else the client IP."""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token:
                    token = token.strip()
                    try:
                        claims = decode_access_token(token)
                    except jwt.InvalidTokenError:
                        break
                    # Request state: the auth dependency reuses the verified claims.
                    scope.setdefault("state", {})[CLAIMS_STATE_KEY] = (token, claims)
                    if claims.get("sub"):
                        return f"u:{claims['sub']}", claims.get("role") == ROLE_ADMIN
                break
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}", False

    async def hit(self, key: str, admin: bool) -> Decision:
        """One atomic check-and-count for both windows."""
        client = self.redis()
        if self._script is None or self._script_client is not client:
            self._script, self._script_client = client.register_script(LUA), client
        factor = self.admin_multiplier if admin else 1
        minute, hour = (limit * factor for limit in self.limits)
        keys = [f"rl:{{{key}}}:m", f"rl:{{{key}}}:h"]
        allowed, m, mt, h, ht = await self._script(
            keys=keys, args=[minute, hour, MINUTE_MS, HOUR_MS]
        )
        windows = (Window(minute, int(m), _seconds(mt)), Window(hour, int(h), _seconds(ht)))
        return decide(bool(allowed), windows)

    def _redis_failed(self, exc: BaseException) -> None:
        stats.redis_failures += 1
        now = time.monotonic()
        if self._healthy or now - self._last_warning >= WARN_EVERY_S:
            mode = "open" if self.fail_open else "closed"
            log.warning(
                "rate limiter: Redis unavailable (%s: %s); failing %s (failures so far: %d)",
                type(exc).__name__,
                exc,
                mode,
                stats.redis_failures,
            )
            self._last_warning = now
        self._healthy = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        key, admin = self.identify(scope)
        try:
            decision = await self.hit(key, admin)
        except (RedisError, OSError, TimeoutError) as exc:
            self._redis_failed(exc)
            if self.fail_open:
                metrics.requests.add(metrics.RATE_LIMIT_FAIL_OPEN)
                await self.app(scope, receive, send)
            else:
                await _reply(send, 503, {"detail": "rate limiter unavailable"}, [])
            return
        if not self._healthy:
            log.info("rate limiter: Redis reachable again")
            self._healthy = True
        if not decision.allowed:
            stats.rejected += 1
            metrics.requests.add(metrics.RATE_LIMIT_REJECTED)
            await _reply(send, 429, {"detail": "rate limit exceeded"}, decision.headers())
            return
        extra = decision.headers()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _reply(
    send: Send, status: int, body: dict[str, str], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
