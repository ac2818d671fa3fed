"""AWS access: one boto3 session per run, clients with standard-mode retries.

boto3 is imported on first use only, so that `ops --help` does not pay for it. The standard
credential chain applies (`--profile` or AWS_PROFILE, environment, SSO, instance roles), and
botocore itself honours `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` (e.g. a moto server).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:  # the stub packages are a dev dependency: types only, never imported at run time
    import boto3
    from botocore.client import BaseClient
    from mypy_boto3_acm import ACMClient
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_elasticache import ElastiCacheClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_rds import RDSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_service_quotas import ServiceQuotasClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_sts import STSClient

MAX_ATTEMPTS = 6  # in all, the first attempt included
MUTATING_PREFIXES = (
    "Create", "Put", "Update", "Delete", "Stop", "Start", "Set", "Register", "Deregister",
    "Enable", "Disable", "Run", "Modify", "Tag", "Untag", "Publish", "Reboot", "Remove", "Add",
)  # fmt: skip


# The services `ops` calls (each has a typed client below).
ServiceName = Literal[
    "acm", "application-autoscaling", "cloudformation", "cloudfront", "cloudwatch", "ec2", "ecs",
    "elasticache", "elbv2", "events", "lambda", "logs", "rds", "s3", "scheduler", "secretsmanager",
    "service-quotas", "sns", "ssm", "sts",
]  # fmt: skip

_shared: dict[str, Any] = {}


def _new_session(*, profile: str | None, region: str) -> boto3.Session:
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
        self._session: boto3.Session | None = None
        self._clients: dict[ServiceName, BaseClient] = {}
        self._hooks: list[tuple[str, Callable[..., Any]]] = []
        self._lock = threading.Lock()

    @property
    def session(self) -> boto3.Session:
        """The boto3 session (created on first use)."""
        with self._lock:
            if self._session is None:
                self._session = _new_session(profile=self.profile, region=self.region)
            return self._session

    # One overload per service `ops` calls: a typed client, so a wrong parameter or response key is
    # a type error. A new service: its stub extra in pyproject.toml, ServiceName and an overload.
    @overload
    def client(self, service: Literal["acm"]) -> ACMClient: ...
    @overload
    def client(
        self, service: Literal["application-autoscaling"]
    ) -> ApplicationAutoScalingClient: ...
    @overload
    def client(self, service: Literal["cloudformation"]) -> CloudFormationClient: ...
    @overload
    def client(self, service: Literal["cloudfront"]) -> CloudFrontClient: ...
    @overload
    def client(self, service: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    def client(self, service: Literal["ec2"]) -> EC2Client: ...
    @overload
    def client(self, service: Literal["ecs"]) -> ECSClient: ...
    @overload
    def client(self, service: Literal["elasticache"]) -> ElastiCacheClient: ...
    @overload
    def client(self, service: Literal["elbv2"]) -> ElasticLoadBalancingv2Client: ...
    @overload
    def client(self, service: Literal["events"]) -> EventBridgeClient: ...
    @overload
    def client(self, service: Literal["lambda"]) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["logs"]) -> CloudWatchLogsClient: ...
    @overload
    def client(self, service: Literal["rds"]) -> RDSClient: ...
    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["scheduler"]) -> EventBridgeSchedulerClient: ...
    @overload
    def client(self, service: Literal["secretsmanager"]) -> SecretsManagerClient: ...
    @overload
    def client(self, service: Literal["service-quotas"]) -> ServiceQuotasClient: ...
    @overload
    def client(self, service: Literal["sns"]) -> SNSClient: ...
    @overload
    def client(self, service: Literal["ssm"]) -> SSMClient: ...
    @overload
    def client(self, service: Literal["sts"]) -> STSClient: ...
    def client(self, service: ServiceName) -> BaseClient:
        """A cached client; clients are thread-safe, so concurrent calls may share them."""
        session = self.session
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                config = Config(
                    retries={"mode": "standard", "total_max_attempts": self.max_attempts},
                    user_agent_extra="ohmycoins-ops",
                )
                client: BaseClient = session.client(service, config=config)
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
