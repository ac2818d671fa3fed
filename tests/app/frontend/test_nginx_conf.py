"""The image's nginx.conf, served by a real nginx: /healthz, the page, its assets, the headers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
FRONTEND = ROOT / "app_src" / "frontend"
FETCHED = ROOT / ".local" / "nginx" / "usr" / "sbin" / "nginx"
IMAGE_ROOT = "root /usr/share/nginx/html;"
IMAGE_LISTEN = "listen 80;"


def nginx_binary() -> str:
    found = shutil.which("nginx") or (str(FETCHED) if FETCHED.exists() else None)
    if found is None:
        pytest.fail("no nginx binary: run scripts/fetch-nginx.sh (make test does)")
    return found


def render(tmp: Path, port: int) -> Path:
    """nginx.conf as the image loads it, on a loopback port and the repository's static files."""
    server = (FRONTEND / "nginx.conf").read_text()
    assert server.count(IMAGE_LISTEN) == 1 and server.count(IMAGE_ROOT) == 1
    server = server.replace(IMAGE_LISTEN, f"listen 127.0.0.1:{port};")
    server = server.replace(IMAGE_ROOT, f"root {FRONTEND / 'static'};")
    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = tmp / "nginx.conf"
    main.write_text(
        f"daemon off;\nmaster_process off;\npid {tmp / 'nginx.pid'};\nerror_log stderr;\n"
        "events {}\nhttp {\n"
        "    types { text/html html; text/css css; application/javascript js; }\n"
        f"    default_type application/octet-stream;\n    access_log off;\n{temp_paths}\n"
        f"{server}\n}}\n"
    )
    return main


@pytest.fixture(scope="module")
def nginx(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("nginx")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conf = render(tmp, port)
    binary = nginx_binary()
    check = subprocess.run(
        [binary, "-t", "-p", str(tmp), "-e", "stderr", "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [binary, "-p", str(tmp), "-e", "stderr", "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {process.stderr.read()}") from None
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_healthz_answers_ok_without_the_page(nginx):
    response = httpx.get(nginx + "/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("path", ["/", "/news", "/some/deep/link"])
def test_every_page_route_serves_the_dashboard_with_its_headers(nginx, path):
    response = httpx.get(nginx + path)
    assert response.status_code == 200
    assert "<title>OhMyCoins</title>" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-cache"
    assert "server" not in response.headers or "/" not in response.headers["server"]


def test_assets_are_served_with_their_types_and_missing_ones_are_404(nginx):
    script = httpx.get(nginx + "/assets/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "application/javascript"
    assert script.headers["x-content-type-options"] == "nosniff"
    assert "expires" in script.headers
    assert httpx.get(nginx + "/assets/missing.js").status_code == 404
