"""Field mapping: any fetcher's JSON message → a comment record (pure).

Third-party fetchers (Douyin, Bilibili relays...) emit their own JSON
shapes. A :class:`FieldMap` says where each record field lives in such a
message, as a dotted path (``user.nickname``, ``info.2.0`` for list
items), with ``|`` between alternatives tried in order (``content|gift.name``).
An optional message-type field (``type_field``) selects a
:class:`TypeRule` per type value: the record ``kind`` it becomes
(``comment``, ``superchat``, ``gift``, ``enter``...) and field paths that
replace the common ones for that type. A message whose type has no rule is
*filtered* (reason ``filtered``); one whose required field can't be found is
*unmapped* (reason ``unmapped``). Both are :class:`RecordError` values the
source counts and skips; the connection goes on.

A rule's ``multiply`` names the path of a count the mapped ``amount`` is
multiplied by: fetchers give a gift's unit price and how many were sent
(``amount = price × count × amount_scale``). A count that isn't there counts
as 1; one that isn't a non-negative number makes the message *unmapped*.

Paths listed in ``json_strings`` hold a JSON document encoded as a string
(DouyinBarrageGrab's ``Data``); it is decoded once per message before the
paths are read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from roomwatch.core.errors import RecordError
from roomwatch.core.record import KINDS

__all__ = ["FIELDS", "FieldMap", "TypeRule", "map_message"]

#: The record fields a map may point at.
FIELDS: Final = (
    "room",
    "text",
    "ts",
    "id",
    "user.id",
    "user.name",
    "user.level",
    "amount",
    "platform",
)
#: Kinds whose text must be there (the record rejects blank text for them).
_TEXT_KINDS: Final = frozenset({"comment", "superchat"})
_MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class TypeRule:
    """What one value of the message-type field becomes."""

    #: The record kind: comment, superchat, gift, enter, like or system.
    kind: str = "comment"
    #: Paths for this type that replace the common ones (same keys as ``fields``).
    fields: Mapping[str, str] = field(default_factory=dict)
    #: Replaces the map's ``amount_scale`` for this type (0: use the map's).
    amount_scale: float = 0.0
    #: Dotted path of a count the amount is multiplied by (a gift's unit
    #: price × how many were sent); missing counts as 1. Empty: no multiplier.
    multiply: str = field(default="", metadata={"hashed_if_set": True})

    def __post_init__(self) -> None:
        if not (math.isfinite(self.amount_scale) and self.amount_scale >= 0):
            raise ValueError("amount_scale must be a positive number (0: the map's)")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {', '.join(sorted(KINDS))}")
        _check_fields(self.fields)
        if self.multiply and not _is_path(self.multiply):
            raise ValueError(f"multiply: {self.multiply!r} is not a dotted path")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Where a fetcher's message keeps each comment-record field."""

    #: Record field → dotted path in the message (``user.id = "User.Id"``).
    #: Keys: room, text, ts, id, user.id, user.name, user.level, amount, platform.
    fields: Mapping[str, str] = field(default_factory=dict)
    #: Dotted path of the message-type field; empty: every message is a comment.
    type_field: str = ""
    #: Type value (as text, e.g. "1" or "WebcastChatMessage") → its rule.
    #: Types not listed are filtered out (counted, reason "filtered").
    types: Mapping[str, TypeRule] = field(default_factory=dict)
    #: Unit of the mapped ts: "s", "ms", or "auto" (above 10^11 is ms).
    ts_unit: Literal["s", "ms", "auto"] = "auto"
    #: The room when ``fields.room`` is not mapped or not found (a fetcher
    #: that watches one room often leaves it out of its messages).
    room: str = ""
    #: The platform written on every record (unless ``fields.platform`` finds one).
    platform: str = ""
    #: Multiplies a mapped amount into CNY (Douyin diamonds: 0.1).
    amount_scale: float = 1.0
    #: Paths whose string value is a JSON document to decode first.
    json_strings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_fields(self.fields)
        if self.types and not self.type_field:
            raise ValueError("types need a type_field")
        if not (math.isfinite(self.amount_scale) and self.amount_scale > 0):
            raise ValueError("amount_scale must be a positive number")

    def rule(self, message: Mapping[str, Any]) -> TypeRule | RecordError:
        """The rule for ``message``'s type, or why it is filtered."""
        if not self.type_field:
            return _COMMENT
        value = _lookup(message, self.type_field)
        if value is _MISSING or isinstance(value, (dict, list)):
            return RecordError("filtered", f"no message type at {self.type_field!r}")
        key = _as_text(value)
        rule = self.types.get(key)
        if rule is None:
            return RecordError("filtered", f"message type {key[:64]!r} is not mapped")
        return rule


def _check_fields(fields: Mapping[str, str]) -> None:
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown record field(s) {unknown}; expected some of {list(FIELDS)}")
    for key, path in fields.items():
        if not _is_path(path):
            raise ValueError(f"fields.{key}: {path!r} is not a dotted path")


def _is_path(path: str) -> bool:
    return bool(path.strip()) and all(p.strip() for alt in path.split("|") for p in alt.split("."))


_COMMENT: Final = TypeRule()


def map_message(fmap: FieldMap, message: object) -> dict[str, Any] | RecordError:
    """The comment record (a dict for :meth:`Comment.from_dict`) that ``message`` maps to.

    Returns a :class:`RecordError` (``filtered``, ``unmapped``, ``not_object``,
    ``not_json``) instead of raising, so a caller can count and go on.
    """
    if not isinstance(message, dict):
        kind = type(message).__name__
        return RecordError("not_object", f"a message must be a JSON object, not a {kind}")
    if fmap.json_strings:
        decoded = _decode_strings(message, fmap.json_strings)
        if isinstance(decoded, RecordError):
            return decoded
        message = decoded
    rule = fmap.rule(message)
    if isinstance(rule, RecordError):
        return rule
    paths = {**fmap.fields, **rule.fields} if rule.fields else fmap.fields
    out: dict[str, Any] = {"kind": rule.kind}
    user: dict[str, Any] = {}
    for key, path in paths.items():
        value = _first(message, path)
        if value is _MISSING or value is None:
            continue
        if isinstance(value, (dict, list)):
            return RecordError(
                "unmapped", f"{key} at {path!r} is a JSON {type(value).__name__}", field=key
            )
        converted = _convert(key, value, fmap, rule)
        if isinstance(converted, RecordError):
            return converted
        if key == "amount" and rule.multiply:
            converted = _multiplied(converted, message, rule.multiply)
            if isinstance(converted, RecordError):
                return converted
        if key.startswith("user."):
            user[key[5:]] = converted
        else:
            out[key] = converted
    if "room" not in out:
        if not fmap.room:
            return RecordError("unmapped", f"no room at {paths.get('room')!r}", field="room")
        out["room"] = fmap.room
    if "text" not in out:
        if rule.kind in _TEXT_KINDS:
            where = paths.get("text")
            return RecordError("unmapped", f"no text at {where!r} for a {rule.kind}", field="text")
        out["text"] = ""
    if "platform" not in out and fmap.platform:
        out["platform"] = fmap.platform
    if user:
        out["user"] = user
    return out


def _convert(key: str, value: Any, fmap: FieldMap, rule: TypeRule) -> Any:
    if key in ("ts", "amount", "user.level"):
        number = _number(value)
        if number is None:
            return RecordError("unmapped", f"{key} is {_short(value)}, not a number", field=key)
        if key == "ts":
            return number / 1000.0 if fmap.ts_unit == "ms" else number
        if key == "amount":
            return number * (rule.amount_scale or fmap.amount_scale)
        return int(number) if number.is_integer() else number
    # Ids come as numbers from many fetchers (and Douyin's exceed 2**53 as
    # strings): the record wants text.
    return _as_text(value)


def _multiplied(amount: float, message: Mapping[str, Any], path: str) -> float | RecordError:
    """``amount`` times the count at ``path`` (1 when the message has none)."""
    count = _first(message, path)
    if count is _MISSING or count is None:
        return amount
    number = _number(count) if not isinstance(count, (dict, list)) else None
    if number is None or number < 0:
        return RecordError(
            "unmapped", f"the count at {path!r} is {_short(count)}, not a count", field="amount"
        )
    return amount * number


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


#: Each path split once: "a.b|c" -> (("a", "b"), ("c",)).
_SPLIT: dict[str, tuple[tuple[str, ...], ...]] = {}


def _split(path: str) -> tuple[tuple[str, ...], ...]:
    found = _SPLIT.get(path)
    if found is None:
        found = tuple(tuple(alt.strip().split(".")) for alt in path.split("|"))
        if len(_SPLIT) < 4096:  # paths come from config: a handful
            _SPLIT[path] = found
    return found


def _first(message: Mapping[str, Any], path: str) -> Any:
    for parts in _split(path):
        value = _walk(message, parts)
        if value is not _MISSING and value is not None and value != "":
            return value
    return _MISSING


def _lookup(message: Any, path: str) -> Any:
    return _walk(message, tuple(path.split(".")))


def _walk(message: Any, parts: tuple[str, ...]) -> Any:
    # Decoded JSON: objects are dicts (an exact type check is much cheaper
    # than an ABC one, on every field of every message).
    current = message
    for part in parts:
        if type(current) is dict:
            current = current.get(part, _MISSING)
            if current is _MISSING:
                return _MISSING
        elif type(current) is list and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(current) <= index < len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def _decode_strings(
    message: Mapping[str, Any], paths: tuple[str, ...]
) -> Mapping[str, Any] | RecordError:
    out = dict(message)
    for path in paths:
        value = _lookup(out, path)
        if not isinstance(value, str):
            continue
        try:
            decoded = json.loads(value, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            return RecordError("not_json", f"{path!r} holds a string that is not JSON: {exc}")
        _replace(out, path.split("."), decoded)
    return out


def _replace(message: dict[str, Any], parts: list[str], value: Any) -> None:
    """Put ``value`` at ``parts`` in a copy-on-write walk down ``message``."""
    if len(parts) == 1:
        message[parts[0]] = value
        return
    child = message.get(parts[0])
    if isinstance(child, Mapping):
        copy = dict(child)
        message[parts[0]] = copy
        _replace(copy, parts[1:], value)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
