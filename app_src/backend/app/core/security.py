"""Password hashing and JWT access tokens (HS256). The token carries the user's role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash

from app.core.config import settings

ALGORITHM = "HS256"
ROLE_ADMIN = "admin"
ROLE_USER = "user"

_hasher = PasswordHash.recommended()


def create_access_token(subject: str, *, role: str, expires_delta: timedelta) -> str:
    """A signed token with `sub`, `role` and `exp`."""
    expire = datetime.now(UTC) + expires_delta
    payload = {"sub": str(subject), "role": role, "exp": expire}
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=ALGORITHM)


def decode_access_token(token: str) -> dict[str, Any]:
    """The verified claims; raises jwt.InvalidTokenError on a bad or expired token."""
    return jwt.decode(token, settings.SECRET_KEY, algorithms=[ALGORITHM])


def verify_password(plain_password: str, hashed_password: str) -> bool:
    return _hasher.verify(plain_password, hashed_password)


def get_password_hash(password: str) -> str:
    return _hasher.hash(password)
