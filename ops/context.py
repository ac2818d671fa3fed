"""What every command receives from the root group: global options and AWS access, built once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ops.aws.session import Aws
from ops.aws.stack_outputs import StackOutputs
from ops.envs import region_of


@dataclass
class OpsContext:
    """`--profile`/`--region` of the root group; tests may add botocore event hooks."""

    profile: str | None = None
    region: str | None = None
    hooks: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)
    _aws: dict[str, Aws] = field(default_factory=dict)

    def aws(self, env: str) -> Aws:
        """AWS access for `env`: --region if given, else the environment's configured region."""
        if env not in self._aws:
            aws = Aws(region=self.region or region_of(env), profile=self.profile)
            for event, handler in self.hooks:
                aws.on(event, handler)
            self._aws[env] = aws
        return self._aws[env]

    def outputs(self, env: str) -> StackOutputs:
        """Stack-output discovery for `env`."""
        return StackOutputs(self.aws(env), env)
