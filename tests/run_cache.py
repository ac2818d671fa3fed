"""Work done once per test run and shared by pytest-xdist's workers: a directory built under a
file lock, on disk in the run's temporary root (each worker is a process of its own)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

COMPLETE = ".complete"


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every worker of this run sees (without xdist: this session's own)."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp is <run root>/popen-gwN; the run root is theirs alone.
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    shared = root / "run-cache"
    shared.mkdir(exist_ok=True)
    return shared


def key_of(text: str) -> str:
    """A short, filesystem-safe key for any description of the work."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_once(root: Path, key: str, build: Callable[[Path], None]) -> Path:
    """`root/key`, filled by `build` by the first worker to ask; the others wait, then reuse it.

    A build that failed (no completion mark) is removed and attempted again by the next caller.
    """
    target = root / key
    with (root / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (target / COMPLETE).exists():
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True)
                build(target)
                (target / COMPLETE).touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target
