"""CloudFormation dynamic references, resolved as CloudFormation does when it creates a resource.

`{{resolve:secretsmanager:ID[:SecretString[:KEY[:STAGE[:VERSION]]]]}}`, `{{resolve:ssm:NAME}}`
and `{{resolve:ssm-secure:NAME}}`: stock moto passed them on literally (the database got the
string `{{resolve:...}}` as its password instead of the generated one).
"""

from __future__ import annotations

import json
import re
from typing import Any

from localaws.adapter.base import parsing
from localaws.adapter.compat import require

_sm = require("moto.secretsmanager.models", "secretsmanager_backends")
_ssm = require("moto.ssm.models", "ssm_backends")

DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]+)\}\}")


def _secret(account_id: str, region_name: str, reference: str) -> str:
    secret_id, _, rest = reference.partition(":SecretString")
    fields = rest.lstrip(":").split(":") if rest else []
    key, stage, version = (fields + ["", "", ""])[:3]
    value = _sm.secretsmanager_backends[account_id][region_name].get_secret_value(
        secret_id, version_id=version or None, version_stage=stage or None
    )["SecretString"]
    return str(json.loads(value)[key]) if key else str(value)


def _parameter(account_id: str, region_name: str, reference: str, *, secure: bool) -> str:
    name = reference.split(":")[0]
    parameter = _ssm.ssm_backends[account_id][region_name].get_parameter(name)
    return str(parameter.decrypt(parameter.value) if secure else parameter.value)


def resolve(text: str, *, account_id: str, region_name: str) -> str:
    """Replace every dynamic reference in `text` with the value it names."""

    def replace(match: re.Match[str]) -> str:
        service, reference = match.group(1), match.group(2)
        if service == "secretsmanager":
            return _secret(account_id, region_name, reference)
        return _parameter(account_id, region_name, reference, secure=service == "ssm-secure")

    return DYNAMIC_REFERENCE.sub(replace, text)


def patch_dynamic_references() -> None:
    """Resolve dynamic references in every value moto's template parser produces. Idempotent."""
    original = parsing.clean_json
    if getattr(original, "_localaws", False):
        return

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        cleaned = original(resource_json, resources_map)
        account_id = getattr(resources_map, "_account_id", None)
        if isinstance(cleaned, str) and "{{resolve:" in cleaned and account_id:
            return resolve(cleaned, account_id=account_id, region_name=resources_map._region_name)
        return cleaned

    # A marker attribute (patched once); functions declare no attributes to mypy.
    clean_json._localaws = True  # type: ignore[attr-defined]
    parsing.clean_json = clean_json
