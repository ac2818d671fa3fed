"""The FastAPI application: API router, middleware (5xx metrics, content digest, body limit, rate
limiting, CORS, data-free 500s), validation errors, Redis client lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from app import metrics
from app.api.errors import COMMON_RESPONSES, validation_error
from app.api.main import api_router
from app.body_limit import BodyLimitMiddleware
from app.client_address import ClientAddressMiddleware
from app.content_digest import ContentDigestMiddleware
from app.core.config import API_KEY_NAMES, settings
from app.core.db import async_engine
from app.core.redis import close_redis, get_redis
from app.ratelimit import RateLimitMiddleware
from app.server_errors import ServerErrorMiddleware

log = logging.getLogger("app")
DOC_PATHS = ("/docs", "/redoc", "/openapi.json")


def custom_generate_unique_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def is_exempt(path: str) -> bool:
    """Health, readiness and docs are never rate limited."""
    if path.startswith(DOC_PATHS):
        return True
    utils = f"{settings.API_V1_STR}/utils/"
    return path in (f"{utils}health-check/", f"{utils}health-check", f"{utils}ready")


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    for name in API_KEY_NAMES:
        if settings.api_key(name) is None:
            log.warning("%s is unset or a placeholder: its collector is disabled", name)
    if settings.SECRET_KEY_PREVIOUS and settings.SECRET_KEY_ROTATED_AT is None:
        log.warning("SECRET_KEY_PREVIOUS without SECRET_KEY_ROTATED_AT: its tokens are refused")
    freeze_startup_objects()
    flusher = asyncio.create_task(
        metrics.flush_periodically(settings.ENVIRONMENT, settings.METRICS_FLUSH_SECONDS)
    )
    yield
    flusher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await flusher
    await close_redis()
    await async_engine.dispose()


def freeze_startup_objects() -> None:
    """Move what startup built (modules, models, routes) out of the garbage collector's scans.

    Without this, each full collection walks every object the imports created and stalls all
    in-flight requests: under load it is what makes the latency tail (p95 about 1.6x the median
    instead of 1.1x).
    """
    gc.collect()
    gc.freeze()


def configure_logging() -> None:
    """Level-tagged lines on stderr (CloudWatch via the awslogs driver), unless already set up."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=settings.LOG_LEVEL,
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )


def create_app() -> FastAPI:
    configure_logging()
    app = FastAPI(
        title=settings.PROJECT_NAME,
        openapi_url="/openapi.json",
        generate_unique_id_function=custom_generate_unique_id,
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, validation_error)
    # Added innermost first: a request meets the 5xx counter, the digest, the body limit, the
    # limiter, CORS, then the data-free 500s around the routes.
    app.add_middleware(ServerErrorMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
        )
    if settings.RATE_LIMIT_ENABLED:
        app.add_middleware(
            RateLimitMiddleware,
            redis=get_redis,
            per_minute=settings.RATE_LIMIT_PER_MINUTE,
            per_hour=settings.RATE_LIMIT_PER_HOUR,
            admin_multiplier=settings.RATE_LIMIT_ADMIN_MULTIPLIER,
            fail_open=settings.RATE_LIMIT_FAIL_OPEN,
            exempt=is_exempt,
        )
    login_path = f"{settings.API_V1_STR}/login/access-token"
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.MAX_BODY_BYTES,
        per_path={login_path: settings.MAX_LOGIN_BODY_BYTES},
    )
    if settings.CONTENT_DIGEST_ENABLED:
        app.add_middleware(ContentDigestMiddleware)
    app.add_middleware(metrics.ServerErrorCounter)  # counts every answer of the ones inside
    if (
        settings.CLIENT_ADDRESS_HEADER
    ):  # behind CloudFront: the viewer's address, before the limiter
        app.add_middleware(ClientAddressMiddleware, header=settings.CLIENT_ADDRESS_HEADER)
    app.include_router(api_router, prefix=settings.API_V1_STR, responses=COMMON_RESPONSES)
    return app


app = create_app()
