"""Records decoded by orjson where it gives exactly what the standard decoder gives.

Every record a replay, ``classify --jsonl`` or a live source reads is one JSON
object; Python's ``json`` decoder took about 2.5 µs of the 6 µs a record
cost to parse, orjson about 0.8 µs. The two agree on every document orjson
accepts, with one exception: an integer beyond 64 bits, which orjson turns
into a float (``json`` keeps the exact int). So :func:`loads` takes orjson's
value unless it holds a float of magnitude 2**63 or more (which only such an
integer, or a float literal that large, gives); for those, and for anything
orjson refuses (invalid JSON or UTF-8, NaN, 1e999, lone surrogates, deep
nesting), the standard decoder decides, with its own value or error.
``tests/core/test_jsonfast.py`` compares the two on generated documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

__all__ = ["INEXACT_FROM", "loads"]

#: Floats at least this large may have been integers orjson could not hold.
INEXACT_FROM = 2.0**63


def loads(data: bytes | str, slow: Callable[[Any], Any]) -> Any:
    """``slow(data)``'s value (``slow``: the standard decoder), faster where safe."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return slow(data)
    try:
        if _exact(value):
            return value
    except RecursionError:
        pass
    return slow(data)


def _exact(value: Any) -> bool:
    """Whether ``value`` holds no float of magnitude 2**63 or more (nor NaN)."""
    values: Iterable[Any]
    if type(value) is dict:
        values = value.values()
    elif type(value) is list:
        values = value
    else:
        values = (value,)
    for v in values:
        kind = type(v)
        if kind is float:
            if not -INEXACT_FROM < v < INEXACT_FROM:
                return False
        elif (kind is dict or kind is list) and not _exact(v):
            return False
    return True
