"""The common part of every adapter model: a CloudFormation resource backed by a real moto one."""

from __future__ import annotations

from typing import Any, Self

from localaws.adapter.compat import require

parsing = require(
    "moto.cloudformation.parsing",
    "get_model_list",
    "get_model_map",
    "get_name_type_map",
    "resource_class_from_type",
    "clean_json",
    "NULL_MODELS",
)
common_models = require("moto.core.common_models", "CloudFormationModel")
CloudFormationModel = common_models.CloudFormationModel


class AdapterResource:
    """Mixin for adapter models; subclasses also derive directly from CloudFormationModel.

    moto finds CloudFormation types through `CloudFormationModel.__subclasses__()`, so each
    adapter model must list CloudFormationModel among its direct bases. A model states its
    `cfn_type`, its GetAtt `attributes`, the `name_property` that names it (if any), `_create`
    and, when the resource can go, `delete`.
    """

    cfn_type: str = ""
    name_property: str = ""
    attributes: tuple[str, ...] = ()

    def __init__(self, physical_id: str, **attributes: Any) -> None:
        self._physical_id = physical_id
        self._attributes = attributes

    @property
    def physical_resource_id(self) -> str:
        return self._physical_id

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.cfn_type

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.name_property

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self._attributes:
            exceptions = require(
                "moto.cloudformation.exceptions", "UnformattedGetAttTemplateException"
            )
            raise exceptions.UnformattedGetAttTemplateException()
        return self._attributes[attribute_name]

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Self:
        """moto's entry point; its parser always fills in `Properties` (possibly empty)."""
        return cls._create(
            resource_name, cloudformation_json["Properties"], account_id, region_name
        )

    @classmethod
    def _create(cls, name: str, p: dict[str, Any], account_id: str, region_name: str) -> Self:
        """Create the real moto resource named `name` from the properties `p`; return its model."""
        raise NotImplementedError(f"{cls.__name__} does not define _create")

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        """Replace: delete the old resource (when the type can) and create the new one."""
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    def delete(self, account_id: str, region_name: str) -> None:
        """Default: nothing to delete (the resource lives inside another one)."""


def tags_list(properties: dict[str, Any]) -> list[dict[str, str]]:
    """CloudFormation `Tags` as the `[{Key, Value}]` list moto's backends take."""
    return [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties.get("Tags", [])]


def as_bool(value: Any, default: bool = False) -> bool:
    """CloudFormation booleans arrive as bools or as the strings "true"/"false"."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)
