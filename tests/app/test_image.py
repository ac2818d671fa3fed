"""The backend image definition and its pinned requirements, checked statically (no Docker here)."""

from __future__ import annotations

import json
import re
import sys

from backend_testenv import BACKEND, ROOT

DOCKERFILE = (BACKEND / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    """Arguments of every `name` instruction (continuation lines joined)."""
    text = DOCKERFILE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.+)$", text, re.MULTILINE)]


def test_base_image_is_an_exact_slim_tag_pinned_by_digest() -> None:
    [base] = instructions("FROM")
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim(-\w+)?@sha256:[0-9a-f]{64}", base), base


def test_runs_as_a_non_root_user() -> None:
    users = instructions("USER")
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_health_check_needs_no_curl_and_hits_the_health_path() -> None:
    sys.path.insert(0, str(ROOT))
    from stacks.contract.names import BACKEND_HEALTH_PATH, BACKEND_PORT

    [check] = instructions("HEALTHCHECK")
    assert "curl" not in check and "wget" not in check
    assert "urllib" in check
    assert f"127.0.0.1:{BACKEND_PORT}{BACKEND_HEALTH_PATH}" in check


def test_starts_with_prestart_then_uvicorn_on_the_backend_port() -> None:
    sys.path.insert(0, str(ROOT))
    from stacks.contract.names import BACKEND_PORT

    [cmd] = instructions("CMD")
    shell = json.loads(cmd)[-1]
    prestart, uvicorn = shell.split("&&")
    assert prestart.strip() == "python -m app.prestart"
    assert "uvicorn app.main:app" in uvicorn and f"--port {BACKEND_PORT}" in uvicorn
    assert instructions("EXPOSE") == [str(BACKEND_PORT)]
    assert "--proxy-headers" in uvicorn


def test_forwarded_headers_trust_only_private_hops() -> None:
    [env] = [e for e in instructions("ENV") if "FORWARDED_ALLOW_IPS" in e]
    trusted = re.search(r"FORWARDED_ALLOW_IPS=(\S+)", env).group(1).split(",")
    assert "*" not in trusted and "0.0.0.0/0" not in trusted
    assert "10.0.0.0/8" in trusted


def test_requirements_are_exact_pins_and_installed_by_the_image() -> None:
    lines = (BACKEND / "requirements.txt").read_text().splitlines()
    reqs = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert reqs
    for req in reqs:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z0-9,]+\])?==[0-9][0-9A-Za-z.]*", req), req
    assert "COPY requirements.lock /app/requirements.lock" in DOCKERFILE
    assert "pip install --no-compile --require-hashes -r /app/requirements.lock" in DOCKERFILE
