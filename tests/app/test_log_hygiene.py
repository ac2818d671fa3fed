"""No secret or personal data in the logs: a sign-up that fails in the database is logged by its
SQLSTATE and constraint, without the password, its hash or the e-mail address."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

SECRET = "very-secret-password-4242"
EMAIL = "leak-probe@example.com"


def _execute(statement: str) -> None:
    from app.core.db import engine

    with engine.begin() as conn:
        conn.execute(text(statement))


@pytest.fixture
def failing_signups(clean):
    """A constraint that makes the insert of a user named `reject-me` fail in PostgreSQL, whose
    error DETAIL would repeat the whole row (password hash included)."""
    check = "CHECK (full_name <> 'reject-me') NOT VALID"
    _execute(f'ALTER TABLE "user" ADD CONSTRAINT probe_reject {check}')
    yield
    _execute('ALTER TABLE "user" DROP CONSTRAINT probe_reject')


def test_failed_signup_logs_no_password_hash_or_email(isolated_backend, failing_signups) -> None:
    before = len(isolated_backend.log_text())
    body = {"email": EMAIL, "password": SECRET, "full_name": "reject-me"}
    resp = httpx.post(f"{isolated_backend.url}/api/v1/users/signup", json=body, timeout=30)
    assert resp.status_code == 500
    assert resp.json() == {"detail": "Internal Server Error"}
    logged = isolated_backend.log_text()[before:]
    assert "unhandled error on POST /api/v1/users/signup" in logged
    assert "CheckViolation" in logged and "probe_reject" in logged  # what failed, and where
    for leak in (SECRET, "$argon2", EMAIL, "reject-me", "Failing row"):
        assert leak not in logged, leak
    assert resp.headers.get("content-digest")  # the 500 is an answer like any other


def test_engine_errors_hide_the_parameters(failing_signups) -> None:
    from app.core.db import engine
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (id, email, full_name, is_active, is_superuser, '
                "hashed_password, created_at) VALUES (gen_random_uuid(), :e, 'reject-me', true, "
                "false, :h, now())"
            ),
            {"e": EMAIL, "h": SECRET},
        )
    assert "SQL parameters hidden" in str(caught.value)
    assert SECRET not in str(caught.value).split("[SQL:")[1]
