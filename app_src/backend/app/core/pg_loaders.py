"""A psycopg loader that reads every stored timestamp, even one Python cannot represent.

PostgreSQL stores instants before year 1 (BC), after year 9999 and +-infinity; psycopg refuses
them, which would fail every query touching such a row (one bad order made a user's whole ledger
unreadable). The API refuses such values now; rows stored before read as the nearest representable
instant, so the rest of the row and the query still answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import abc
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def _clamped(data: bytes) -> datetime:
    return EARLIEST if data.startswith(b"-") or data.endswith(b" BC") else LATEST


def register_tolerant_timestamps(adapters: AdaptersMap) -> None:
    """Read out-of-range `timestamptz` text values as EARLIEST or LATEST instead of raising."""
    oid = adapters.types["timestamptz"].oid
    strict = adapters.get_loader(oid, Format.TEXT)
    if strict is None or getattr(strict, "tolerant", False):
        return
    strict_loader: type[abc.Loader] = strict  # narrowed: the nested class cannot see the check

    class TolerantTimestamptzLoader(Loader):
        tolerant = True

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._strict = strict_loader(oid, context)  # the C loader cannot be subclassed

        def load(self, data: Any) -> datetime:
            try:
                # psycopg types Loader.load as returning Any; this one is timestamptz's.
                return self._strict.load(data)  # type: ignore[no-any-return]
            except psycopg.DataError:
                return _clamped(bytes(data))

    adapters.register_loader(oid, TolerantTimestamptzLoader)
