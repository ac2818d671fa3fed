"""Timestamps from provider payloads, always timezone-aware (UTC when the zone is omitted)."""

from __future__ import annotations

from datetime import UTC, datetime


def aware_utc(value: object) -> datetime | None:
    """Parse an ISO-8601 string (`Z`, offset or none) or `YYYY-MM-DD HH:MM:SS` into aware UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # unparsable, or no UTC date (0001-01-01 at +14:00)
        return None
