"""Types of input narrowed to what the database can hold.

API input: text without NUL characters or unpaired surrogates (PostgreSQL and UTF-8 cannot store
them), decimals within their column's precision and scale (nothing rounded to zero or
overflowing), timestamps that convert to UTC within a sane range. A value outside is refused with
a 422 naming the field, before any route code runs.

Provider data (what the collectors store): text is made storable (NUL removed, unpaired
surrogates replaced) and USD amounts rounded to the column's 8 places; what still does not fit is
refused, and the collector skips that item.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

from app.core.columns import WIDE, aware

# The Bitcoin genesis block: no crypto trade was executed before it.
EARLIEST_TRADE = datetime(2009, 1, 3, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # clocks of clients and exchanges drift
SYMBOL_MAX = 32
USD_PLACES = Decimal("1E-8")
USD_LIMIT = Decimal("1E30")  # numeric(38, 8): 30 digits before the point

_NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads joins valid pairs: these are unpaired


def storable_text(value: str) -> str:
    """The value unchanged; refuses NUL and unpaired surrogates (they cannot be stored)."""
    if _NOT_STORABLE.search(value):
        raise ValueError("must not contain NUL characters or unpaired surrogates")
    return value


def cleaned_text(value: str) -> str:
    """Provider text made storable: NUL removed, unpaired surrogates replaced by U+FFFD."""
    if not _NOT_STORABLE.search(value):
        return value
    return _SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def usd_amount(value: Decimal) -> Decimal:
    """A provider's USD amount rounded to numeric(38, 8); refuses one not finite or too large."""
    if not value.is_finite():
        raise ValueError("must be a finite number")
    rounded = value.quantize(USD_PLACES, context=WIDE)
    if abs(rounded) >= USD_LIMIT:
        raise ValueError("must be below 10^30 in absolute value")
    return rounded


def symbol(value: str) -> str:
    """An asset symbol, stripped and upper-cased; refuses blanks and what outgrows the column."""
    value = storable_text(value).strip().upper()
    if not value:
        raise ValueError("must not be blank")
    if len(value) > SYMBOL_MAX:
        raise ValueError(f"must be at most {SYMBOL_MAX} characters once upper-cased")
    return value


def utc(value: datetime) -> datetime:
    """The instant in UTC (naive means UTC); refuses one that has no UTC date (before year 1)."""
    try:
        # aware() passes None through; `value` is a datetime, so the result is one too.
        return aware(value).astimezone(UTC)  # type: ignore[union-attr]
    except OverflowError:
        raise ValueError("is out of range") from None


def executed_at(value: datetime) -> datetime:
    """A trade or price time in UTC between the genesis block and one day from now."""
    value = utc(value)
    latest = datetime.now(UTC) + FUTURE_SLACK
    if not EARLIEST_TRADE <= value <= latest:
        raise ValueError(f"must be between {EARLIEST_TRADE.isoformat()} and one day from now (UTC)")
    return value


Text = Annotated[str, AfterValidator(storable_text)]
ProviderText = Annotated[str, AfterValidator(cleaned_text)]
ProviderUsd = Annotated[Decimal, AfterValidator(usd_amount)]
Symbol = Annotated[str, Field(min_length=1, max_length=SYMBOL_MAX), AfterValidator(symbol)]
Instant = Annotated[datetime, AfterValidator(utc)]
TradeTime = Annotated[datetime, AfterValidator(executed_at)]

# numeric(38, 18): at most 20 digits before the point and 18 after; more is refused, not rounded.
Quantity = Annotated[Decimal, Field(gt=0, max_digits=38, decimal_places=18)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=38, decimal_places=18)]
