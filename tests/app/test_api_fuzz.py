"""Fuzzing of the whole API from its OpenAPI schema (schemathesis) against the real backend on the
real PostgreSQL and Redis: no 5xx and no answer outside the schema, for schema-valid and
schema-invalid requests alike.

The budget is fixed and seeded (derandomized): the same examples every run, each operation in both
modes, so the test stays within about a minute. Requests carry an admin's token, so every route
runs its code rather than stopping at the guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from backend_testenv import PASSWORD, backend_process
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_MODE = 15
# positive_data_acceptance is left out: schema-valid requests are still refused by business rules
# (selling more than is held, a taken e-mail address, a wrong password), as they must be.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
UNLIMITED = str(10**9)


def _schema() -> schemathesis.BaseSchema:
    from app.main import app

    return schemathesis.openapi.from_dict(app.openapi())


SCHEMA = _schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Invalid requests exist only for operations that take input.
CASES = [(op, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (op, GenerationMode.NEGATIVE)
    for op in OPERATIONS
    if any(len(part) for part in (op.path_parameters, op.headers, op.query, op.body))
]


@dataclass
class Target:
    url: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def target(database, tmp_path_factory) -> Iterator[Target]:
    """The backend in a process of its own with limits out of reach, and an admin's token."""
    from app import crud
    from app.core.db import engine
    from app.models import UserCreate
    from sqlmodel import Session

    log = Path(tmp_path_factory.mktemp("fuzz")) / "backend.log"
    limits = {"RATE_LIMIT_PER_MINUTE": UNLIMITED, "RATE_LIMIT_PER_HOUR": UNLIMITED}
    with backend_process(limits, log) as url, Session(engine) as session:
        email = "fuzz-admin@example.com"
        if crud.get_user_by_email(session, email=email) is None:
            user = UserCreate(email=email, password=PASSWORD, is_superuser=True)
            crud.create_user(session, user_create=user)
        form = {"username": email, "password": PASSWORD}
        token = httpx.post(f"{url}/api/v1/login/access-token", data=form).json()["access_token"]
        yield Target(url, {"Authorization": f"Bearer {token}"})
        assert "unhandled error" not in log.read_text()


@pytest.mark.parametrize(
    ("operation", "mode"), CASES, ids=[f"{mode.value} {op.label}" for op, mode in CASES]
)
def test_operation_never_fails_or_leaves_its_schema(target, operation, mode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=target.url, headers=target.headers, checks=CHECKS)

    check()
