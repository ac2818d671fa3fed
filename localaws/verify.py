"""Check every resource of deployed stacks through the normal boto3 APIs.

A deploy can report success while creating nothing (moto skips types it does not know), so each
resource of each template must be listed by CloudFormation with a physical id AND be found by
its own service's API. Types without a check here fail verification: add a check, never a skip.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from botocore.exceptions import ClientError

from localaws.verify_checks import CHECKS, Check, Clients, Missing

if TYPE_CHECKING:
    import boto3

# Types that create nothing to look up (CDK's version metadata).
NOTHING_TO_CHECK = frozenset({"AWS::CDK::Metadata"})


@dataclass(kw_only=True)
class StackReport:
    """What verification found for one stack."""

    stack: str
    checked: dict[str, str] = field(default_factory=dict)  # logical id -> type
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.checked)


class VerificationFailed(RuntimeError):
    """At least one resource is missing or unverifiable."""

    def __init__(self, reports: list[StackReport]) -> None:
        lines = [f"{r.stack}: {p}" for r in reports for p in r.problems]
        lines += [f"{r.stack}: no resources checked" for r in reports if not r.checked]
        super().__init__("local deploy verification failed:\n  " + "\n  ".join(lines))
        self.reports = reports


class _CfnYamlLoader(yaml.SafeLoader):
    """YAML templates with CloudFormation's short intrinsic tags (`!Ref`, `!Sub`, ...)."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        # The node is a MappingNode here; types-PyYAML declares construct_mapping for it only.
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnYamlLoader.add_multi_constructor("!", _intrinsic)


def parse_template(body: Any) -> dict[str, Any]:
    """A template body as returned by GetTemplate: JSON, YAML (short tags allowed) or a dict."""
    if isinstance(body, dict):
        return body
    try:
        return dict(json.loads(body))
    except json.JSONDecodeError:
        return dict(yaml.load(body, Loader=_CfnYamlLoader))  # noqa: S506 - SafeLoader subclass


def _substitute(value: Any, variables: dict[str, str]) -> Any:
    """Resolve `Ref`s and plain `Fn::Sub` strings to parameters and pseudo parameters."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name, replacement in variables.items():
            text = text.replace("${" + name + "}", replacement)
        return text if "${" not in text else value
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in variables:
        return variables[value["Ref"]]
    if isinstance(value, dict):
        return {k: _substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, variables) for v in value]
    return value


def _template_resources(
    cfn: Any, stack: dict[str, Any], physical_ids: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """The template's resources; Refs to parameters, pseudo parameters and resources resolved."""
    template = parse_template(cfn.get_template(StackName=stack["StackName"])["TemplateBody"])
    arn = stack["StackId"].split(":")
    variables = dict(physical_ids)
    variables |= {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    variables |= {
        "AWS::AccountId": arn[4],
        "AWS::Region": arn[3],
        "AWS::Partition": arn[1],
        "AWS::StackName": stack["StackName"],
        "AWS::URLSuffix": "amazonaws.com",
    }
    return dict(_substitute(template.get("Resources", {}), variables))


def _listed_resources(cfn: Any, stack: str) -> dict[str, dict[str, Any]]:
    listed: dict[str, dict[str, Any]] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        for summary in page["StackResourceSummaries"]:
            listed[summary["LogicalResourceId"]] = summary
    return listed


def _check_one(
    clients: Clients, check: Check, physical_id: str, properties: dict[str, Any]
) -> str | None:
    try:
        check(clients, physical_id, properties)
    except Missing as missing:
        return str(missing) or "not found"
    except ClientError as error:
        return error.response.get("Error", {}).get("Code", str(error))
    return None


def verify_stack(
    session: boto3.Session, stack: str, *, endpoint_url: str | None = None
) -> StackReport:
    """Verify one stack: every template resource listed, with a physical id, found by its API."""
    clients = Clients(session, endpoint_url)
    cfn = clients.get("cloudformation")
    report = StackReport(stack=stack)
    try:
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        report.problems.append(f"stack not found ({error.response['Error'].get('Code')})")
        return report
    status = described["StackStatus"]
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        report.problems.append(f"stack status {status}")
    listed = _listed_resources(cfn, stack)
    physical_ids = {
        logical: summary["PhysicalResourceId"]
        for logical, summary in listed.items()
        if summary.get("PhysicalResourceId")
    }
    for logical_id, resource in _template_resources(cfn, described, physical_ids).items():
        cfn_type = resource["Type"]
        if cfn_type in NOTHING_TO_CHECK:
            continue
        summary = listed.get(logical_id)
        if summary is None or not summary.get("PhysicalResourceId"):
            if "Condition" not in resource:
                report.problems.append(f"{logical_id} ({cfn_type}) was not created")
            continue
        check = CHECKS.get(cfn_type)
        if check is None:
            report.problems.append(f"{logical_id}: no verification for type {cfn_type}")
            continue
        problem = _check_one(
            clients, check, summary["PhysicalResourceId"], resource.get("Properties", {})
        )
        if problem:
            report.problems.append(
                f"{logical_id} ({cfn_type}) {summary['PhysicalResourceId']}: {problem}"
            )
        else:
            report.checked[logical_id] = cfn_type
    return report


def verify(
    session: boto3.Session, stacks: Iterable[str], *, endpoint_url: str | None = None
) -> list[StackReport]:
    """Verify every stack; raise VerificationFailed if anything is missing."""
    reports = [verify_stack(session, stack, endpoint_url=endpoint_url) for stack in stacks]
    if not reports or not all(r.ok for r in reports):
        raise VerificationFailed(reports)
    return reports
