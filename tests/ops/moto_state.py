"""moto's whole in-process state, saved once and put back as many times as needed.

Building the deployed environment takes about a hundred API calls; a test that starts from a
copy of the state saved right after one build gets the same resources (same ids and ARNs) in a
fraction of that time. Every restore gives fresh objects: what one test changes, the next never
sees.

moto keeps its state in one backend object per service, account and region (BackendDicts). The
copy is a pickle of all of them at once, so that a backend that refers to another (ELBv2 to EC2)
still refers to the very object installed beside it. Objects that cannot be pickled (moto's local
functions, locks) and moto's registries themselves are kept by reference: they hold no state of
the environment.
"""

from __future__ import annotations

import io
import pickle
import threading
from collections import defaultdict
from dataclasses import dataclass
from types import FunctionType
from typing import Any

from moto.core.base_backend import AccountSpecificBackend, BackendDict, BaseBackend

_LOCKS = (type(threading.Lock()), type(threading.RLock()))
Key = tuple[int, str, str]  # index into the saved BackendDicts, account id, region


def _in_use() -> list[BackendDict[Any]]:
    return list(BackendDict._instances)  # noqa: SLF001 (moto's registry of backends in use)


def _rebuild(cls: type[defaultdict[Any, Any]], factory: Any, items: Any, attrs: Any) -> Any:
    """A defaultdict subclass back with its items and attributes (pickle keeps neither)."""
    rebuilt = cls.__new__(cls)
    defaultdict.__init__(rebuilt, factory)
    rebuilt.update(items)
    rebuilt.__dict__.update(attrs)
    return rebuilt


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, kept: list[object]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.kept = kept
        self.index: dict[int, int] = {}

    def persistent_id(self, obj: object) -> int | None:
        if not isinstance(obj, (FunctionType, *_LOCKS, BackendDict, AccountSpecificBackend)):
            return None
        if isinstance(obj, FunctionType) and "<" not in obj.__qualname__:
            return None  # a module-level function pickles by name
        if id(obj) not in self.index:
            self.index[id(obj)] = len(self.kept)
            self.kept.append(obj)
        return self.index[id(obj)]

    def reducer_override(self, obj: object) -> Any:
        # moto's ssm ParameterDict: a defaultdict whose constructor takes other arguments.
        if isinstance(obj, defaultdict) and type(obj) is not defaultdict and vars(obj):
            return _rebuild, (type(obj), obj.default_factory, dict(obj), vars(obj))
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, kept: list[object]) -> None:
        super().__init__(file)
        self.kept = kept

    def persistent_load(self, pid: Any) -> object:
        return self.kept[pid]


def discard() -> None:
    """Forget every backend in use (what moto's reset does, without building them anew first)."""
    for backends in _in_use():
        backends.clear()
    BackendDict._instances.clear()  # noqa: SLF001


@dataclass(frozen=True)
class MotoState:
    """The backends in use when it was saved, pickled together."""

    registries: tuple[BackendDict[Any], ...]
    keys: tuple[Key, ...]
    data: bytes
    kept: tuple[object, ...]

    @classmethod
    def save(cls) -> MotoState:
        """The state of every backend in use now."""
        registries = tuple(_in_use())
        keys: list[Key] = []
        backends: list[BaseBackend] = []
        for number, registry in enumerate(registries):
            for account, by_region in registry.items():
                for region, backend in by_region.items():
                    keys.append((number, account, region))
                    backends.append(backend)
        buffer, kept = io.BytesIO(), list[object]()
        _Pickler(buffer, kept).dump(backends)
        return cls(registries, tuple(keys), buffer.getvalue(), tuple(kept))

    def restore(self) -> None:
        """Replace whatever moto holds by a fresh copy of the saved state."""
        discard()
        backends = _Unpickler(io.BytesIO(self.data), list(self.kept)).load()
        for (number, account, region), backend in zip(self.keys, backends, strict=True):
            dict.__setitem__(self.registries[number][account], region, backend)
