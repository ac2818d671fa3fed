"""Serves the dashboard's static files as nginx does and forwards /api/ to the backend (as the ALB).

Only for tests: a threaded stdlib server on loopback.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FRONTEND = Path(__file__).resolve().parents[3] / "app_src" / "frontend"
STATIC = FRONTEND / "static"


def nginx_headers() -> dict[str, str]:
    """The security headers nginx.conf adds to every page, so the test page runs under them."""
    pairs = re.findall(
        r'^\s*add_header ([\w-]+) "([^"]+)" always;', (FRONTEND / "nginx.conf").read_text(), re.M
    )
    return dict(pairs)


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}


class Handler(SimpleHTTPRequestHandler):
    """Static files with an index.html fallback, `/healthz`, and `/api/` sent to the backend."""

    backend: tuple[str, int]
    security_headers = nginx_headers()

    def end_headers(self) -> None:
        if not urlsplit(self.path).path.startswith("/api/"):
            for name, value in self.security_headers.items():
                self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        connection = http.client.HTTPConnection(*self.backend, timeout=30)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        path = urlsplit(self.path).path
        if path.startswith("/api/"):
            return self._forward()
        if path == "/healthz":
            payload = b"ok\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return None
        if not (STATIC / path.lstrip("/")).is_file():
            self.path = "/index.html"
        return super().do_GET()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        if urlsplit(self.path).path.startswith("/api/"):
            return self._forward()
        self.send_error(405)
        return None


@contextmanager
def serve_frontend(*, backend_host: str, backend_port: int) -> Iterator[str]:
    """Run the server on a free loopback port; yields its base URL."""
    handler = type("BoundHandler", (Handler,), {"backend": (backend_host, backend_port)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(STATIC)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
