"""Faults below `ops`: answers in place of moto's for the requests of `ops`'s own clients.

A fault hits one API call of a run, counted from 0 in the order `ops` makes them (`before-call`):
- throttle: that call's first `times` attempts are answered 400 Throttling; botocore retries it
  (standard mode, 6 attempts), so up to 5 are invisible to `ops`, 6 surface as an error;
- denied: that call is answered 403 AccessDenied, which botocore does not retry;
- kill: the process dies before sending that call: it and every later call raise `Killed`, a
  BaseException that no `except Exception` catches (as a killed process runs no cleanup).
Only requests carrying `ops`'s user agent are touched: the test's own clients read the truth.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

OPS_USER_AGENT = "ohmycoins-ops"
Kind = Literal["throttle", "denied", "kill"]


class Killed(BaseException):
    """The `ops` process died between two API calls."""


@dataclass(frozen=True)
class Fault:
    """One fault on the call numbered `at` of a run."""

    kind: Kind
    at: int
    times: int = 1

    def __repr__(self) -> str:
        if self.kind == "throttle":
            return f"throttle call {self.at} x{self.times}"
        return f"{'kill before' if self.kind == 'kill' else 'deny'} call {self.at}"


def _cbor_text(value: str) -> bytes:
    data = value.encode()
    head = bytes([0x60 | len(data)]) if len(data) < 24 else bytes([0x78, len(data)])
    return head + data


def _error(request: AWSPreparedRequest, status: int, code: str, message: str) -> AWSResponse:
    """An error response in the request's protocol: JSON, CBOR (CloudWatch) or XML (query)."""
    headers = {key.lower(): str(value) for key, value in request.headers.items()}
    if "x-amz-target" in headers:
        body: bytes = json.dumps({"__type": code, "message": message}).encode()
        out = {"content-type": "application/x-amz-json-1.1"}
    elif "smithy-protocol" in headers:
        pairs = (("__type", code), ("message", message))
        body = bytes([0xA0 | len(pairs)]) + b"".join(
            _cbor_text(k) + _cbor_text(v) for k, v in pairs
        )
        out = {"content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    else:
        code = code.removesuffix("Exception")  # the query protocol's spelling: Throttling
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        ).encode()
        out = {"content-type": "text/xml"}
    # moto's MockRawResponse stands in for urllib3's response, which AWSResponse is typed with.
    return AWSResponse(request.url, status, out, MockRawResponse(body))  # type: ignore[arg-type]


class Injector:
    """Numbers `ops`'s calls, fires at most one armed fault, and records every call made."""

    def __init__(self) -> None:
        self.fault: Fault | None = None
        self.calls: list[str] = []
        self.fired = False
        self.killed = ""  # why, once the process is gone
        self._attempts = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    def arm(self, fault: Fault | None) -> None:
        """A new run: a new process, nothing called yet."""
        self.fault, self.calls, self.fired, self.killed, self._attempts = fault, [], False, "", 0

    def before_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self._local.index = len(self.calls)
            self.calls.append(model.name)

    def before_send(self, request: AWSPreparedRequest) -> AWSResponse | None:
        if OPS_USER_AGENT not in str(request.headers.get("User-Agent", "")):
            return None
        if self.killed:
            raise Killed(self.killed)
        fault, index = self.fault, getattr(self._local, "index", -1)
        if fault is None or index != fault.at:
            return None
        self.fired = True
        if fault.kind == "kill":
            self.killed = f"killed before call {index} ({self.calls[index]})"
            raise Killed(self.killed)
        if fault.kind == "denied":
            return _error(request, 403, "AccessDeniedException", "injected: denied")
        with self._lock:
            self._attempts += 1
            if self._attempts > fault.times:
                return None
        return _error(request, 400, "ThrottlingException", "injected: rate exceeded")


@contextmanager
def injected(injector: Injector) -> Iterator[None]:
    """Route moto's answers through the injector (moto's stubber answers every request)."""
    original = BotocoreStubber.__call__

    def answer(
        self: BotocoreStubber, event_name: str, request: AWSPreparedRequest, **kwargs: Any
    ) -> AWSResponse | None:
        if self.enabled:
            faulty = injector.before_send(request)
            if faulty is not None:
                return faulty
        return original(self, event_name, request, **kwargs)

    # Patching moto's request hook for the duration of the block, on purpose.
    BotocoreStubber.__call__ = answer  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]
