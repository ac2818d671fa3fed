"""The moto version the adapter was written against, and loud checks of the internals it uses."""

from __future__ import annotations

import importlib
from typing import Any

import moto

MOTO_VERSION = "5.2.5"


class MotoInternalsChanged(RuntimeError):
    """moto is not the version the adapter was written for, or an internal it uses is gone."""


def check_moto_version() -> None:
    """Refuse to run against any moto but the pinned one: the adapter relies on its internals."""
    if moto.__version__ != MOTO_VERSION:
        raise MotoInternalsChanged(
            f"localaws.adapter was written for moto {MOTO_VERSION}, found moto {moto.__version__}. "
            f"Install moto[server]=={MOTO_VERSION} (pyproject pins it) or port the adapter."
        )


def require(module_name: str, *attributes: str) -> Any:
    """Import `module_name` and check that it still has `attributes` (dotted paths allowed)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise MotoInternalsChanged(f"moto internal module {module_name} is missing") from error
    for attribute in attributes:
        target: Any = module
        for part in attribute.split("."):
            if not hasattr(target, part):
                raise MotoInternalsChanged(
                    f"moto internal {module_name}.{attribute} is missing (moto {moto.__version__})"
                )
            target = getattr(target, part)
    return module


check_moto_version()
