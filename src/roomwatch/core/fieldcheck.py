"""Checks of one decoded record field, raising the errors a `Comment` raises.

Split out of :mod:`roomwatch.core.record` (which keeps the record and its
parser under the 600-line rule); these know nothing of the record itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from roomwatch.core.errors import RecordError

__all__ = ["check_utf8", "json_type", "number", "required_str"]


def required_str(raw: Mapping[str, Any], name: str) -> str:
    if name not in raw or raw[name] is None:
        raise RecordError("missing_field", f"field {name!r} is required", field=name)
    value = raw[name]
    if not isinstance(value, str):
        raise RecordError(
            "wrong_type", f"field {name!r} must be a string, not {json_type(value)}", field=name
        )
    return value


def number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(
            "wrong_type", f"field {name!r} must be a number, not {json_type(value)}", field=name
        )
    try:
        out = float(value)
    except OverflowError:  # an integer too large for a float
        out = math.inf
    if not math.isfinite(out):
        raise RecordError("bad_value", f"field {name!r} must be finite", field=name)
    return out


def check_utf8(value: str, name: str) -> None:
    # json.loads accepts lone surrogates such as "\ud800", which no UTF-8
    # encoder can write back out; reject them here rather than downstream.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(
            "invalid_utf8", f"field {name!r} holds an unpaired surrogate", field=name
        ) from None


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
