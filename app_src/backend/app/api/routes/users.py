"""Users: self sign-up and profile; admins list and create users (including admins)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import col, func, select

from app import crud
from app.api.deps import CurrentAdmin, CurrentUser, SessionDep
from app.models import User, UserCreate, UserPublic, UserRegister, UsersPublic

router = APIRouter(prefix="/users", tags=["users"])
_PUBLIC_FIELDS = frozenset(UserPublic.model_fields)


def public_user(user: User) -> UserPublic:
    """UserPublic from a stored user without validating its stored fields again."""
    return UserPublic.model_construct(**{name: getattr(user, name) for name in _PUBLIC_FIELDS})


@router.get("/", response_model=UsersPublic)
def read_users(
    session: SessionDep,
    _: CurrentAdmin,
    skip: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=500),
) -> UsersPublic:
    count = session.exec(select(func.count()).select_from(User)).one()
    users = session.exec(
        select(User).order_by(col(User.created_at)).offset(skip).limit(limit)
    ).all()
    return UsersPublic(data=[UserPublic.model_validate(u) for u in users], count=count)


@router.post("/", response_model=UserPublic, status_code=201)
def create_user(session: SessionDep, _: CurrentAdmin, user_in: UserCreate) -> UserPublic:
    if crud.get_user_by_email(session, email=user_in.email):
        raise HTTPException(status_code=400, detail="A user with this email already exists")
    return UserPublic.model_validate(crud.create_user(session, user_create=user_in))


@router.post("/signup", response_model=UserPublic, status_code=201)
def register_user(session: SessionDep, user_in: UserRegister) -> UserPublic:
    """Open sign-up; never grants the admin role."""
    if crud.get_user_by_email(session, email=user_in.email):
        raise HTTPException(status_code=400, detail="A user with this email already exists")
    user_create = UserCreate(**user_in.model_dump(), is_superuser=False)
    return UserPublic.model_validate(crud.create_user(session, user_create=user_create))


@router.get("/me", response_model=UserPublic)
async def read_user_me(current_user: CurrentUser) -> UserPublic:
    """The caller's profile, from the row just read (validated when it was written)."""
    return public_user(current_user)
