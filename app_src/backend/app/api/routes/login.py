"""OAuth2 password login returning a JWT whose `role` claim says user or admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException

from app import crud
from app.api.deps import CurrentUser, SessionDep
from app.api.errors import AUTH_RESPONSES, BAD_REQUEST
from app.core.config import settings
from app.core.inputs import Text
from app.core.security import ROLE_ADMIN, ROLE_USER, create_access_token
from app.models import Token, UserPublic

router = APIRouter(tags=["login"])


@router.post("/login/access-token", responses=BAD_REQUEST)
def login_access_token(
    session: SessionDep,
    username: Annotated[Text, Form(max_length=255, description="the e-mail address")],
    password: Annotated[Text, Form(max_length=128)],
) -> Token:
    """OAuth2 password flow (form fields `username`, `password`; others are ignored)."""
    user = crud.authenticate(session, email=username, password=password)
    if user is None:
        raise HTTPException(status_code=400, detail="Incorrect email or password")
    if not user.is_active:
        raise HTTPException(status_code=400, detail="Inactive user")
    role = ROLE_ADMIN if user.is_superuser else ROLE_USER
    token = create_access_token(
        str(user.id),
        role=role,
        expires_delta=timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES),
    )
    return Token(access_token=token)


@router.post("/login/test-token", response_model=UserPublic, responses=AUTH_RESPONSES)
async def test_token(current_user: CurrentUser) -> UserPublic:
    """Echo the token's user."""
    return UserPublic.model_validate(current_user)
