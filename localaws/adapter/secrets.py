"""AWS::SecretsManager::Secret and ::SecretTargetAttachment as real moto secrets.

Generated secret strings are generated at create time, so AWSCURRENT exists from the first deploy.
"""

from __future__ import annotations

import json
from typing import Any, Self

from localaws.adapter.base import AdapterResource, CloudFormationModel, tags_list
from localaws.adapter.compat import require

_sm = require("moto.secretsmanager.models", "secretsmanager_backends")
_rds = require("moto.rds.models", "rds_backends")


def _backend(account_id: str, region_name: str) -> Any:
    return _sm.secretsmanager_backends[account_id][region_name]


def generate_secret_string(backend: Any, spec: dict[str, Any]) -> str:
    """The string CloudFormation's GenerateSecretString would produce (template + password)."""
    raw = backend.get_random_password(
        password_length=int(spec.get("PasswordLength", 32)),
        exclude_characters=spec.get("ExcludeCharacters", ""),
        exclude_numbers=bool(spec.get("ExcludeNumbers", False)),
        exclude_punctuation=bool(spec.get("ExcludePunctuation", False)),
        exclude_uppercase=bool(spec.get("ExcludeUppercase", False)),
        exclude_lowercase=bool(spec.get("ExcludeLowercase", False)),
        include_space=bool(spec.get("IncludeSpace", False)),
        require_each_included_type=bool(spec.get("RequireEachIncludedType", True)),
    )
    password: str = json.loads(raw)["RandomPassword"]
    template = spec.get("SecretStringTemplate")
    key = spec.get("GenerateStringKey")
    if template is None or key is None:
        return password
    document = json.loads(template)
    document[key] = password
    return json.dumps(document)


class SecretResource(AdapterResource, CloudFormationModel):
    """A Secrets Manager secret; Ref is its ARN."""

    cfn_type = "AWS::SecretsManager::Secret"
    name_property = "Name"
    attributes = ("Id",)

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        backend = _backend(account_id, region_name)
        secret_string = p.get("SecretString")
        if secret_string is None:
            secret_string = generate_secret_string(backend, p.get("GenerateSecretString", {}))
        created = json.loads(
            backend.create_secret(
                name=name,
                secret_string=secret_string,
                secret_binary=None,
                description=p.get("Description"),
                tags=tags_list(p),
                kms_key_id=p.get("KmsKeyId"),
                client_request_token=None,
                replica_regions=[],
                force_overwrite=False,
            )
        )
        return cls(created["ARN"], Id=created["ARN"])

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_secret(
            secret_id=self.physical_resource_id,
            recovery_window_in_days=None,
            force_delete_without_recovery=True,
        )


def _rds_connection(account_id: str, region_name: str, target_id: str) -> dict[str, Any]:
    """The connection fields Secrets Manager adds for an RDS instance or cluster."""
    backend = _rds.rds_backends[account_id][region_name]
    if target_id in getattr(backend, "databases", {}):
        target = backend.databases[target_id]
        host, id_key = target.address, "dbInstanceIdentifier"
    else:
        target = backend.clusters[target_id]
        host, id_key = target.endpoint, "dbClusterIdentifier"
    return {"engine": target.engine, "host": host, "port": int(target.port), id_key: target_id}


class SecretTargetAttachmentResource(AdapterResource, CloudFormationModel):
    """Adds the database's connection fields to the secret; Ref is the secret's ARN."""

    cfn_type = "AWS::SecretsManager::SecretTargetAttachment"

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        backend = _backend(account_id, region_name)
        secret_id = p["SecretId"]
        current = backend.get_secret_value(secret_id, version_id=None, version_stage=None)
        document = json.loads(current["SecretString"])
        document.update(_rds_connection(account_id, region_name, p["TargetId"]))
        backend.put_secret_value(
            secret_id=secret_id,
            secret_string=json.dumps(document),
            secret_binary=None,
            client_request_token=None,
            version_stages=["AWSCURRENT"],
        )
        arn = backend.describe_secret(secret_id).arn
        return cls(arn)
