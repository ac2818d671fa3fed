"""Turn a parsed YAML mapping into a frozen dataclass, checking every key and type on the way.

Errors name the file and the key path, e.g. `staging.yaml: rds.multi_az: expected bool, got str`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


class ConfigError(ValueError):
    """A configuration problem; the message names the file and the key."""

    def __init__(self, source: Path | str, key: str, problem: str) -> None:
        self.source = _display(source)
        self.key = key
        self.problem = problem
        where = f"{self.source}: {key}: " if key else f"{self.source}: "
        super().__init__(where + problem)


def _display(source: Path | str) -> str:
    """A path relative to the working directory when it lies below it."""
    path = Path(source)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(source)


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(tp))
    if tp is type(None):
        return "null"
    if origin is tuple:
        return f"list of {_describe(typing.get_args(tp)[0])}"
    if origin is not None and issubclass(origin, Mapping):
        return f"mapping of {_describe(typing.get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return "mapping"
    return str(tp.__name__)


def convert(value: Any, tp: Any, *, source: Path, key: str) -> Any:
    """Check `value` against the type hint `tp` and return it in its frozen form."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        if len(args) == 2 and type(None) in args:  # optional: the one type's own error names why
            (only,) = (arg for arg in args if arg is not type(None))
            return convert(value, only, source=source, key=key)
        for arg in args:
            if arg is type(None):
                continue
            try:
                return convert(value, arg, source=source, key=key)
            except ConfigError:
                continue
        raise ConfigError(source, key, f"expected {_describe(tp)}, got {_type_name(value)}")
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return build(tp, value, source=source, prefix=key)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(source, key, f"expected {_describe(tp)}, got {_type_name(value)}")
        (item_type, _ellipsis) = typing.get_args(tp)
        return tuple(
            convert(item, item_type, source=source, key=f"{key}[{index}]")
            for index, item in enumerate(value)
        )
    if origin is not None and issubclass(origin, Mapping):
        if not isinstance(value, dict):
            raise ConfigError(source, key, f"expected {_describe(tp)}, got {_type_name(value)}")
        (_key_type, item_type) = typing.get_args(tp)
        return types.MappingProxyType(
            {
                str(name): convert(item, item_type, source=source, key=f"{key}.{name}")
                for name, item in value.items()
            }
        )
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise ConfigError(source, key, f"expected int, got {_type_name(value)}")
    if not isinstance(value, tp):
        raise ConfigError(source, key, f"expected {_describe(tp)}, got {_type_name(value)}")
    return value


def build(
    cls: type[T],
    data: Any,
    *,
    source: Path,
    prefix: str = "",
    extra: Mapping[str, Any] | None = None,
) -> T:
    """Build dataclass `cls` from a mapping: unknown keys, missing keys and wrong types are errors.

    `extra` supplies fields that do not come from the file (they are not valid keys in it).
    """
    if not isinstance(data, dict):
        raise ConfigError(source, prefix, f"expected mapping, got {_type_name(data)}")
    extra = dict(extra or {})
    hints = typing.get_type_hints(cls)
    fields = {field.name: field for field in dataclasses.fields(cls) if field.name not in extra}
    dotted = f"{prefix}." if prefix else ""
    unknown = sorted(str(name) for name in data if name not in fields)
    if unknown:
        known = ", ".join(sorted(fields))
        raise ConfigError(source, dotted + unknown[0], f"unknown key (known keys: {known})")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        key = dotted + name
        if name in data:
            values[name] = convert(data[name], hints[name], source=source, key=key)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(source, key, "missing required key")
    return cls(**values, **extra)
