"""Request dependencies: database session, current user from the bearer token, admin guard."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Annotated

import anyio
import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import ValidationError
from sqlmodel import Session

from app.core.config import settings
from app.core.db import engine
from app.core.security import decode_access_token
from app.models import TokenPayload, User

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


def _load_user(user_id: uuid.UUID) -> User | None:
    """One short transaction on a session of its own (connection taken and returned here)."""
    with Session(engine, expire_on_commit=False) as session:
        return session.get(User, user_id)


async def get_current_user(token: TokenDep) -> User:
    """The active user the token names; 401/403 otherwise. One thread hop, no held connection."""
    try:
        payload = TokenPayload(**decode_access_token(token))
        user_id = uuid.UUID(payload.sub or "")
    except (jwt.InvalidTokenError, ValidationError, ValueError) as exc:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    user = await anyio.to_thread.run_sync(_load_user, user_id)
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
