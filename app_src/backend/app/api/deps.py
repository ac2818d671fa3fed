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
        await anyio.to_thread.run_sync(session.close, limiter=_close_limiter)


SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    """The active user the token names; 401/403 otherwise."""
    try:
        payload = TokenPayload(**decode_access_token(token))
        user_id = uuid.UUID(payload.sub or "")
    except (jwt.InvalidTokenError, ValidationError, ValueError) as exc:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="User not found")
    # End the read transaction so the pooled connection is not held while the request waits for
    # the next thread (the user object stays loaded: the session does not expire on commit).
    session.commit()
    if not user.is_active:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_admin(current_user: CurrentUser) -> User:
    if not current_user.is_superuser:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admin role required")
    return current_user


CurrentAdmin = Annotated[User, Depends(get_current_admin)]
