"""Column types and time helpers shared by the models: aware UTC timestamps, the per-day
expression, decimals that serialize as plain strings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Context, Decimal
from typing import Annotated

import sqlalchemy as sa
from pydantic import PlainSerializer
from sqlalchemy.sql.elements import SQLCoreOperations

QTY = sa.Numeric(38, 18)
USD = sa.Numeric(38, 8)
# Arithmetic on column values: a product of two numeric(38, 18) values has up to 76 digits, and
# the default context (28 digits) would round it or fail to quantize it. 100 keeps them exact.
WIDE = Context(prec=100)


# Decimals leave the API as plain fixed-point strings without trailing zeros ("201.5", "0").
def _plain(value: Decimal) -> str:
    return format(value.normalize(WIDE), "f")


Dec = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """Treat a naive datetime as UTC; keep an aware one."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def tz_column(*, nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    """A `timestamp with time zone` column."""
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)


def utc_day(column: SQLCoreOperations[datetime]) -> sa.ColumnElement[date]:
    """`(column AT TIME ZONE 'UTC')::date`: the expression of the per-day indexes.

    Queries must filter on this same expression (with 'UTC' inlined, not bound) to use the index.
    """
    return sa.cast(column.op("AT TIME ZONE")(sa.literal_column("'UTC'")), sa.Date)
