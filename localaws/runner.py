"""Run the local AWS server in the background: start, stop, status, reset.

State lives in `.local/` at the repo root (git-ignored): `moto.pid`, `moto.port`, `moto.log`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPO_ROOT / ".local"
HOST = "localhost"
START_TIMEOUT_S = 30.0


@dataclass(frozen=True, kw_only=True)
class ServerStatus:
    """Whether the server runs, and where."""

    running: bool
    pid: int | None = None
    port: int | None = None

    @property
    def endpoint(self) -> str | None:
        return endpoint_url(self.port) if self.port else None


def endpoint_url(port: int) -> str:
    """The AWS_ENDPOINT_URL for a port: `localhost`, never 127.0.0.1 (S3 virtual hosts)."""
    return f"http://{HOST}:{port}"


def free_port() -> int:
    """A TCP port free on localhost right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _files(state_dir: Path | None) -> tuple[Path, Path, Path]:
    directory = state_dir or STATE_DIR
    return directory / "moto.pid", directory / "moto.port", directory / "moto.log"


def log_file(state_dir: Path | None = None) -> Path:
    """Where the server writes its log."""
    return _files(state_dir)[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _responds(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint_url(port)}/moto-api/data.json", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def status(*, state_dir: Path | None = None) -> ServerStatus:
    """Read the pid/port files; a dead pid means not running."""
    pid_file, port_file, _log = _files(state_dir)
    if not pid_file.exists() or not port_file.exists():
        return ServerStatus(running=False)
    pid = int(pid_file.read_text().strip())
    port = int(port_file.read_text().strip())
    if not _alive(pid):
        return ServerStatus(running=False, pid=pid, port=port)
    return ServerStatus(running=True, pid=pid, port=port)


def start(*, port: int | None = None, state_dir: Path | None = None) -> ServerStatus:
    """Start the server in the background (or return the one already running)."""
    current = status(state_dir=state_dir)
    if current.running:
        return current
    pid_file, port_file, log_path = _files(state_dir)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [sys.executable, "-m", "localaws.server", "--host", HOST, "--port", str(port)]
    with log_path.open("wb") as log:  # one log per server run
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_file.write_text(f"{process.pid}\n")
    port_file.write_text(f"{port}\n")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _responds(port):
            return ServerStatus(running=True, pid=process.pid, port=port)
        time.sleep(0.2)
    stop(state_dir=state_dir)
    tail = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"local AWS server did not start on port {port}; log {log_path}:\n{tail}")


def stop(*, state_dir: Path | None = None, timeout_s: float = 10.0) -> bool:
    """Stop the server started by `start`; True if one was running."""
    current = status(state_dir=state_dir)
    pid_file, port_file, _log = _files(state_dir)
    was_running = current.running
    if current.running and current.pid is not None:
        os.kill(current.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _alive(current.pid) and time.monotonic() < deadline:
            _reap(current.pid)
            time.sleep(0.1)
        if _alive(current.pid):
            os.kill(current.pid, signal.SIGKILL)
            _reap(current.pid)
    pid_file.unlink(missing_ok=True)
    port_file.unlink(missing_ok=True)
    return was_running


def _reap(pid: int) -> None:
    """Collect the exit status when the server is our own child (else it stays a zombie)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def reset(endpoint: str) -> None:
    """Empty every moto backend of a running server (instead of `cdk destroy`)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"reset of {endpoint} failed: HTTP {response.status}")
