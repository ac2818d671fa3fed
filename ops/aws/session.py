"""AWS access: one boto3 session per run, clients with standard-mode retries.

boto3 is imported on first use only, so that `ops --help` does not pay for it. The standard
credential chain applies (`--profile` or AWS_PROFILE, environment, SSO, instance roles), and
botocore itself honours `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` (e.g. a moto server).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

MAX_ATTEMPTS = 6  # in all, the first attempt included
MUTATING_PREFIXES = (
    "Create", "Put", "Update", "Delete", "Stop", "Start", "Set", "Register", "Deregister",
    "Enable", "Disable", "Run", "Modify", "Tag", "Untag", "Publish", "Reboot", "Remove", "Add",
)  # fmt: skip


_shared: dict[str, Any] = {}


def _new_session(*, profile: str | None, region: str) -> Any:
    """A boto3 session sharing one botocore data loader per process (service models parse once)."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    if "loader" in _shared:
        core.register_component("data_loader", _shared["loader"])
    else:
        _shared["loader"] = core.get_component("data_loader")
    return boto3.Session(botocore_session=core, profile_name=profile, region_name=region)


def is_mutating(operation: str) -> bool:
    """True for an API operation that changes something (used by dry-run tests and audits)."""
    return operation.startswith(MUTATING_PREFIXES)


class Aws:
    """A boto3 session for one environment's account and region, with cached clients."""

    def __init__(
        self, *, region: str, profile: str | None = None, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        self.region = region
        self.profile = profile
        self.max_attempts = max_attempts
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._hooks: list[tuple[str, Callable[..., Any]]] = []
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The boto3 session (created on first use)."""
        with self._lock:
            if self._session is None:
                self._session = _new_session(profile=self.profile, region=self.region)
            return self._session

    def client(self, service: str) -> Any:
        """A cached client; clients are thread-safe, so concurrent calls may share them."""
        session = self.session
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                config = Config(
                    retries={"mode": "standard", "total_max_attempts": self.max_attempts},
                    user_agent_extra="ohmycoins-ops",
                )
                client = session.client(service, config=config)
                for event, handler in self._hooks:
                    client.meta.events.register(event, handler)
                self._clients[service] = client
            return self._clients[service]

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        """Register a botocore event handler (e.g. `before-call`) on every client, now and later."""
        with self._lock:
            self._hooks.append((event, handler))
            for client in self._clients.values():
                client.meta.events.register(event, handler)

    def in_region(self, region: str) -> Aws:
        """The same credentials and event handlers in another region (e.g. ACM in us-east-1)."""
        other = Aws(region=region, profile=self.profile, max_attempts=self.max_attempts)
        for event, handler in self._hooks:
            other.on(event, handler)
        return other
