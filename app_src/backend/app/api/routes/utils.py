"""Liveness (no I/O) and readiness (PostgreSQL and Redis reachable)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.core.db import engine
from app.core.redis import get_redis
from app.ratelimit import stats

router = APIRouter(prefix="/utils", tags=["utils"])
log = logging.getLogger("app.ready")
CHECK_TIMEOUT_S = 2.0


@router.get("/health-check/")
async def health_check() -> bool:
    """Liveness: the process answers. Touches nothing else."""
    return True


def _check_postgres() -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def _check(name: str, coro: Awaitable[object]) -> str | None:
    try:
        await asyncio.wait_for(coro, timeout=CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure means not ready
        log.warning("readiness: %s unavailable: %s: %s", name, type(exc).__name__, exc)
        return f"{type(exc).__name__}"
    return None


@router.get("/ready", responses={503: {"description": "A dependency is unreachable"}})
async def ready() -> JSONResponse:
    """Readiness: 200 when PostgreSQL and Redis answer, else 503 naming what failed."""
    pg_error, redis_error = await asyncio.gather(
        _check("postgres", asyncio.to_thread(_check_postgres)),
        _check("redis", get_redis().ping()),
    )
    checks = {
        "postgres": "ok" if pg_error is None else f"error: {pg_error}",
        "redis": "ok" if redis_error is None else f"error: {redis_error}",
    }
    ok = pg_error is None and redis_error is None
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": checks,
        "ratelimit_redis_failures": stats.redis_failures,
    }
    return JSONResponse(body, status_code=200 if ok else 503)
