"""Query parameters shared by the routes: bounded pagination."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

# Deeper pages make PostgreSQL walk and discard that many rows: narrow the filters instead.
MAX_SKIP = 100_000

Skip = Annotated[int, Query(ge=0, le=MAX_SKIP, description=f"at most {MAX_SKIP}")]
