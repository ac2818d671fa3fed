"""Deploy synthesized templates straight through CloudFormation's API (no CDK CLI).

The fast path for tests: reads a `cdk.out` manifest, creates each stack in dependency order,
and supplies what `cdk bootstrap` would (the bootstrap version parameter).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
BOOTSTRAP_VERSION = "30"


class DeployFailed(RuntimeError):
    """A stack did not reach CREATE_COMPLETE / UPDATE_COMPLETE."""


@dataclass(frozen=True, kw_only=True)
class StackTemplate:
    """One stack of a cloud assembly."""

    name: str
    template_file: Path
    dependencies: tuple[str, ...]


def read_assembly(cdk_out: Path) -> list[StackTemplate]:
    """The stacks of a cloud assembly (`cdk.out/manifest.json`), in dependency order."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    artifacts: dict[str, Any] = manifest["artifacts"]
    stacks = {
        artifact_id: StackTemplate(
            name=artifact["properties"].get("stackName", artifact_id),
            template_file=cdk_out / artifact["properties"]["templateFile"],
            dependencies=tuple(
                d
                for d in artifact.get("dependencies", [])
                if d in artifacts and artifacts[d]["type"] == "aws:cloudformation:stack"
            ),
        )
        for artifact_id, artifact in artifacts.items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    ordered: list[str] = []

    def visit(artifact_id: str, path: tuple[str, ...]) -> None:
        if artifact_id in ordered:
            return
        if artifact_id in path:
            raise ValueError(f"dependency cycle through {artifact_id}")
        for dependency in stacks[artifact_id].dependencies:
            visit(dependency, (*path, artifact_id))
        ordered.append(artifact_id)

    for artifact_id in stacks:
        visit(artifact_id, ())
    return [stacks[artifact_id] for artifact_id in ordered]


def ensure_bootstrap_parameter(ssm: Any) -> None:
    """What `cdk bootstrap` leaves behind that synthesized templates read."""
    ssm.put_parameter(
        Name=BOOTSTRAP_VERSION_PARAMETER, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True
    )


def create_stack(cfn: Any, *, name: str, template: dict[str, Any]) -> dict[str, str]:
    """Create one stack, fail loudly unless it completes, and return its outputs."""
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        reason = stack.get("StackStatusReason", "")
        raise DeployFailed(f"{name}: {stack['StackStatus']} {reason}")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def publish_file_assets(session: Any, cdk_out: Path, *, endpoint_url: str | None = None) -> int:
    """Upload every file asset (Lambda code, templates) where the templates expect it."""
    account = session.client("sts", endpoint_url=endpoint_url).get_caller_identity()["Account"]
    s3 = session.client("s3", endpoint_url=endpoint_url)
    buckets: set[str] = set()
    published = 0
    for manifest_file in sorted(cdk_out.glob("*.assets.json")):
        for asset in json.loads(manifest_file.read_text()).get("files", {}).values():
            source = cdk_out / asset["source"]["path"]
            body = _zip_directory(source) if source.is_dir() else source.read_bytes()
            for destination in asset["destinations"].values():
                bucket = destination["bucketName"].replace("${AWS::AccountId}", account)
                if bucket not in buckets:
                    region = destination["region"]
                    s3.create_bucket(
                        Bucket=bucket,
                        CreateBucketConfiguration={"LocationConstraint": region},
                    )
                    buckets.add(bucket)
                s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)
                published += 1
    return published


def deploy_assembly(
    session: Any, cdk_out: Path, *, endpoint_url: str | None = None
) -> dict[str, dict[str, str]]:
    """Publish the assets and create every stack of a cloud assembly; outputs by stack name."""
    cfn = session.client("cloudformation", endpoint_url=endpoint_url)
    ensure_bootstrap_parameter(session.client("ssm", endpoint_url=endpoint_url))
    publish_file_assets(session, cdk_out, endpoint_url=endpoint_url)
    outputs: dict[str, dict[str, str]] = {}
    for stack in read_assembly(cdk_out):
        template = json.loads(stack.template_file.read_text())
        outputs[stack.name] = create_stack(cfn, name=stack.name, template=template)
    return outputs
