"""Request dependencies: database session, current user from the bearer token, admin guard."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Annotated

import anyio
import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlmodel import Session

from app.core.config import settings
from app.core.db import async_engine, async_pool_gate, engine
from app.core.security import decode_access_token
from app.models import TokenPayload, User
from app.ratelimit import verified_claims

reusable_oauth2 = OAuth2PasswordBearer(tokenUrl=f"{settings.API_V1_STR}/login/access-token")


# Sessions are closed on threads of their own: if closing shared the endpoints' thread pool, a
# burst of requests could hold every thread waiting for a pooled connection that only a close frees.
_close_limiter = anyio.CapacityLimiter(16)


async def get_db() -> AsyncGenerator[Session, None]:
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():  # holds a connection: closing it does I/O
            await anyio.to_thread.run_sync(session.close, limiter=_close_limiter)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


# SQLModel sets __table__ on table models at run time without declaring it to type checkers.
_USER_COLUMNS = User.__table__.columns  # type: ignore[attr-defined]
_USER_BY_ID = select(*_USER_COLUMNS).where(_USER_COLUMNS.id == bindparam("id"))


async def _load_user(user_id: uuid.UUID) -> User | None:
    """The user's row: one autocommit statement on the event loop (no transaction, no thread)."""
    async with async_pool_gate, async_engine.connect() as conn:
        row = (await conn.execute(_USER_BY_ID, {"id": user_id})).mappings().first()
    return None if row is None else User(**row)


async def get_current_user(request: Request, token: TokenDep) -> User:
    """The active user the token names; 401/403 otherwise.

    The user is read from the database on every request, so deactivating or deleting a user
    takes effect at once, whatever the token says. The token's signature is checked once per
    request: the rate limiter's verified claims are reused when it saw this same token.
    """
    try:
        claims = verified_claims(request.scope, token) or decode_access_token(token)
        payload = TokenPayload(**claims)
        user_id = uuid.UUID(payload.sub or "")
    except (jwt.InvalidTokenError, ValidationError, ValueError) as exc:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    user = await _load_user(user_id)
    if user is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="User not found")
    if not user.is_active:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_admin(current_user: CurrentUser) -> User:
    if not current_user.is_superuser:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admin role required")
    return current_user


CurrentAdmin = Annotated[User, Depends(get_current_admin)]
