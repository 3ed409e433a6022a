"""A package's names imported when first asked for (PEP 562).

A package's ``__init__`` presents its API, but importing everything it names
at once costs every command the modules only some use (the alert manager, the
question queue, prometheus_client, aiohttp through the moderation outbound).
Such a package lists each lazy name's module and sets::

    __getattr__ = lazy_names(__name__, {"AlertManager": ".manager", ...})

with the same names imported under ``TYPE_CHECKING`` for the type checker.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """The module ``__getattr__`` of ``package``: a name in ``homes`` is imported
    from its module (a path, absolute or relative to ``package``) when first
    asked for and kept in the package, so it is looked up once; any other
    name is an ``AttributeError`` as usual."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
