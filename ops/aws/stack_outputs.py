"""Stack-output discovery: `ops` finds every resource through the stacks' outputs, no guessing."""

from __future__ import annotations

import threading

from ops.aws.session import Aws
from ops.errors import OpsError, error_code
from stacks.contract import names


def _part_of(key: str) -> str:
    for part, keys in names.OUTPUTS_BY_STACK.items():
        if key in keys:
            return part
    raise KeyError(f"{key!r} is not a stack output of the contract (stacks.contract.names.Outputs)")


class StackOutputs:
    """The outputs of an environment's stacks, each stack described once and cached."""

    def __init__(self, aws: Aws, env: str) -> None:
        self.aws = aws
        self.env = env
        self._stacks: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def of_stack(self, part: str) -> dict[str, str]:
        """All outputs of one stack; a clear error when the stack does not exist."""
        with self._lock:
            if part in self._stacks:
                return self._stacks[part]
        stack = names.stack_name(self.env, part)
        from botocore.exceptions import ClientError

        try:
            response = self.aws.client("cloudformation").describe_stacks(StackName=stack)
        except ClientError as exc:
            if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
                raise OpsError(
                    f"stack {stack} not found in {self.aws.region}: is the {self.env!r} "
                    f"environment deployed (or the region/profile wrong)?"
                ) from exc
            raise
        found = response["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
        with self._lock:
            self._stacks[part] = outputs
        return outputs

    def value(self, key: str) -> str:
        """One output value by its contract key (`names.Outputs`); missing: a clear error."""
        part = _part_of(key)
        outputs = self.of_stack(part)
        if key not in outputs:
            raise OpsError(
                f"stack {names.stack_name(self.env, part)} has no output {key!r}: "
                f"redeploy it with the current stacks"
            )
        return outputs[key]

    def service_names(self) -> dict[str, str]:
        """`{"backend": <ECS service name>, "frontend": ...}` from the Service stack."""
        return {service: self.value(key) for service, key in names.SERVICE_NAME_OUTPUTS.items()}
