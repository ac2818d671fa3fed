"""The Node.js the CDK runs on: the supported LTS majors, and jsii's banner kept out of our output.

jsii (the CDK's Python bindings) starts Node when `aws_cdk` is first imported. On an end-of-life
or untested Node it prints a large banner that reaches the terminal as Python byte strings. The
README requires a supported LTS; `quiet_jsii()` (called by the `cdk_app` and `stacks` packages
before anything imports the CDK) keeps the banner out of every command's output, and
`main()` (run by `make setup`) says once, in one line, when Node is too old.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import MutableMapping

SUPPORTED_NODE_MAJORS = (22, 24)
# jsii reads a comma-separated list of end-of-life Node majors to stay quiet about.
QUIET_JSII = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
}


def quiet_jsii(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set jsii's silencing variables unless the caller's environment already sets them."""
    for key, value in QUIET_JSII.items():
        environ.setdefault(key, value)


def node_major(node: str = "node") -> int | None:
    """The major version of `node` on PATH (None when there is none or it does not answer)."""
    path = shutil.which(node)
    if path is None:
        return None
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        return int(done.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def advice(major: int | None) -> str | None:
    """One line for an unsupported Node major, None when it is supported."""
    wanted = " or ".join(str(m) for m in SUPPORTED_NODE_MAJORS)
    if major is None:
        return f"warning: Node.js not found; the CDK needs Node {wanted} (an LTS it supports)"
    if major in SUPPORTED_NODE_MAJORS:
        return None
    return f"warning: Node {major} is not an LTS the CDK supports; install Node {wanted}"


def main() -> int:
    """Print the advice, if any, on stderr; never fails the caller."""
    line = advice(node_major())
    if line:
        print(line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
