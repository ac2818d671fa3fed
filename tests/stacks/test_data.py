"""Data: RDS pinned, encrypted, protected in production; Redis TLS + AUTH; the app secret."""

from __future__ import annotations

import json
import re

import pytest
from stack_templates import ENVS, SynthesizedEnv, ref_target

from stacks.contract import names

RDS = "AWS::RDS::DBInstance"
REDIS = "AWS::ElastiCache::ReplicationGroup"
SECRET = "AWS::SecretsManager::Secret"


@pytest.mark.parametrize("env", ENVS)
def test_rds_pinned_encrypted_backed_up_snapshot_on_removal(
    envs: dict[str, SynthesizedEnv], env: str
) -> None:
    synth = envs[env]
    db = synth.one(names.DATA, RDS)
    props = db["Properties"]
    assert props["Engine"] == "postgres"
    assert re.fullmatch(r"\d+\.\d+", props["EngineVersion"])
    assert props["EngineVersion"] == synth.config.rds.engine_version
    assert props["AutoMinorVersionUpgrade"] is False
    assert props["StorageEncrypted"] is True
    assert props["EnablePerformanceInsights"] is True
    assert props["BackupRetentionPeriod"] == synth.config.rds.backup_retention_days
    assert props["DBInstanceClass"] == "db.t3.small"
    # Production keeps the instance itself when its stack is deleted (retain_on_delete).
    policy = "Retain" if synth.config.retain_on_delete else "Snapshot"
    assert db["DeletionPolicy"] == policy and db["UpdateReplacePolicy"] == policy
    # Generated credentials: the password is a dynamic reference to the generated secret.
    assert "{{resolve:secretsmanager:" in json.dumps(props["MasterUserPassword"])


@pytest.mark.parametrize(("env", "protected"), [("staging", False), ("production", True)])
def test_multi_az_and_deletion_protection(
    envs: dict[str, SynthesizedEnv], env: str, protected: bool
) -> None:
    props = envs[env].one(names.DATA, RDS)["Properties"]
    assert props["MultiAZ"] is protected
    assert props["DeletionProtection"] is protected


def test_production_backups_fourteen_days(production: SynthesizedEnv) -> None:
    assert production.one(names.DATA, RDS)["Properties"]["BackupRetentionPeriod"] == 14


@pytest.mark.parametrize(("env", "nodes"), [("staging", 1), ("production", 2)])
def test_redis_tls_at_rest_auth_from_secret_and_replicas(
    envs: dict[str, SynthesizedEnv], env: str, nodes: int
) -> None:
    synth = envs[env]
    props = synth.one(names.DATA, REDIS)["Properties"]
    assert props["TransitEncryptionEnabled"] is True
    assert props["AtRestEncryptionEnabled"] is True
    assert props["CacheNodeType"] == "cache.t3.small"
    assert props["NumCacheClusters"] == nodes
    assert props["AutomaticFailoverEnabled"] is (nodes > 1)
    assert props["MultiAZEnabled"] is (nodes > 1)
    # AUTH token: a dynamic reference to a secret generated in this stack, never a literal.
    prefix, reference, suffix = props["AuthToken"]["Fn::Join"][1]
    assert (prefix, suffix) == ("{{resolve:secretsmanager:", ":SecretString:::}}")
    token_secret = synth.templates[names.DATA]["Resources"][ref_target(reference)]
    assert token_secret["Type"] == SECRET
    assert "GenerateSecretString" in token_secret["Properties"]


def test_app_secret_generated_with_placeholder_api_keys(staging: SynthesizedEnv) -> None:
    secrets = staging.resources(names.DATA, SECRET)
    (app_secret,) = (
        s for s in secrets.values() if s["Properties"].get("Name") == "ohmycoins-staging-app"
    )
    generator = app_secret["Properties"]["GenerateSecretString"]
    template = json.loads(generator["SecretStringTemplate"])
    rotation_keys = {names.JWT_PREVIOUS_KEY, names.JWT_ROTATED_AT}
    assert set(template) | {generator["GenerateStringKey"]} == {
        *names.APP_SECRET_KEYS,
        *rotation_keys,
    }
    assert generator["GenerateStringKey"] == names.JWT_SIGNING_KEY
    assert all(template[key] == names.PLACEHOLDER for key in names.API_KEY_NAMES)
    assert all(template[key] == "" for key in rotation_keys)  # until the first rotation
    assert "SecretString" not in app_secret["Properties"]


def test_data_stack_termination_protection_in_production_only(
    envs: dict[str, SynthesizedEnv],
) -> None:
    def protected(synth: SynthesizedEnv) -> bool:
        manifest = json.loads((synth.outdir / "manifest.json").read_text())
        artifact = manifest["artifacts"][names.stack_name(synth.name, names.DATA)]
        return artifact["properties"].get("terminationProtection", False)

    assert protected(envs["production"]) is True
    assert protected(envs["staging"]) is False
