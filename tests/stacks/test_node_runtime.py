"""jsii's Node banner stays out of every command's output; an unsupported Node gets one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks import node_runtime

ROOT = Path(__file__).resolve().parents[2]


def _without_jsii_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("JSII_")}


@pytest.mark.parametrize("module", ["cdk_app.synth", "stacks.network"])
def test_importing_the_cdk_prints_no_banner(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        env=_without_jsii_variables(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "b'" not in done.stderr and "end-of-life" not in done.stderr


def test_the_callers_own_setting_wins() -> None:
    environ = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "16"}
    node_runtime.quiet_jsii(environ)
    assert environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] == "16"
    assert environ["JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION"] == "1"


def test_advice_names_the_supported_lts_majors() -> None:
    for major in node_runtime.SUPPORTED_NODE_MAJORS:
        assert node_runtime.advice(major) is None
    wanted = " or ".join(map(str, node_runtime.SUPPORTED_NODE_MAJORS))
    for major in (18, 20, 99):
        line = node_runtime.advice(major)
        assert line is not None and f"Node {major} " in line and wanted in line
    missing = node_runtime.advice(None)
    assert missing is not None and "not found" in missing


def test_node_major_of_a_missing_binary_is_none() -> None:
    assert node_runtime.node_major("no-such-node-binary") is None
    assert node_runtime.node_major() == int(
        subprocess.run(["node", "--version"], capture_output=True, text=True)
        .stdout[1:]
        .split(".")[0]
    )
