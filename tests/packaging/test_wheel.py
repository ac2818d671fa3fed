"""A wheel built from the repository, installed into a fresh venv, runs `ops` outside a checkout.

The fresh venv gets the wheel alone (`--no-deps`, offline); the already installed dependencies
are visible to it through a `.pth` file, and a test checks that every requirement the wheel
declares is satisfied there, so a dependency used at run time but not declared still fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    venv: Path
    workdir: Path  # outside any checkout

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """A command of the venv, with a clean environment, from outside the checkout."""
        env = _clean_env()
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.run(
            [str(self.venv / "bin" / argv[0]), *argv[1:]],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _source_tree(target: Path) -> Path:
    """The repository's tracked and new files (not node_modules, .venv or build output)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            destination.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, destination)
    return target


def _clean_env() -> dict[str, str]:
    """This process's environment without the checkout on the import path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _pip(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    source = _source_tree(base / "src")
    _pip("wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(base / "dist"), str(source))
    (wheel,) = (base / "dist").glob("ohmycoins_infra-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    _pip(
        "--python",
        str(python),
        "install",
        "--no-deps",
        "--no-index",
        "--ignore-installed",
        "-q",
        str(wheel),
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies already installed here, after the venv's own site-packages.
    Path(purelib, "installed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    workdir = base / "elsewhere"
    workdir.mkdir()
    yield Installed(venv, workdir)


def test_ops_comes_from_the_wheel_not_the_checkout(installed: Installed) -> None:
    done = installed.run(
        "python", "-c", "import ops, cdk_app; print(ops.__file__, cdk_app.__file__)"
    )
    assert done.returncode == 0, done.stderr
    for path in done.stdout.split():
        assert Path(path).is_relative_to(installed.venv), path


def test_ops_help(installed: Installed) -> None:
    done = installed.run("ops", "--help")
    assert done.returncode == 0, done.stderr
    for command in ("status", "scale", "runbook", "cost", "local"):
        assert f"  {command} " in done.stdout


def test_runbook_list_and_show_from_package_data(installed: Installed) -> None:
    listed = installed.run("ops", "runbook", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    ids = {row["id"] for row in json.loads(listed.stdout)}
    expected = {path.stem for path in (ROOT / "runbooks").glob("*.md")} - {"README"}
    assert ids == expected
    shown = installed.run("ops", "runbook", "show", "alb-5xx")
    assert shown.returncode == 0, shown.stderr
    first_heading = next(
        line
        for line in (ROOT / "runbooks" / "alb-5xx.md").read_text().splitlines()
        if line.startswith("# ")
    )
    assert first_heading.removeprefix("# ") in shown.stdout


def test_environment_files_ship_with_the_package(installed: Installed) -> None:
    done = installed.run(
        "python",
        "-c",
        "from cdk_app.config import known_envs, load; "
        "print(' '.join(known_envs()), load('staging').region)",
    )
    assert done.returncode == 0, done.stderr
    names = sorted(p.stem for p in (ROOT / "cdk_app" / "environments").glob("*.yaml"))
    assert done.stdout.split()[:-1] == names


def test_commands_that_synthesize_say_they_need_a_checkout(installed: Installed) -> None:
    done = installed.run("ops", "cost", "--env", "staging", "--state", "running")
    assert done.returncode == 1
    assert "needs a checkout of ohmycoins-infra" in done.stderr and "Traceback" not in done.stderr


def test_every_declared_requirement_is_installed(installed: Installed) -> None:
    check = (
        "import json\n"
        "from importlib.metadata import PackageNotFoundError, distribution, version\n"
        "from packaging.requirements import Requirement\n"
        "dist = distribution('ohmycoins-infra')\n"
        "found = {}\n"
        "for text in dist.requires or []:\n"
        "    req = Requirement(text)\n"
        "    try:\n"
        "        found[text] = req.specifier.contains(version(req.name), prereleases=True)\n"
        "    except PackageNotFoundError:\n"
        "        found[text] = False\n"
        "print(json.dumps(found))\n"
    )
    done = installed.run("python", "-c", check)
    assert done.returncode == 0, done.stderr
    found: dict[str, bool] = json.loads(done.stdout)
    runtime = [text for text in found if "extra ==" not in text]
    assert any(text.startswith("cfn-lint==") for text in runtime)
    assert any(text.startswith("moto[server]==") and 'extra == "local"' in text for text in found)
    assert [text for text in runtime if not found[text]] == []
