"""The shared asyncio Redis client (TLS with rediss://, AUTH from REDIS_PASSWORD or the URL)."""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app.core.config import settings

_client: Redis | None = None


def make_client(url: str | None = None, password: str | None = None) -> Redis:
    """A client that fails fast (short timeouts, no retries): callers decide how to degrade.

    Its pool makes a burst of requests queue briefly for one of a few connections (each command is
    sub-millisecond) instead of opening one per request.
    """
    kwargs: dict[str, Any] = {
        "max_connections": 32,
        "timeout": 5.0,
        "socket_connect_timeout": 1.0,
        "socket_timeout": 1.0,
        "health_check_interval": 0,
    }
    password = password if password is not None else settings.REDIS_PASSWORD
    if password:
        kwargs["password"] = password
    pool = BlockingConnectionPool.from_url(url or settings.REDIS_URL, **kwargs)
    return Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))


def get_redis() -> Redis:
    """The process-wide client, created on first use."""
    global _client
    if _client is None:
        _client = make_client()
    return _client


async def close_redis() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None
