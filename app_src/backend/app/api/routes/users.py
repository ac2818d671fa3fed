"""Users: self sign-up and profile; admins list and create users (including admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from psycopg.errors import UniqueViolation
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app import crud
from app.api.deps import CurrentAdmin, CurrentUser, SessionDep
from app.api.errors import AUTH_RESPONSES, BAD_REQUEST
from app.api.params import Skip
from app.models import User, UserCreate, UserPublic, UserRegister, UsersPublic

router = APIRouter(prefix="/users", tags=["users"])
_PUBLIC_FIELDS = frozenset(UserPublic.model_fields)


def public_user(user: User) -> UserPublic:
    """UserPublic from a stored user without validating its stored fields again."""
    return UserPublic.model_construct(**{name: getattr(user, name) for name in _PUBLIC_FIELDS})


@router.get("/", response_model=UsersPublic, responses=AUTH_RESPONSES)
def read_users(
    session: SessionDep,
    _: CurrentAdmin,
    skip: Skip = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UsersPublic:
    count = session.exec(select(func.count()).select_from(User)).one()
    users = session.exec(
        select(User).order_by(col(User.created_at)).offset(skip).limit(limit)
    ).all()
    return UsersPublic(data=[UserPublic.model_validate(u) for u in users], count=count)


def _create(session: Session, user_create: UserCreate) -> UserPublic:
    """Insert the user; 400 when the email is taken, also by a concurrent request."""
    taken = HTTPException(status_code=400, detail="A user with this email already exists")
    if crud.get_user_by_email(session, email=user_create.email):
        raise taken
    try:
        user = crud.create_user(session, user_create=user_create)
    except IntegrityError as exc:
        session.rollback()
        if isinstance(exc.orig, UniqueViolation):  # the email index: a concurrent sign-up won
            raise taken from exc
        raise
    return UserPublic.model_validate(user)


@router.post(
    "/", response_model=UserPublic, status_code=201, responses={**AUTH_RESPONSES, **BAD_REQUEST}
)
def create_user(session: SessionDep, _: CurrentAdmin, user_in: UserCreate) -> UserPublic:
    return _create(session, user_in)


@router.post("/signup", response_model=UserPublic, status_code=201, responses=BAD_REQUEST)
def register_user(session: SessionDep, user_in: UserRegister) -> UserPublic:
    """Open sign-up; never grants the admin role."""
    return _create(session, UserCreate(**user_in.model_dump(), is_superuser=False))


@router.get("/me", response_model=UserPublic, responses=AUTH_RESPONSES)
async def read_user_me(current_user: CurrentUser) -> UserPublic:
    """The caller's profile, from the row just read (validated when it was written)."""
    return public_user(current_user)
