"""Lazy package attributes: a package names its public objects and the module each lives in; a module is imported
the first time one of its names is read (PEP 562 module ``__getattr__``).

Why: ``import vsphere_nb`` and ``vsphere-nb --version`` must not pay for pydantic, httpx, pandas, matplotlib or
the simulator's server stack. ``from vsphere_nb import connect`` still works (it reads the attribute), and once
loaded a name is stored in the package's namespace, so later reads are plain attribute lookups.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, namespace: dict[str, Any], names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` whose ``names`` map a public name to the submodule holding it
    (relative, ``".client"``); a name mapped to the submodule itself (``"wire": ".wire"``) imports that module."""

    def __getattr__(name: str) -> Any:
        where = names.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(where, package)
        value = module if module.__name__ == f"{package}.{name}" else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
