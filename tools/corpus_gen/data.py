"""Load the generator's phrase pools from ``data/<name>.json``.

JSON has no tuples, so every list is read back as a tuple: the pools are
immutable, hashable (``Ctx.hpick`` caches partitions by pool) and compare equal
to the literals they were moved from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["DATA_DIR", "load"]

DATA_DIR = Path(__file__).resolve().parent / "data"


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    return value


def load(name: str) -> dict[str, Any]:
    """Return the named pools of ``data/<name>.json`` (lists as tuples, key order kept)."""
    with (DATA_DIR / f"{name}.json").open(encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{name}.json: expected an object of named pools")
    pools: dict[str, Any] = _freeze(data)
    return pools
