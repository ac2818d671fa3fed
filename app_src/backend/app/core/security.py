"""Password hashing and JWT access tokens (HS256). The token carries the user's role.

Tokens are signed with SECRET_KEY. After a key rotation, SECRET_KEY_PREVIOUS still verifies the
tokens it signed before SECRET_KEY_ROTATED_AT, until that time plus one token lifetime, so nobody
is logged out by a rotation; a token signed with any other key is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash

from app.core.config import Settings, settings

ALGORITHM = "HS256"
ROLE_ADMIN = "admin"
ROLE_USER = "user"

_hasher = PasswordHash.recommended()


@dataclass(frozen=True, kw_only=True)
class SigningKeys:
    """The current key, and the previous one with the time it was replaced (both or neither)."""

    current: str
    lifetime: timedelta
    previous: str | None = None
    rotated_at: datetime | None = None

    @classmethod
    def from_settings(cls, config: Settings) -> SigningKeys:
        rotated = (
            config.SECRET_KEY_PREVIOUS is not None and config.SECRET_KEY_ROTATED_AT is not None
        )
        return cls(
            current=config.SECRET_KEY,
            lifetime=timedelta(minutes=config.ACCESS_TOKEN_EXPIRE_MINUTES),
            previous=config.SECRET_KEY_PREVIOUS if rotated else None,
            rotated_at=config.SECRET_KEY_ROTATED_AT if rotated else None,
        )

    def previous_accepts(self, claims: dict[str, Any], now: datetime) -> bool:
        """Whether claims verified with the previous key are of a token issued before the rotation
        and the grace period (one token lifetime from the rotation) still runs."""
        if self.rotated_at is None:
            return False
        grace_end = self.rotated_at + self.lifetime
        issued = claims.get("iat")
        return (
            now < grace_end
            and claims["exp"] <= grace_end.timestamp()  # issued before the rotation, at the latest
            and (issued is None or issued <= self.rotated_at.timestamp())
        )


KEYS = SigningKeys.from_settings(settings)
_DECODE_OPTIONS: Any = {"require": ["exp"]}


def create_access_token(
    subject: str, *, role: str, expires_delta: timedelta, keys: SigningKeys = KEYS
) -> str:
    """A token with `sub`, `role`, `iat` and `exp`, signed with the current key."""
    now = datetime.now(UTC)
    payload = {"sub": str(subject), "role": role, "iat": now, "exp": now + expires_delta}
    return jwt.encode(payload, keys.current, algorithm=ALGORITHM)


def decode_access_token(
    token: str, *, keys: SigningKeys = KEYS, now: datetime | None = None
) -> dict[str, Any]:
    """The verified claims; raises jwt.InvalidTokenError on a bad, expired or foreign token.

    The current key first (every request after the grace period verifies once); the previous key
    only when the current one does not match and the rotation's grace period allows it.
    """
    try:
        return jwt.decode(token, keys.current, algorithms=[ALGORITHM], options=_DECODE_OPTIONS)
    except jwt.InvalidSignatureError:
        if keys.previous is None:
            raise
    claims: dict[str, Any] = jwt.decode(
        token, keys.previous, algorithms=[ALGORITHM], options=_DECODE_OPTIONS
    )
    if not keys.previous_accepts(claims, now or datetime.now(UTC)):
        raise jwt.InvalidSignatureError("signed with the previous key outside its grace period")
    return claims


def verify_password(plain_password: str, hashed_password: str) -> bool:
    return _hasher.verify(plain_password, hashed_password)


def get_password_hash(password: str) -> str:
    return _hasher.hash(password)
