"""Environment names and regions: the one place `ops` learns them (from cdk_app's environments)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_REGION = "ap-southeast-2"
PRODUCTION = "production"
_ENV_DIR = Path(__file__).resolve().parent.parent / "cdk_app" / "environments"


def environment_names() -> tuple[str, ...]:
    """Known environment names: one per `cdk_app/environments/<name>.yaml`."""
    return tuple(sorted(path.stem for path in _ENV_DIR.glob("*.yaml")))


def region_of(env: str) -> str:
    """The region an environment is deployed to."""
    return DEFAULT_REGION


def is_production(env: str) -> bool:
    """Production asks the operator to type its name before a mutating command."""
    return env == PRODUCTION
