"""Request body limit: 413 before the body is read (declared length) or as soon as it passes the
limit (chunked), on the real server over raw sockets."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

MIB = 1024 * 1024


def raw_request(base: str, head: str, body_chunks: list[bytes] = ()) -> tuple[int, bytes, float]:
    """Send a request head (and body chunks, if any); the status, the answer and the time taken."""
    url = urlsplit(base)
    started = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body was sent
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    return int(answer.split()[1]), answer, time.monotonic() - started


def head(path: str, headers: dict[str, str]) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: test", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def test_declared_length_over_the_limit_is_refused_before_the_body(server, clean) -> None:
    # 10 MB announced, none sent: the answer comes at once, without waiting for the body.
    status, answer, took = raw_request(
        server, head("/api/v1/users/signup", {"Content-Length": str(10 * MIB)})
    )
    assert status == 413
    assert b"request body larger than 1048576 bytes" in answer
    assert took < 2


def test_chunked_body_is_cut_off_at_the_limit(server, clean) -> None:
    chunk = b"[" + b"1," * (64 * 1024)
    body = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 160  # about 20 MB
    status, _, took = raw_request(
        server, head("/api/v1/users/signup", {"Transfer-Encoding": "chunked"}), body
    )
    assert status == 413
    assert took < 5


@pytest.mark.parametrize("size", [16 * 1024 + 1, 100 * 1024])
def test_login_form_has_a_smaller_limit(api, size) -> None:
    resp = api.post(
        "/login/access-token", data={"username": "a@example.com", "password": "x" * size}
    )
    assert resp.status_code == 413


def test_bodies_within_the_limit_are_parsed(api) -> None:
    body = {
        "email": "big@example.com",
        "password": "correct-horse-battery",
        "pad": "x" * (MIB // 2),
    }
    assert api.post("/users/signup", json=body).status_code == 201
    form = {"username": "big@example.com", "password": "correct-horse-battery", "scope": "x" * 8000}
    assert api.post("/login/access-token", data=form).status_code == 200
