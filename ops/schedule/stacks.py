"""Park and unpark from inside the account: deploy the four stacks' staged templates, in order.

The scheduled function has no CDK CLI. With `schedule.park`, the Schedule stack staged each of
the four stacks' templates running and parked (stacks/park_templates.py) and names them in the
function's environment; this deploys them with CloudFormation UpdateStack, one stack at a time in
`ops park`'s order (reverse dependency order to park, dependency order to unpark), waiting for
each. A stack whose deployed template already is the target is left alone, so a run that ran out
of time (ops.schedule.handler goes on in a new run) continues where it stopped, and a stack that
was deployed from anything else is refused rather than overwritten.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ops.aws.session import Aws
from ops.errors import OpsError, error_code
from ops.load_balancer import lift_deletion_protection
from ops.results import Report
from stacks.contract import names
from stacks.contract.schedule import PARKED_TEMPLATES as PARKED
from stacks.contract.schedule import RUNNING_TEMPLATES as RUNNING
from stacks.contract.schedule import TEMPLATES_VARIABLE as VARIABLE

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.literals import CapabilityType
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef

CAPABILITIES: list[CapabilityType] = [
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
    "CAPABILITY_AUTO_EXPAND",
]
POLL_SECONDS = 15.0
FAILED_SUFFIXES = ("_FAILED", "ROLLBACK_COMPLETE")


class Progress(Enum):
    """Where a deploy stopped."""

    DONE = "done"  # every stack is at its target
    PENDING = "pending"  # time ran out with an update in progress: go on in a new run
    FAILED = "failed"  # a stack refused or failed: see the report


@dataclass(frozen=True)
class StackTemplates:
    """The staged template URLs by variant, then by stack name (the four stacks)."""

    running: dict[str, str]
    parked: dict[str, str]

    @classmethod
    def parse(cls, raw: str, env: str) -> StackTemplates:
        """From the function's environment variable; OpsError when it is not the four stacks."""
        expected = {names.stack_name(env, part) for part in names.STACK_PARTS}
        try:
            document = json.loads(raw)
            variants = {
                v: {str(k): str(u) for k, u in document[v].items()} for v in (RUNNING, PARKED)
            }
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise OpsError(f"{VARIABLE} is not the staged templates' JSON ({exc})") from None
        for variant, urls in variants.items():
            if set(urls) != expected or not all(u.startswith("https://") for u in urls.values()):
                raise OpsError(f"{VARIABLE}: the {variant} templates do not name the four stacks")
        return cls(running=variants[RUNNING], parked=variants[PARKED])

    def target(self, *, park: bool) -> dict[str, str]:
        return self.parked if park else self.running


def _bucket_and_key(url: str) -> tuple[str, str]:
    """`https://s3.<region>.<suffix>/<bucket>/<key>` (the asset's URL) -> (bucket, key)."""
    bucket, _, key = urlparse(url).path.lstrip("/").partition("/")
    if not bucket or not key:
        raise OpsError(f"not an S3 object URL: {url}")
    return bucket, key


def _parse(body: Any) -> Any:
    return json.loads(body) if isinstance(body, (str, bytes)) else body


class Deployer:
    """One environment's four stacks and their staged templates."""

    def __init__(
        self,
        aws: Aws,
        env: str,
        templates: StackTemplates,
        *,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.aws = aws
        self.env = env
        self.templates = templates
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.sleep = sleep
        self._bodies: dict[str, Any] = {}

    def _staged(self, url: str) -> Any:
        if url not in self._bodies:
            bucket, key = _bucket_and_key(url)
            body = self.aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
            self._bodies[url] = _parse(body)
        return self._bodies[url]

    def _deployed(self, stack: str) -> Any:
        cfn = self.aws.client("cloudformation")
        body = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
        return _parse(body)

    def _describe(self, stack: str) -> dict[str, Any]:
        found = self.aws.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
        if not found:
            raise OpsError(f"stack {stack} does not exist")
        return dict(found[0])

    def variant(self, stack: str) -> str | None:
        """Which staged template the stack runs (running, parked), None when neither."""
        deployed = self._deployed(stack)
        for variant, urls in ((RUNNING, self.templates.running), (PARKED, self.templates.parked)):
            if deployed == self._staged(urls[stack]):
                return variant
        return None

    def variants(self) -> dict[str, str | None]:
        """Each stack's staged template now: running, parked, or None (deployed otherwise)."""
        return {
            stack: self.variant(stack)
            for stack in (names.stack_name(self.env, part) for part in names.STACK_PARTS)
        }

    @staticmethod
    def refuse_foreign(report: Report, variants: dict[str, str | None]) -> bool:
        """Fail each stack that runs none of the staged templates; True when there was none."""
        for stack, variant in variants.items():
            if variant is None:
                report.fail(
                    stack,
                    "check template",
                    "deployed from other templates than the Schedule stack staged: deploy "
                    "every stack together (`cdk deploy --all`) and the schedule can park again",
                )
        return all(variant is not None for variant in variants.values())

    def _wait(self, stack: str, deadline: float) -> dict[str, Any] | None:
        """The stack once no operation is in progress; None when the deadline came first."""
        while True:
            described = self._describe(stack)
            if not str(described["StackStatus"]).endswith("_IN_PROGRESS"):
                return described
            if self.clock() + self.poll_seconds > deadline:
                return None
            self.sleep(self.poll_seconds)

    def _update(self, stack: str, url: str, described: dict[str, Any]) -> bool:
        """Start the update; False when CloudFormation finds nothing to change.

        A parameter with a default takes it (CDK's BootstrapVersion: the SSM name, resolved
        anew, as `cdk deploy` does); one without keeps its previous value."""
        wanted = self._staged(url).get("Parameters", {})
        previous = {p["ParameterKey"] for p in described.get("Parameters", [])}
        parameters: list[ParameterTypeDef] = [
            {"ParameterKey": key, "UsePreviousValue": True}
            for key, spec in wanted.items()
            if key in previous and "Default" not in spec
        ]
        try:
            self.aws.client("cloudformation").update_stack(
                StackName=stack,
                TemplateURL=url,
                Parameters=parameters,
                Capabilities=CAPABILITIES,
            )
        except Exception as exc:
            if error_code(exc) == "ValidationError" and "No updates" in str(exc):
                return False
            raise
        return True

    def deploy(self, report: Report, *, park: bool, deadline: float) -> Progress:
        """Bring each stack to its target template in order; stop at `deadline` (monotonic)."""
        variant = PARKED if park else RUNNING
        parts = tuple(reversed(names.STACK_PARTS)) if park else names.STACK_PARTS
        for part in parts:
            stack = names.stack_name(self.env, part)
            described = self._wait(stack, deadline)
            if described is None:
                report.add(stack, f"deploy {variant}", detail="in progress; going on in a new run")
                return Progress.PENDING
            current = self.variant(stack)
            if current == variant:
                report.add(stack, f"deploy {variant}", detail="already deployed")
                continue
            if current is None:
                report.fail(stack, f"deploy {variant}", "deployed from other templates; refused")
                return Progress.FAILED
            if park and part == names.SERVICE:  # CloudFormation cannot delete a protected ALB
                report.add("load balancer", "allow removal", detail=lift_deletion_protection(
                    self.aws, self.env, dry_run=False))  # fmt: skip
            if not self._update(stack, self.templates.target(park=park)[stack], described):
                report.add(stack, f"deploy {variant}", detail="no changes")
                continue
            finished = self._wait(stack, deadline)
            if finished is None:
                report.add(stack, f"deploy {variant}", detail="started; going on in a new run")
                return Progress.PENDING
            status = str(finished["StackStatus"])
            if status.endswith(FAILED_SUFFIXES):
                reason = finished.get("StackStatusReason", "")
                report.fail(stack, f"deploy {variant}", f"{status}: {reason}".rstrip(": "))
                return Progress.FAILED
            report.add(stack, f"deploy {variant}", detail=status)
        return Progress.DONE
