"""JWT login, the admin role in the token, user endpoints and their guards."""

from __future__ import annotations

from datetime import timedelta

import jwt
from backend_testenv import APP_ENV, PASSWORD


def claims(token: str) -> dict:
    return jwt.decode(token, APP_ENV["SECRET_KEY"], algorithms=["HS256"])


def test_login_token_carries_user_and_role(make_account) -> None:
    user, admin = make_account(), make_account(admin=True)
    assert claims(user.token)["sub"] == user.id
    assert claims(user.token)["role"] == "user"
    assert claims(admin.token)["role"] == "admin"


def test_wrong_password_is_refused(api, make_account) -> None:
    user = make_account()
    resp = api.post("/login/access-token", data={"username": user.email, "password": "nope-nope"})
    assert resp.status_code == 400
    assert "access_token" not in resp.json()


def test_me_requires_a_valid_token(api, make_account) -> None:
    user = make_account()
    assert api.get("/users/me").status_code == 401
    assert api.get("/users/me", headers={"Authorization": "Bearer garbage"}).status_code == 401
    forged = jwt.encode({"sub": user.id, "role": "admin"}, "another-key" * 4, algorithm="HS256")
    assert api.get("/users/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    me = api.get("/users/me", headers=user.headers)
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_expired_token_is_refused(api, make_account) -> None:
    from app.core.security import create_access_token

    user = make_account()
    token = create_access_token(user.id, role="user", expires_delta=timedelta(seconds=-1))
    assert api.get("/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_only_admins_list_and_create_users(api, make_account) -> None:
    user, admin = make_account(), make_account(admin=True)
    assert api.get("/users/", headers=user.headers).status_code == 403
    listed = api.get("/users/", headers=admin.headers)
    assert listed.status_code == 200
    assert listed.json()["count"] == 2
    new = {"email": "ops@example.com", "password": PASSWORD, "is_superuser": True}
    assert api.post("/users/", json=new, headers=user.headers).status_code == 403
    created = api.post("/users/", json=new, headers=admin.headers)
    assert created.status_code == 201
    assert created.json()["is_superuser"] is True
    login = api.post("/login/access-token", data={"username": new["email"], "password": PASSWORD})
    assert claims(login.json()["access_token"])["role"] == "admin"


def test_signup_never_grants_admin(api) -> None:
    body = {"email": "new@example.com", "password": PASSWORD, "is_superuser": True}
    resp = api.post("/users/signup", json=body)
    assert resp.status_code == 201
    assert resp.json()["is_superuser"] is False
    assert api.post("/users/signup", json=body).status_code == 400
    login = api.post("/login/access-token", data={"username": body["email"], "password": PASSWORD})
    assert claims(login.json()["access_token"])["role"] == "user"


def _set_user(user_id: str, statement: str) -> None:
    from app.core.db import engine
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text(statement), {"id": user_id})


def test_a_valid_token_stops_working_when_its_user_is_deactivated_or_deleted(
    api, make_account
) -> None:
    user = make_account()
    assert api.get("/users/me", headers=user.headers).status_code == 200
    _set_user(user.id, 'UPDATE "user" SET is_active = false WHERE id = :id')
    assert api.get("/users/me", headers=user.headers).status_code == 403
    _set_user(user.id, 'DELETE FROM "user" WHERE id = :id')
    assert api.get("/users/me", headers=user.headers).status_code == 401


def test_profile_follows_the_database_not_the_token(api, make_account) -> None:
    user, admin = make_account(), make_account(admin=True)
    _set_user(user.id, "UPDATE \"user\" SET full_name = 'Ada', is_superuser = true WHERE id = :id")
    me = api.get("/users/me", headers=user.headers).json()
    assert (me["full_name"], me["is_superuser"], me["id"]) == ("Ada", True, user.id)
    _set_user(admin.id, 'UPDATE "user" SET is_superuser = false WHERE id = :id')
    assert api.get("/users/", headers=admin.headers).status_code == 403


def test_limiter_claims_are_reused_only_for_the_same_token() -> None:
    from app.ratelimit import CLAIMS_STATE_KEY, verified_claims

    scope = {"state": {CLAIMS_STATE_KEY: ("token-a", {"sub": "a"})}}
    assert verified_claims(scope, "token-a") == {"sub": "a"}
    assert verified_claims(scope, "token-b") is None
    assert verified_claims({}, "token-a") is None
