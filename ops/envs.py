"""Environment names and regions, from cdk_app's environment files (the config loader)."""

from __future__ import annotations

from ops.errors import OpsError

PRODUCTION = "production"


def environment_names() -> tuple[str, ...]:
    """Known environment names: one per `cdk_app/environments/<name>.yaml`."""
    from cdk_app import config

    return config.known_envs()


def region_of(env: str) -> str:
    """The region the environment is deployed to (its YAML's `region`, default ap-southeast-2)."""
    from cdk_app import config
    from cdk_app.schema import ConfigError

    try:
        return config.load(env).region
    except ConfigError as exc:
        raise OpsError(str(exc)) from exc


def is_production(env: str) -> bool:
    """Production asks the operator to type its name before a mutating command."""
    return env == PRODUCTION
