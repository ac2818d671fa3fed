"""Database rotation in the templates: the schedule per env, the tasks' user, the bundle."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from stack_templates import SynthesizedEnv

from stacks.contract import names
from stacks.db_rotation.infrastructure import HANDLER, PACKAGE, copy_runtime

SCHEDULE = "AWS::SecretsManager::RotationSchedule"
FUNCTION = "AWS::Lambda::Function"


def _backend_secret_refs(synth: SynthesizedEnv) -> dict[str, object]:
    for task in synth.resources(names.SERVICE, "AWS::ECS::TaskDefinition").values():
        (container,) = task["Properties"]["ContainerDefinitions"]
        if container["Name"] == names.BACKEND:
            return {item["Name"]: item["ValueFrom"] for item in container["Secrets"]}
    raise AssertionError("no backend container")


def test_staging_and_production_rotate_the_app_user_on_their_schedule(
    envs: dict[str, SynthesizedEnv],
) -> None:
    for env in ("staging", "production"):
        synth = envs[env]
        (schedule,) = synth.resources(names.DATA, SCHEDULE).values()
        days = synth.config.rds.credential_rotation_days
        assert schedule["Properties"]["RotationRules"] == {
            "ScheduleExpression": f"rate({days} days)"
        }
        function_id = schedule["Properties"]["RotationLambdaARN"]["Fn::GetAtt"][0]
        function = synth.templates[names.DATA]["Resources"][function_id]["Properties"]
        assert function["Handler"] == HANDLER and function["VpcConfig"]["SubnetIds"]
        variables = function["Environment"]["Variables"]
        # Redeploys the backend the Service stack names (the same physical names, no reference).
        assert variables["OHMYCOINS_CLUSTER"] == names.cluster_name(env)
        assert variables["OHMYCOINS_REDEPLOY_SERVICES"] == names.resource_name(env, names.BACKEND)
        assert variables["OHMYCOINS_OWNER_ROLE"] == names.APP_DB_OWNER_ROLE
        secret_id = schedule["Properties"]["SecretId"]["Ref"]
        secret = synth.templates[names.DATA]["Resources"][secret_id]["Properties"]
        assert secret["Name"] == names.app_database_secret(env)


def test_tasks_connect_as_the_app_user_when_rotation_is_on_else_as_the_master(
    envs: dict[str, SynthesizedEnv],
) -> None:
    for env, rotated in (("staging", True), ("local", False)):
        synth = envs[env]
        assert bool(synth.resources(names.DATA, SCHEDULE)) is rotated
        refs = _backend_secret_refs(synth)
        imported = str(refs["POSTGRES_PASSWORD"])
        assert ("DatabaseRotationSecret" in imported) is rotated, imported
        assert str(refs["POSTGRES_USER"]).replace("password", "") != imported.replace(
            "password", ""
        )


def test_local_has_no_rotation_function(envs: dict[str, SynthesizedEnv]) -> None:
    functions = envs["local"].resources(names.DATA, FUNCTION)
    assert not [fid for fid in functions if "DatabaseRotation" in fid]


def test_the_bundle_imports_the_handler_and_the_driver_without_site_packages() -> None:
    with tempfile.TemporaryDirectory() as out:
        copy_runtime(Path(out))
        assert (Path(out) / PACKAGE / "handler.py").is_file()
        code = (
            f"import sys; sys.path.insert(0, {out!r}); "
            f"import {PACKAGE}.handler, pg8000.native; print(pg8000.native.literal('x'))"
        )
        # -I -S: no site-packages, no repository on the path: only the bundle and the stdlib.
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "'x'"
