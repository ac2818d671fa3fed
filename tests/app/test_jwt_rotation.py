"""JWT signing key rotation: sign with the current key, verify with the current or (for tokens
issued before the rotation, for one token lifetime) the previous key, refuse any other key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from backend_testenv import APP_ENV, PASSWORD, backend_process

OLD = "old-signing-key-0123456789-abcdefghijklmnop"
NEW = "new-signing-key-0123456789-abcdefghijklmnop"
OTHER = "some-other-key-0123456789-abcdefghijklmnop"
LIFETIME = timedelta(hours=24)
ROTATED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def keys(**overrides):
    from app.core.security import SigningKeys

    values = {"current": NEW, "previous": OLD, "rotated_at": ROTATED, "lifetime": LIFETIME}
    return SigningKeys(**{**values, **overrides})


def token(key: str, *, issued: datetime | None, lifetime: timedelta = LIFETIME) -> str:
    """A token as the backend signs them (`iat` omitted when `issued` is None: older tokens)."""
    start = issued or ROTATED - timedelta(hours=2)
    claims: dict = {"sub": "u-1", "role": "user", "exp": start + lifetime}
    if issued is not None:
        claims["iat"] = issued
    return jwt.encode(claims, key, algorithm="HS256")


def decode(tok: str, *, now: datetime | None = None, **overrides) -> dict:
    from app.core.security import decode_access_token

    return decode_access_token(tok, keys=keys(**overrides), now=now)


def test_new_tokens_are_signed_with_the_current_key_and_carry_iat() -> None:
    from app.core.security import create_access_token

    tok = create_access_token("u-1", role="user", expires_delta=LIFETIME, keys=keys())
    claims = jwt.decode(tok, NEW, algorithms=["HS256"])
    assert claims["sub"] == "u-1" and claims["iat"] <= datetime.now(UTC).timestamp()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tok, OLD, algorithms=["HS256"])
    assert decode(tok)["sub"] == "u-1"


def test_previous_key_verifies_tokens_issued_before_the_rotation() -> None:
    before = ROTATED - timedelta(hours=3)
    assert decode(token(OLD, issued=before))["sub"] == "u-1"
    assert decode(token(OLD, issued=None))["sub"] == "u-1"  # issued before iat was added


def test_previous_key_refuses_tokens_issued_after_the_rotation() -> None:
    with pytest.raises(jwt.InvalidTokenError):
        decode(token(OLD, issued=ROTATED + timedelta(minutes=1)))
    # A forged token claiming an early iat but valid past the grace period.
    forged = token(OLD, issued=ROTATED - timedelta(minutes=1), lifetime=LIFETIME * 3)
    with pytest.raises(jwt.InvalidTokenError):
        decode(forged)


def test_previous_key_is_refused_once_the_grace_period_ends() -> None:
    tok = token(OLD, issued=ROTATED - timedelta(minutes=1))
    assert decode(tok, now=ROTATED + LIFETIME - timedelta(seconds=1))["sub"] == "u-1"
    with pytest.raises(jwt.InvalidTokenError):
        decode(tok, now=ROTATED + LIFETIME)


def test_previous_key_without_a_rotation_time_is_refused() -> None:
    from app.core.config import Settings
    from app.core.security import SigningKeys

    config = Settings(SECRET_KEY=NEW, SECRET_KEY_PREVIOUS=OLD)
    unrotated = SigningKeys.from_settings(config)
    assert unrotated.previous is None
    with pytest.raises(jwt.InvalidSignatureError):
        decode(token(OLD, issued=ROTATED - timedelta(hours=1)), previous=None, rotated_at=None)


def test_any_other_key_is_refused() -> None:
    for tok in (token(OTHER, issued=ROTATED - timedelta(hours=1)), token(OTHER, issued=None)):
        with pytest.raises(jwt.InvalidSignatureError):
            decode(tok)
    with pytest.raises(jwt.InvalidSignatureError):
        decode(token(OTHER, issued=ROTATED - timedelta(hours=1)), previous=None, rotated_at=None)


def test_tokens_without_expiry_are_refused() -> None:
    for key in (NEW, OLD):
        tok = jwt.encode({"sub": "u-1", "iat": ROTATED - timedelta(hours=1)}, key, "HS256")
        with pytest.raises(jwt.MissingRequiredClaimError):
            decode(tok)


def test_expired_tokens_are_refused_with_either_key() -> None:
    for key in (NEW, OLD):
        tok = token(key, issued=ROTATED - timedelta(hours=1), lifetime=timedelta(minutes=30))
        with pytest.raises(jwt.ExpiredSignatureError):
            decode(tok)


def test_rotation_settings_come_from_the_environment(monkeypatch) -> None:
    from app.core.config import Settings

    monkeypatch.setenv("SECRET_KEY_PREVIOUS", OLD)
    monkeypatch.setenv("SECRET_KEY_ROTATED_AT", "2026-12-01T10:00:00Z")
    expected = datetime(2026, 12, 1, 10, tzinfo=UTC)
    rotated_at = Settings().SECRET_KEY_ROTATED_AT
    assert rotated_at == expected
    monkeypatch.setenv("SECRET_KEY_ROTATED_AT", "2026-12-01T10:00:00")  # naive means UTC
    rotated_at = Settings().SECRET_KEY_ROTATED_AT
    assert rotated_at == expected
    monkeypatch.setenv("SECRET_KEY_PREVIOUS", "")  # an empty value in the secret means none
    monkeypatch.setenv("SECRET_KEY_ROTATED_AT", "")
    assert Settings().SECRET_KEY_PREVIOUS is None and Settings().SECRET_KEY_ROTATED_AT is None


def test_a_weak_previous_key_is_refused_in_deployed_environments() -> None:
    from app.core.config import PLACEHOLDER, Settings
    from pydantic import ValidationError

    base = {"ENVIRONMENT": "production", "SECRET_KEY": NEW, "POSTGRES_PASSWORD": "pw"}
    for weak in ("short", PLACEHOLDER):
        with pytest.raises(ValidationError, match="SECRET_KEY_PREVIOUS"):
            Settings(**base, SECRET_KEY_PREVIOUS=weak, SECRET_KEY_ROTATED_AT=ROTATED)
    with pytest.raises(ValidationError, match="SECRET_KEY_ROTATED_AT"):
        Settings(**base, SECRET_KEY_PREVIOUS=OLD, SECRET_KEY_ROTATED_AT="yesterday")


def test_a_rotated_backend_keeps_earlier_sessions_and_signs_with_the_new_key(
    make_account, tmp_path
) -> None:
    """Tokens from the backend before the rotation work on the rotated backend; foreign ones do
    not; a login there gets a token of the new key."""
    user = make_account()  # logged in on the backend signing with APP_ENV's key
    rotated = {
        "SECRET_KEY": NEW,
        "SECRET_KEY_PREVIOUS": APP_ENV["SECRET_KEY"],
        "SECRET_KEY_ROTATED_AT": datetime.now(UTC).isoformat(),
    }
    with backend_process(rotated, tmp_path / "rotated.log") as url:
        me = httpx.get(f"{url}/api/v1/users/me", headers=user.headers, timeout=30)
        assert me.status_code == 200, me.text
        assert me.headers["x-ratelimit-limit"] == "60"  # counted as the user, not the IP
        foreign = jwt.encode(
            {"sub": user.id, "role": "admin", "exp": datetime.now(UTC) + LIFETIME}, OTHER, "HS256"
        )
        refused = httpx.get(
            f"{url}/api/v1/users/me", headers={"Authorization": f"Bearer {foreign}"}, timeout=30
        )
        assert refused.status_code == 401
        login = httpx.post(
            f"{url}/api/v1/login/access-token",
            data={"username": user.email, "password": PASSWORD},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        jwt.decode(login.json()["access_token"], NEW, algorithms=["HS256"])
