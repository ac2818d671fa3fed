"""What the CDK CLI (bootstrap, asset publishing, change sets) needs from moto.

- Stacks created through change sets (as `cdk deploy` does) get outputs and see and publish
  exports: stock moto only does so for CreateStack, so `Fn::ImportValue` failed.
- `Fn::GetAtt [Param, Value]` on AWS::SSM::Parameter (the BootstrapVersion output).
- Bucket policies that deny `aws:SecureTransport: false`: moto cannot evaluate conditions and
  so denied every object write. The local endpoint is plain HTTP standing in for HTTPS, so
  those TLS-only statements are left out of moto's evaluation (the stored policy is unchanged).
"""

from __future__ import annotations

import json
from typing import Any

from localaws.adapter.compat import require

_ssm = require("moto.ssm.models", "Parameter")
_s3 = require("moto.s3.models", "FakeBucket.get_permission")
_cfn = require(
    "moto.cloudformation.models",
    "CloudFormationBackend.execute_change_set",
    "Stack.__init__",
    "Stack._parse_template",
    "Stack._create_output_map",
    "cloudformation_backends",
)
_access = require("moto.iam.access_control", "IAMPolicy", "PermissionResult")

_SSM_ATTRIBUTES = {"Value": "value", "Type": "type"}


def _parameter_attribute(self: Any, attribute_name: str) -> Any:
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    if attribute_name not in _SSM_ATTRIBUTES:
        raise UnformattedGetAttTemplateException()
    return getattr(self, _SSM_ATTRIBUTES[attribute_name])


def is_tls_only(statement: dict[str, Any]) -> bool:
    """A statement whose only condition is `Bool: {aws:SecureTransport: false}`."""
    condition = statement.get("Condition", {})
    bool_condition = condition.get("Bool", {})
    return (
        set(condition) == {"Bool"}
        and set(bool_condition) == {"aws:SecureTransport"}
        and str(bool_condition["aws:SecureTransport"]).lower() == "false"
    )


def _bucket_permission(self: Any, action: str, resource: str) -> Any:
    if self.policy is None:
        return _access.PermissionResult.NEUTRAL
    document = json.loads(self.policy)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    document["Statement"] = [s for s in statements if not is_tls_only(s)]
    return _access.IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)


def _share_exports(stack: Any) -> None:
    """A stack resolves `Fn::ImportValue` against its backend's exports, however created."""
    exports = _cfn.cloudformation_backends[stack.account_id][stack.region_name].exports
    stack.cross_stack_resources = exports
    stack.resource_map.cross_stack_resources = exports


def _publish_outputs(backend: Any) -> None:
    """Rebuild outputs from each completed stack's template and register its exports.

    Stock moto keeps the (empty) outputs of the stack a change set created, so a stack
    deployed by `cdk deploy` had neither outputs nor exports.
    """
    for stack in backend.stacks.values():
        if not stack.status.endswith("_COMPLETE") or stack.status.startswith("DELETE"):
            continue
        if stack.template:
            stack._parse_template()
            stack.output_map = stack._create_output_map()
        for name in [
            n for n, e in backend.exports.items() if e.exporting_stack_id == stack.stack_id
        ]:
            del backend.exports[name]
        for export in stack.exports:
            backend.exports[export.name] = export


def _patch_change_sets() -> None:
    backend_class, stack_class = _cfn.CloudFormationBackend, _cfn.Stack
    if getattr(backend_class, "_localaws_patched", False):
        return
    init, execute = stack_class.__init__, backend_class.execute_change_set

    def stack_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        _share_exports(self)

    def execute_change_set(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = execute(self, *args, **kwargs)
        _publish_outputs(self)
        return result

    stack_class.__init__ = stack_init
    backend_class.execute_change_set = execute_change_set
    backend_class._localaws_patched = True


def patch_cdk_cli_support() -> None:
    """Apply every fix. Idempotent."""
    _patch_change_sets()
    parameter = _ssm.Parameter
    if "get_cfn_attribute" not in parameter.__dict__:
        parameter.get_cfn_attribute = _parameter_attribute
        parameter.has_cfn_attr = classmethod(lambda cls, attr: attr in _SSM_ATTRIBUTES)
    _s3.FakeBucket.get_permission = _bucket_permission
