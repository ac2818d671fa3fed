"""Synthesized environments for the stack tests, and small helpers to read their templates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdk_app.config import EnvConfig, known_envs
from localaws.deploy import LOCAL_ENV
from stacks.contract import names

ENVS: tuple[str, ...] = known_envs()  # every environment of cdk_app/environments
# The environments meant for an AWS account (all but the one `make demo` deploys into moto).
AWS_ENVS: tuple[str, ...] = tuple(env for env in ENVS if env != LOCAL_ENV)


@dataclass(frozen=True)
class SynthesizedEnv:
    """One environment's config, cloud assembly directory and parsed templates (by stack part)."""

    config: EnvConfig
    outdir: Path
    templates: dict[str, dict[str, Any]]

    @property
    def name(self) -> str:
        return self.config.name

    def template_paths(self) -> list[Path]:
        return [self.template_path(part) for part in self.templates]

    def template_path(self, part: str) -> Path:
        return self.outdir / f"{names.stack_name(self.name, part)}.template.json"

    def resources(self, part: str, type_: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for every resource of `type_` in the `part` stack."""
        return {
            logical_id: resource
            for logical_id, resource in self.templates[part]["Resources"].items()
            if resource["Type"] == type_
        }

    def one(self, part: str, type_: str) -> dict[str, Any]:
        """The single resource of `type_` in the `part` stack."""
        (resource,) = self.resources(part, type_).values()
        return resource


def load_templates(config: EnvConfig, outdir: Path) -> SynthesizedEnv:
    templates = {
        part: json.loads(
            (outdir / f"{names.stack_name(config.name, part)}.template.json").read_text()
        )
        for part in names.stack_parts(scheduled=config.schedule is not None)
    }
    return SynthesizedEnv(config=config, outdir=outdir, templates=templates)


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere inside a template fragment."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def ref_target(value: Any) -> str | None:
    """The logical id behind a Ref or Fn::GetAtt, else None."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    return None


def imported_exports(value: Any) -> Iterator[str]:
    """The export name of every Fn::ImportValue inside a template fragment."""
    if isinstance(value, dict):
        if "Fn::ImportValue" in value:
            yield value["Fn::ImportValue"]
        for item in value.values():
            yield from imported_exports(item)
    elif isinstance(value, list):
        for item in value:
            yield from imported_exports(item)
