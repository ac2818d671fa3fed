"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 18:09:05.310898
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

# The per-day index expression; the queries filter on exactly this expression.
DAY = sa.text("((collected_at AT TIME ZONE 'UTC')::date)")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collector_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collector", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column(
            "errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_collector_run_collector"), "collector_run", ["collector"], unique=False
    )
    op.create_table(
        "news_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "currencies",
            postgresql.ARRAY(sa.String(length=32)),
            server_default="{}",
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_news_item_source_ext"),
    )
    op.create_index("ix_news_item_collected_day", "news_item", [DAY], unique=False)
    op.create_index(op.f("ix_news_item_source"), "news_item", ["source"], unique=False)
    op.create_index("ix_news_item_collected_at", "news_item", ["collected_at"], unique=False)
    op.create_index(
        "ix_news_item_currencies", "news_item", ["currencies"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "price",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("price_usd", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_price_symbol_observed", "price", ["symbol", "observed_at"], unique=False)
    op.create_table(
        "smart_money_flow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("token_address", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("token_symbol", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("net_flow_usd", sa.Numeric(precision=38, scale=8), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "chain", "token_address", "period_start", name="uq_smart_money_flow_token_period"
        ),
    )
    op.create_index("ix_smart_money_flow_collected_day", "smart_money_flow", [DAY], unique=False)
    op.create_index(
        op.f("ix_smart_money_flow_period_start"), "smart_money_flow", ["period_start"], unique=False
    )
    op.create_index(
        op.f("ix_smart_money_flow_token_symbol"), "smart_money_flow", ["token_symbol"], unique=False
    )
    op.create_table(
        "user",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hashed_password", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_user_email"), "user", ["email"], unique=True)
    op.create_table(
        "trade_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("symbol", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("side", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("price", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("fee", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_trade_order_symbol"), "trade_order", ["symbol"], unique=False)
    op.create_index(op.f("ix_trade_order_user_id"), "trade_order", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_trade_order_user_id"), table_name="trade_order")
    op.drop_index(op.f("ix_trade_order_symbol"), table_name="trade_order")
    op.drop_table("trade_order")
    op.drop_index(op.f("ix_user_email"), table_name="user")
    op.drop_table("user")
    op.drop_index(op.f("ix_smart_money_flow_token_symbol"), table_name="smart_money_flow")
    op.drop_index(op.f("ix_smart_money_flow_period_start"), table_name="smart_money_flow")
    op.drop_index("ix_smart_money_flow_collected_day", table_name="smart_money_flow")
    op.drop_table("smart_money_flow")
    op.drop_index("ix_price_symbol_observed", table_name="price")
    op.drop_table("price")
    op.drop_index("ix_news_item_currencies", table_name="news_item")
    op.drop_index("ix_news_item_collected_at", table_name="news_item")
    op.drop_index(op.f("ix_news_item_source"), table_name="news_item")
    op.drop_index("ix_news_item_collected_day", table_name="news_item")
    op.drop_table("news_item")
    op.drop_index(op.f("ix_collector_run_collector"), table_name="collector_run")
    op.drop_table("collector_run")
