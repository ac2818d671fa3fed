"""Every dependency is locked with its hashes, the locks are fresh, and installs use only them.

Sources and their locks (`make lock` writes the locks):
- pyproject.toml (runtime, `local` and `dev` extras), the backend's requirements.txt and
  requirements/build.in -> requirements/dev.lock (the development venv);
- app_src/backend/requirements.txt -> app_src/backend/requirements.lock (the backend image);
- requirements-checkov.txt -> requirements/checkov.lock (checkov's own venv).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "app_src" / "backend"
PROJECT = "ohmycoins-infra"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")
_DIGEST = re.compile(r"^FROM\s+\S+:\S+@sha256:[0-9a-f]{64}(\s+AS\s+\S+)?$", re.MULTILINE)


def entries(text: str) -> list[str]:
    """The requirement entries of a requirements file, continuation lines joined, comments out."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.split("#", 1)[0].strip() for line in joined.splitlines())
    return [line for line in lines if line]


def unhashed(text: str) -> list[str]:
    """The entries of a lock that are not `name==version` with at least one sha256 hash."""
    return [entry for entry in entries(text) if not (_PIN.match(entry) and _HASH.search(entry))]


def pins(text: str) -> dict[str, str]:
    """{canonical name: version} of a lock's entries."""
    found = {}
    for entry in entries(text):
        match = _PIN.match(entry)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def requirements_file(path: Path) -> list[Requirement]:
    return [Requirement(entry) for entry in entries(path.read_text())]


def project_requirements() -> list[Requirement]:
    """The runtime dependencies and every extra's, less the project's own extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = [*project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        texts += extra
    requirements = [Requirement(text) for text in texts]
    return [r for r in requirements if canonicalize_name(r.name) != PROJECT]


LOCKS = {
    ROOT / "requirements" / "dev.lock": lambda: [
        *project_requirements(),
        *requirements_file(BACKEND / "requirements.txt"),
        *requirements_file(ROOT / "requirements" / "build.in"),
    ],
    BACKEND / "requirements.lock": lambda: requirements_file(BACKEND / "requirements.txt"),
    ROOT / "requirements" / "checkov.lock": lambda: requirements_file(
        ROOT / "requirements-checkov.txt"
    ),
}


@pytest.mark.parametrize("lock", list(LOCKS), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_locked_requirement_is_pinned_with_a_hash(lock: Path) -> None:
    text = lock.read_text()
    assert pins(text), f"{lock} locks nothing"
    assert unhashed(text) == []


@pytest.mark.parametrize("lock", list(LOCKS), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_lock_holds_every_source_requirement_at_its_pin(lock: Path) -> None:
    locked = pins(lock.read_text())
    stale = []
    for requirement in LOCKS[lock]():
        version = locked.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (locked: {version})")
    assert stale == [], f"{lock.name} is stale: run `make lock`"


def test_a_requirement_without_a_hash_or_pin_is_caught() -> None:
    good = "click==8.5.1 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via ops\n"
    assert unhashed(good) == []
    assert unhashed(good + "boto3==1.44.8\n") == ["boto3==1.44.8"]
    assert unhashed(good + "requests>=2 --hash=sha256:" + "b" * 64 + "\n") != []
    assert unhashed(good + "-e .\n") == ["-e ."]
    assert unhashed("PyYAML==6.0.4 --hash=md5:abc\n") == ["PyYAML==6.0.4 --hash=md5:abc"]


def test_make_and_the_backend_image_install_only_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    assert re.search(r"pip install .*--require-hashes -r requirements/dev\.lock", makefile)
    assert re.search(r"pip install .*--require-hashes\s+-r requirements/checkov\.lock", makefile)
    plain_installs = re.findall(r"pip install (?![^\n]*--require-hashes)[^\n]*", makefile)
    assert plain_installs == ["pip install --quiet --disable-pip-version-check --no-deps "
                              "--no-build-isolation -e ."]  # fmt: skip
    dockerfile = (BACKEND / "Dockerfile").read_text()
    installs = re.findall(r"pip install[^\n]*", dockerfile)
    assert installs == ["pip install --no-compile --require-hashes -r /app/requirements.lock"]


@pytest.mark.parametrize("service", ["backend", "frontend"])
def test_base_images_are_pinned_by_digest(service: str) -> None:
    dockerfile = (ROOT / "app_src" / service / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s.*$", dockerfile, re.MULTILINE)
    assert bases and len(_DIGEST.findall(dockerfile)) == len(bases), bases
