"""The templates `ops cost` prices: synthesized by the CDK app, or read from a cloud assembly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ops.checkout import require_checkout
from ops.errors import OpsError
from stacks.contract.names import STACK_PARTS, stack_name

ROOT = Path(__file__).resolve().parents[2]


def synth_command(env: str, *, parked: bool, outdir: Path) -> list[str]:
    """The `cdk synth` command line for one env, parked or not, into `outdir`."""
    return [
        "npx",
        "cdk",
        "synth",
        "--all",
        "--quiet",
        "-c",
        f"env={env}",
        "-c",
        f"parked={'true' if parked else 'false'}",
        "--output",
        str(outdir),
    ]


def read_assembly(outdir: Path, env: str) -> dict[str, dict[str, Any]]:
    """The templates of `env`'s stacks in a cloud assembly (`cdk.out`), keyed by stack name."""
    manifest_path = outdir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OpsError(f"cannot read cloud assembly {manifest_path}: {exc}") from None
    wanted = {stack_name(env, part) for part in STACK_PARTS}
    templates: dict[str, dict[str, Any]] = {}
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        name = (artifact.get("properties") or {}).get("stackName", artifact_id)
        if name in wanted:
            template_file = artifact["properties"]["templateFile"]
            templates[name] = json.loads((outdir / template_file).read_text(encoding="utf-8"))
    if not templates:
        raise OpsError(f"{outdir} holds no stack of environment {env}")
    return templates


def synthesize(env: str, *, parked: bool) -> dict[str, dict[str, Any]]:
    """Synthesize `env` without validation (prices need no cdk-nag); return its templates."""
    require_checkout("cost")
    with tempfile.TemporaryDirectory(prefix="ohmycoins-cost-") as tmp:
        outdir = Path(tmp) / "cdk.out"
        # The app runs under this interpreter's environment (cdk.json says `python -m cdk_app`).
        path = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
        run_env = {**os.environ, "CDK_VALIDATION": "false", "PATH": path}
        try:
            result = subprocess.run(
                synth_command(env, parked=parked, outdir=outdir),
                cwd=ROOT,
                env=run_env,
                capture_output=True,
                text=True,
                check=False,
            )
        except FileNotFoundError as exc:
            raise OpsError(f"cannot run the CDK CLI ({exc}); run `make setup`") from None
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-15:])
            raise OpsError(f"cdk synth of {env} (parked={parked}) failed:\n{tail}")
        return read_assembly(outdir, env)
