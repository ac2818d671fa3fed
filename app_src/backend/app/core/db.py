"""The SQLAlchemy engine and the first-superuser bootstrap."""

from __future__ import annotations

from sqlmodel import Session, create_engine

from app.core.config import settings

engine = create_engine(
    settings.SQLALCHEMY_DATABASE_URI,
    pool_pre_ping=True,
    pool_size=10,
    max_overflow=10,
    connect_args={"connect_timeout": 5},
)


def init_db(session: Session) -> None:
    """Create the first superuser from FIRST_SUPERUSER(_PASSWORD) when set and absent."""
    from app import crud
    from app.models import UserCreate

    email, password = settings.FIRST_SUPERUSER, settings.FIRST_SUPERUSER_PASSWORD
    if not email or not password:
        return
    if crud.get_user_by_email(session, email=email) is None:
        crud.create_user(
            session,
            user_create=UserCreate(email=email, password=password, is_superuser=True),
        )
