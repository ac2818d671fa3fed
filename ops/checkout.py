"""The checkout that the commands running the CDK app need (`ops cost`, `ops park`/`unpark`).

Everything else `ops` reads ships in its package (runbooks, environment files, price tables), so an
installed wheel runs `ops status`, `ops runbook`, `ops incident` and friends anywhere; synthesizing
or deploying runs the app of `cdk.json`, the CDK CLI in `node_modules/` and the Dockerfiles of
`app_src/`, which only a checkout of this repository (after `make setup`) has.
"""

from __future__ import annotations

from pathlib import Path

from ops.errors import OpsError

ROOT = Path(__file__).resolve().parents[1]


def require_checkout(command: str) -> Path:
    """The repository root; OpsError naming `command` when ops is not running from a checkout."""
    if not (ROOT / "cdk.json").is_file():
        raise OpsError(
            f"`ops {command}` runs the CDK app, which needs a checkout of ohmycoins-infra "
            f"(cdk.json, app_src/, node_modules/ after `make setup`); this ops is installed "
            f"at {ROOT}: run it from the checkout's .venv"
        )
    return ROOT
