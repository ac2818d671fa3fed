"""Staged templates in moto, as the Schedule stack stages them for a parking schedule."""

from __future__ import annotations

import json
import uuid

from moto_env import Deployed

from stacks.contract import names

ENV = "staging"
BUCKET = "cdk-hnb659fds-assets"


def stage(deployed: Deployed, *, foreign: str | None = None) -> str:
    """Stage each stack's deployed template as `running` and a changed copy as `parked`, the way
    the Schedule stack does; `foreign` names a part whose `running` copy differs from what runs."""
    s3, cfn = deployed.client("s3"), deployed.client("cloudformation")
    bucket = f"{BUCKET}-{uuid.uuid4().hex[:8]}"  # S3's bucket names are global to moto
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"}
    )
    urls: dict[str, dict[str, str]] = {"running": {}, "parked": {}}
    for part in names.STACK_PARTS:
        stack = names.stack_name(ENV, part)
        body = cfn.get_template(StackName=stack)["TemplateBody"]
        running = json.loads(body) if isinstance(body, str) else dict(body)
        parked = json.loads(json.dumps(running))
        parked["Resources"]["Marker"]["Properties"]["Value"] = f"{part} parked"
        if part == foreign:
            running["Resources"]["Marker"]["Properties"]["Value"] = f"{part} newer"
        for variant, template in (("running", running), ("parked", parked)):
            key = f"{variant}-{part}.json"
            s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(template).encode())
            urls[variant][stack] = f"https://s3.ap-southeast-2.amazonaws.com/{bucket}/{key}"
    return json.dumps(urls)
