"""Recorded provider responses served through httpx.MockTransport; sleeps recorded, not slept."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

BACKEND = Path(__file__).resolve().parents[3] / "app_src" / "backend"
if str(BACKEND) not in sys.path:
    sys.path.insert(0, str(BACKEND))

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "test-key-0123456789"


def recorded(name: str) -> Any:
    """A recorded JSON response body from fixtures/."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeApi:
    """Answers requests from a queue of (status, body, headers) and keeps every request seen."""

    def __init__(self, responses: list[tuple[int, Any, dict[str, str]]]) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.responses:
            raise AssertionError(f"unexpected extra request {request.method} {request.url.path}")
        status, body, headers = self.responses.pop(0)
        if isinstance(body, Exception):
            raise body
        return httpx.Response(status, json=body, headers=headers)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


@pytest.fixture
def fake_api() -> Callable[..., FakeApi]:
    """Build a FakeApi from `(status, body[, headers])` tuples."""

    def build(*responses: tuple[Any, ...]) -> FakeApi:
        return FakeApi([(r[0], r[1], r[2] if len(r) > 2 else {}) for r in responses])

    return build


@pytest.fixture
def api_key() -> str:
    """The key the tests configure; it must never appear in a stored or logged message."""
    return API_KEY


@pytest.fixture(name="recorded")
def recorded_fixture() -> Callable[[str], Any]:
    """Load a recorded response body by name."""
    return recorded


@pytest.fixture
def sleeps() -> list[float]:
    """The delays a Fetcher asked for, in order."""
    return []
