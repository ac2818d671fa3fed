"""Tables and API schemas (SQLModel). Every timestamp is timezone-aware; naive input means UTC."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

import sqlalchemy as sa
from pydantic import EmailStr, field_validator
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel, col

from app.core.columns import QTY, USD, Dec, aware, tz_column, utc_day, utcnow
from app.core.inputs import (
    Amount,
    ProviderText,
    ProviderUsd,
    Quantity,
    Symbol,
    Text,
    TradeTime,
    cleaned_text,
)


# --- users -------------------------------------------------------------------------------------
class UserBase(SQLModel):
    email: EmailStr = Field(unique=True, index=True, max_length=255)
    full_name: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    is_superuser: bool = False


class User(UserBase, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    hashed_password: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class UserCreate(UserBase):
    full_name: Text | None = Field(default=None, max_length=255)
    password: Text = Field(min_length=8, max_length=128)


class UserRegister(SQLModel):
    email: EmailStr = Field(max_length=255)
    password: Text = Field(min_length=8, max_length=128)
    full_name: Text | None = Field(default=None, max_length=255)


class UserPublic(UserBase):
    id: uuid.UUID


class UsersPublic(SQLModel):
    data: list[UserPublic]
    count: int


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"


class TokenPayload(SQLModel):
    sub: str | None = None
    role: str = "user"


# --- news ----------------------------------------------------------------------------------------
class NewsItemCreate(SQLModel):
    """One news item as a collector hands it to `crud.upsert_news` (provider text made storable;
    an item that still does not fit its columns is refused)."""

    source: ProviderText = Field(max_length=64)
    external_id: ProviderText = Field(max_length=255)
    title: ProviderText
    url: ProviderText
    published_at: datetime | None = None
    currencies: list[str] = Field(default_factory=list)

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware(value)

    @field_validator("currencies")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        """Upper-case codes, each once; codes longer than the column's 32 characters dropped."""
        codes = {cleaned_text(c).strip().upper() for c in value if c}
        return sorted(c for c in codes if 0 < len(c) <= 32)


class NewsItem(SQLModel, table=True):
    __tablename__ = "news_item"
    __table_args__ = (sa.UniqueConstraint("source", "external_id", name="uq_news_item_source_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    external_id: str = Field(max_length=255)
    title: str
    url: str
    published_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    collected_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    currencies: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(pg.ARRAY(sa.String(32)), nullable=False, server_default="{}"),
    )


class NewsItemPublic(SQLModel):
    id: int
    source: str
    external_id: str
    title: str
    url: str
    published_at: datetime | None
    collected_at: datetime
    currencies: list[str]


class NewsPage(SQLModel):
    data: list[NewsItemPublic]
    count: int
    skip: int
    limit: int


# --- smart money ---------------------------------------------------------------------------------
class SmartMoneyFlowCreate(SQLModel):
    """One net-flow row (a token over one period) as a collector hands it to `crud`."""

    chain: ProviderText = Field(max_length=32)
    token_address: ProviderText = Field(max_length=128)
    token_symbol: ProviderText | None = Field(default=None, max_length=64)
    net_flow_usd: ProviderUsd
    period_start: datetime

    @field_validator("period_start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # aware() passes None through; the field is required, so it is never None here.
        return aware(value)  # type: ignore[return-value]


class SmartMoneyFlow(SQLModel, table=True):
    __tablename__ = "smart_money_flow"
    __table_args__ = (
        sa.UniqueConstraint(
            "chain", "token_address", "period_start", name="uq_smart_money_flow_token_period"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=32)
    token_address: str = Field(max_length=128)
    token_symbol: str | None = Field(default=None, max_length=64, index=True)
    net_flow_usd: Decimal = Field(sa_column=sa.Column(USD, nullable=False))
    period_start: datetime = Field(sa_column=tz_column(index=True))
    collected_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class SmartMoneyFlowPublic(SQLModel):
    id: int
    chain: str
    token_address: str
    token_symbol: str | None
    net_flow_usd: Dec
    period_start: datetime
    collected_at: datetime


class SmartMoneyPage(SQLModel):
    data: list[SmartMoneyFlowPublic]
    count: int
    total_net_flow_usd: Dec


# --- collector runs ------------------------------------------------------------------------------
RunStatus = Literal["running", "success", "partial", "failed", "disabled"]


class CollectorRun(SQLModel, table=True):
    __tablename__ = "collector_run"

    id: int | None = Field(default=None, primary_key=True)
    collector: str = Field(max_length=32, index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    finished_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    status: str = Field(default="running", max_length=16)
    fetched: int = 0
    stored: int = 0
    errors: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(pg.JSONB, nullable=False, server_default="[]"),
    )
    # SHA-256 (hex) of each provider page received, in order: what an audit compares against.
    page_sha256: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(pg.JSONB, nullable=False, server_default="[]"),
    )


# --- orders, prices, PnL -------------------------------------------------------------------------
Side = Literal["buy", "sell"]


class OrderCreate(SQLModel):
    """An executed trade as the API accepts it: each value fits its column unchanged."""

    symbol: Symbol
    side: Side
    quantity: Quantity
    price: Amount
    fee: Amount = Decimal(0)
    executed_at: TradeTime | None = None


class Order(SQLModel, table=True):
    """One executed trade in a user's ledger; fees are in USD."""

    __tablename__ = "trade_order"

    id: int | None = Field(default=None, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    symbol: str = Field(max_length=32, index=True)
    side: str = Field(max_length=4)
    quantity: Decimal = Field(sa_column=sa.Column(QTY, nullable=False))
    price: Decimal = Field(sa_column=sa.Column(QTY, nullable=False))
    fee: Decimal = Field(default=Decimal(0), sa_column=sa.Column(QTY, nullable=False))
    executed_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class OrderPublic(SQLModel):
    id: int
    symbol: str
    side: str
    quantity: Dec
    price: Dec
    fee: Dec
    executed_at: datetime


class PriceCreate(SQLModel):
    symbol: Symbol
    price_usd: Amount
    observed_at: TradeTime | None = None


class Price(SQLModel, table=True):
    """A price observation; the latest one per symbol values open positions."""

    __tablename__ = "price"
    __table_args__ = (sa.Index("ix_price_symbol_observed", "symbol", "observed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(max_length=32)
    price_usd: Decimal = Field(sa_column=sa.Column(QTY, nullable=False))
    observed_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class PricePublic(SQLModel):
    symbol: str
    price_usd: Dec
    observed_at: datetime


# The per-day indexes: `((collected_at AT TIME ZONE 'UTC')::date)`, used by the date filters.
sa.Index("ix_news_item_collected_day", utc_day(col(NewsItem.collected_at)))
sa.Index("ix_smart_money_flow_collected_day", utc_day(col(SmartMoneyFlow.collected_at)))
sa.Index("ix_news_item_collected_at", col(NewsItem.collected_at))
sa.Index("ix_news_item_currencies", col(NewsItem.currencies), postgresql_using="gin")
