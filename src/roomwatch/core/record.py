"""The comment record: the one format shared by ingest, recordings and replay.

A record is one JSON object per comment (one per line in a recording)::

    {"room": "county-apples-1126", "text": "3号链接多少钱", "ts": 1764115200.25,
     "id": "m-81723", "user": {"id": "u42", "name": "小李", "level": 12},
     "kind": "comment", "platform": "douyin"}

It is parsed once, at the boundary, into the frozen :class:`Comment`. Every
failure raises :class:`~roomwatch.core.errors.RecordError` whose ``reason`` is one of
:data:`REJECT_REASONS` (a bounded set, safe as a metric label) and whose message
names the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Final, cast

import orjson

from roomwatch.core import jsonfast
from roomwatch.core.errors import RecordError
from roomwatch.core.fieldcheck import check_utf8 as _check_utf8
from roomwatch.core.fieldcheck import json_type as _json_type
from roomwatch.core.fieldcheck import number as _number
from roomwatch.core.fieldcheck import required_str as _required_str
from roomwatch.core.user import NO_USER as _NO_USER
from roomwatch.core.user import User
from roomwatch.core.user import parse_user as _parse_user

__all__ = [
    "KINDS",
    "MAX_RECORD_BYTES",
    "MAX_ROOM_CHARS",
    "MAX_TEXT_CHARS",
    "PAID_KINDS",
    "REJECT_REASONS",
    "Comment",
    "User",
    "new_comment",
    "parse_json",
]

#: Longest comment text accepted, in characters. Real barrage is under 100
#: characters and superchats under 200; 10,000 leaves room for pasted essays
#: and hostile payloads, while bounding the cost of one record.
MAX_TEXT_CHARS: Final = 10_000
#: Longest room name accepted, in characters.
MAX_ROOM_CHARS: Final = 128
#: Longest encoded record (one JSON object) accepted, in bytes.
MAX_RECORD_BYTES: Final = 64 * 1024
#: Timestamps above this are taken to be milliseconds (year 5138 in seconds).
_MS_THRESHOLD: Final = 1e11

KINDS: Final = frozenset({"comment", "superchat", "gift", "enter", "like", "system"})
PAID_KINDS: Final = frozenset({"superchat", "gift"})
#: Kinds whose text is what a viewer typed, and must therefore be non-blank.
_TEXT_KINDS: Final = frozenset({"comment", "superchat"})

REJECT_REASONS: Final = (
    "not_json",
    "not_object",
    "missing_field",
    "wrong_type",
    "bad_value",
    "too_large",
    "invalid_utf8",
    # A ts too far from its receive time (roomwatch.sources.timebound).
    "ts_out_of_range",
    # Set by the ingest route, not the parser: a token limited to some rooms
    # posted a record for another; by the pipeline: a room removed at run time.
    "room_not_allowed",
    "room_removed",
    # Set by a mapped source (core.mapping): an unlisted type; missing fields.
    "filtered",
    "unmapped",
)

_KNOWN: Final = frozenset({"room", "text", "ts", "id", "user", "kind", "platform", "amount"})
_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


@dataclass(frozen=True, slots=True, init=False)
class Comment:
    """One parsed, validated comment record."""

    room: str
    text: str
    ts: float
    id: str | None = None
    user: User = _NO_USER
    kind: str = "comment"
    platform: str | None = None
    amount: float | None = None
    #: Unknown fields, kept so that a record round-trips, but otherwise ignored.
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False)

    def __init__(
        self,
        room: str,
        text: str,
        ts: float,
        id: str | None = None,
        user: User = _NO_USER,
        kind: str = "comment",
        platform: str | None = None,
        amount: float | None = None,
        extra: Mapping[str, Any] = _EMPTY,
    ) -> None:
        # Via the slots' setters (below): a frozen dataclass's __init__ costs 1.7 µs more.
        _C_ROOM(self, room)
        _C_TEXT(self, text)
        _C_TS(self, ts)
        _C_ID(self, id)
        _C_USER(self, user)
        _C_KIND(self, kind)
        _C_PLATFORM(self, platform)
        _C_AMOUNT(self, amount)
        _C_EXTRA(self, extra)

    @property
    def paid(self) -> bool:
        return self.kind in PAID_KINDS and bool(self.amount)

    @property
    def user_key(self) -> str | None:
        """A stable key for the sender: the user id, else the name."""
        return self.user.id if self.user.id is not None else self.user.name

    @classmethod
    def from_dict(cls, raw: object, *, received_at: float) -> Comment:
        """Validate ``raw`` (a decoded JSON value) into a :class:`Comment`.

        ``received_at`` stands in for a missing ``ts``.
        """
        if not isinstance(raw, Mapping):
            raise RecordError(
                "not_object", f"a record must be a JSON object, not {_json_type(raw)}"
            )
        room = _required_str(raw, "room")
        if not room.strip():
            raise RecordError("bad_value", "field 'room' must not be blank", field="room")
        if len(room) > MAX_ROOM_CHARS:
            raise RecordError(
                "too_large",
                f"field 'room' is {len(room)} characters; the limit is {MAX_ROOM_CHARS}",
                field="room",
            )
        text = _required_str(raw, "text")
        if len(text) > MAX_TEXT_CHARS:
            raise RecordError(
                "too_large",
                f"field 'text' is {len(text)} characters; the limit is {MAX_TEXT_CHARS}",
                field="text",
            )
        _check_utf8(text, "text")
        _check_utf8(room, "room")

        kind = raw.get("kind", "comment")
        if kind is None:
            kind = "comment"
        if not isinstance(kind, str):
            raise RecordError(
                "wrong_type", f"field 'kind' must be a string, not {_json_type(kind)}", field="kind"
            )
        if kind not in KINDS:
            raise RecordError(
                "bad_value",
                f"field 'kind' is {kind!r}; expected one of {', '.join(sorted(KINDS))}",
                field="kind",
            )
        if kind in _TEXT_KINDS and _blank(text):
            raise RecordError("bad_value", "field 'text' must not be blank", field="text")

        ts = raw.get("ts")
        if ts is None:
            ts_value = received_at
        else:
            ts_value = _number(ts, "ts")
            if ts_value < 0:
                raise RecordError("bad_value", "field 'ts' must not be negative", field="ts")
            if ts_value > _MS_THRESHOLD:
                ts_value /= 1000.0
                # Still above the threshold as milliseconds (past the year
                # 5138): the recorded value would be read as milliseconds
                # again on replay, so refuse it rather than disagree.
                if ts_value > _MS_THRESHOLD:
                    raise RecordError(
                        "bad_value",
                        "field 'ts' is too large, even read as milliseconds",
                        field="ts",
                    )

        msg_id = raw.get("id")
        if msg_id is not None:
            if isinstance(msg_id, bool) or not isinstance(msg_id, str | int):
                raise RecordError(
                    "wrong_type",
                    f"field 'id' must be a string or an integer, not {_json_type(msg_id)}",
                    field="id",
                )
            msg_id = str(msg_id)
            _check_utf8(msg_id, "id")

        user = _parse_user(raw.get("user"))

        platform = raw.get("platform")
        if platform is not None and not isinstance(platform, str):
            raise RecordError(
                "wrong_type",
                f"field 'platform' must be a string, not {_json_type(platform)}",
                field="platform",
            )
        if platform is not None:
            _check_utf8(platform, "platform")

        amount_raw = raw.get("amount")
        amount = None
        if amount_raw is not None:
            amount = _number(amount_raw, "amount")
            if amount < 0:
                raise RecordError(
                    "bad_value", "field 'amount' must not be negative", field="amount"
                )

        # (most records have no unknown fields: no walk, and positional arguments)
        extra = {} if raw.keys() <= _KNOWN else {k: v for k, v in raw.items() if k not in _KNOWN}
        kept = MappingProxyType(extra) if extra else _EMPTY
        return cls(room, text, ts_value, msg_id, user, kind, platform, amount, kept)

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict; unknown fields come back too."""
        out: dict[str, Any] = dict(self.extra)
        out["room"] = self.room
        out["text"] = self.text
        out["ts"] = self.ts
        if self.id is not None:
            out["id"] = self.id
        user = self.user.to_dict()
        if user:
            out["user"] = user
        out["kind"] = self.kind
        if self.platform is not None:
            out["platform"] = self.platform
        if self.amount is not None:
            out["amount"] = self.amount
        return out

    def to_json(self) -> str:
        """The record as one line of JSON that is always valid UTF-8.

        Unknown fields keep what they were sent, lone surrogates included:
        those can't be written as UTF-8, so they are written as the JSON
        escapes they arrived as (``\\ud800``), and read back the same.
        """
        out = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
        try:
            out.encode("utf-8")
        except UnicodeEncodeError:
            # Surrogates occur only inside JSON strings, where the escape
            # Python's backslashreplace writes for them is the JSON escape.
            return out.encode("utf-8", "backslashreplace").decode("utf-8")
        return out


_C_ROOM, _C_TEXT, _C_TS, _C_ID, _C_USER, _C_KIND, _C_PLATFORM, _C_AMOUNT, _C_EXTRA = (
    getattr(Comment, f.name).__set__ for f in fields(Comment)
)


class _Draft:
    """``Comment(...)`` at half the cost, as ``core.verdict``'s ``_Draft`` makes verdicts."""

    __slots__ = Comment.__slots__  # (the very names, in order: same layout)

    def __init__(
        self,
        room: str,
        text: str,
        ts: float,
        id: str | None = None,
        user: User = _NO_USER,
        kind: str = "comment",
        platform: str | None = None,
        amount: float | None = None,
        extra: Mapping[str, Any] = _EMPTY,
    ) -> None:
        self.room = room
        self.text = text
        self.ts = ts
        self.id = id
        self.user = user
        self.kind = kind
        self.platform = platform
        self.amount = amount
        self.extra = extra
        self.__class__ = Comment  # type: ignore[assignment]


new_comment: type[Comment] = cast("type[Comment]", _Draft)


def parse_json(data: bytes | str, *, received_at: float) -> Comment:
    """Parse one encoded record (a JSON object) into a :class:`Comment`.

    A record orjson decodes (straight from the bytes: its UTF-8 check is as
    strict as ``bytes.decode``'s) into known fields of plain values that pass
    every check is built by :func:`_plain`, at about a third of the cost;
    anything else, or any doubt, goes the general way, which raises the error
    (``tests/core/test_record_fast.py`` keeps the general way alone).
    """
    size = len(data) if type(data) is bytes else _size(data)
    if size <= MAX_RECORD_BYTES:
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError:
            raw = None
        if type(raw) is dict:
            fast = _plain(raw, received_at)
            if fast is not None:
                if size * 5 + 1024 > MAX_RECORD_BYTES:  # (_check_canonical_size's own test)
                    _check_canonical_size(fast, size)
                return fast
    comment = Comment.from_dict(_loads(data, size), received_at=received_at)
    _check_canonical_size(comment, size)
    return comment


#: Characters that show nothing but are not whitespace to str.strip(): zero-width
#: spaces and joiners, the word joiner and a byte-order mark.
_INVISIBLE: Final = "\u200b\u200c\u200d\u2060\ufeff"
_DROP_INVISIBLE: Final = dict.fromkeys(map(ord, _INVISIBLE))


def _blank(text: str) -> bool:
    """Whether ``text`` shows nothing (whitespace and zero-width characters only)."""
    stripped = text.strip()
    return not stripped or (
        stripped[0] in _INVISIBLE and not stripped.translate(_DROP_INVISIBLE).strip()
    )


#: A float this large may have been an integer orjson could not hold: the general way decides.
_BIG: Final = jsonfast.INEXACT_FROM
_USER_KEYS: Final = frozenset({"id", "name", "level"})
_SCALARS: Final = (str, int, float, type(None))


def _plain(raw: dict[str, Any], received_at: float) -> Comment | None:
    """``Comment.from_dict(raw)`` for a record orjson decoded, if it has only
    known fields of plain values and passes every check; else None.

    orjson's strings hold no lone surrogate (it refuses them), so they need no
    UTF-8 check; its floats are finite, and one under 2**63 is what the
    standard decoder gives too. The checks are ``from_dict``'s, in its order.
    """
    if not raw.keys() <= _KNOWN:
        return None
    room = raw.get("room")
    text = raw.get("text")
    if (
        type(room) is not str
        or type(text) is not str
        or len(room) > MAX_ROOM_CHARS
        or len(text) > MAX_TEXT_CHARS
        or not room.strip()
    ):
        return None
    kind = raw.get("kind")
    if kind is None:
        kind = "comment"
    elif type(kind) is not str or kind not in KINDS:
        return None
    if kind in _TEXT_KINDS and _blank(text):
        return None
    ts = raw.get("ts")
    if ts is None:
        ts = received_at
    elif type(ts) is float or type(ts) is int:
        ts = float(ts)
        if not ts >= 0.0:
            return None
        if ts > _MS_THRESHOLD:
            ts /= 1000.0
            if ts > _MS_THRESHOLD:
                return None
    else:
        return None
    msg_id = raw.get("id")
    if type(msg_id) is int:
        msg_id = str(msg_id)
    elif msg_id is not None and type(msg_id) is not str:
        return None
    user = raw.get("user")
    if user is None:
        user = _NO_USER
    elif (
        type(user) is not dict
        or not user.keys() <= _USER_KEYS
        or not all(isinstance(v, _SCALARS) for v in user.values())
        # (an integer past 64 bits comes from orjson as a float: the general
        # path reads it again exactly, as for ts, id and amount)
        or any(type(v) is float and abs(v) >= _BIG for v in user.values())
    ):
        return None
    else:
        user = _parse_user(user)  # (raises as from_dict would: it is next there too)
    platform = raw.get("platform")
    if platform is not None and type(platform) is not str:
        return None
    amount = raw.get("amount")
    if amount is not None:
        if not (type(amount) is int or (type(amount) is float and amount < _BIG)):
            return None
        amount = float(amount)
        if amount < 0:
            return None
    return new_comment(room, text, ts, msg_id, user, kind, platform, amount, _EMPTY)


def _size(data: bytes | str) -> int:
    """The encoded size of a record in bytes (cheaply, when it is small)."""
    if isinstance(data, bytes):
        return len(data)
    if len(data) * 4 <= MAX_RECORD_BYTES:
        return len(data)  # a bound is enough: it is far below the limit
    return len(data.encode("utf-8", "surrogatepass"))


def _too_large(size: int) -> RecordError:
    return RecordError("too_large", f"the record is {size} bytes; the limit is {MAX_RECORD_BYTES}")


def _check_canonical_size(comment: Comment, size: int) -> None:
    """Hold the record as it will be recorded to the limit too.

    The recorded line is :meth:`Comment.to_json`, which replay reads back
    under the same limit; it is at most about four times the received size
    (``1e15`` becomes ``1000000000000000.0``) plus a few hundred bytes, so
    only large records need encoding here. Live and replay then agree.
    """
    if size * 5 + 1024 <= MAX_RECORD_BYTES:
        return
    canonical = len(comment.to_json().encode("utf-8"))
    if canonical > MAX_RECORD_BYTES:
        raise RecordError(
            "too_large",
            f"the record is {canonical} bytes as recorded; the limit is {MAX_RECORD_BYTES}",
        )


class _ConstantError(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _ConstantError("bad_value", f"a number out of range ({literal[:20]})")
    return value


def _no_constant(literal: str) -> float:
    raise _ConstantError("not_json", f"{literal}, which is not JSON")


#: Standard JSON only: no NaN or Infinity, and no number that overflows to infinity
#: (1e999), anywhere in a record, so every record accepted can be written back out.
_DECODER: Final = json.JSONDecoder(parse_float=_finite_float, parse_constant=_no_constant)
#: Finds where a value ends without converting its numbers.
_SKIP: Final = json.JSONDecoder(parse_int=len, parse_float=len, parse_constant=len)


def _loads(data: bytes | str, size: int) -> Any:
    if size > MAX_RECORD_BYTES:
        raise _too_large(size)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(
                "invalid_utf8", f"the record is not valid UTF-8 (byte {exc.start})"
            ) from None
    try:
        return jsonfast.loads(data, _DECODER.decode)  # orjson where it agrees
    except _ConstantError as exc:
        raise RecordError(exc.reason, f"the record holds {exc}") from None
    except json.JSONDecodeError as exc:
        raise RecordError(
            "not_json", f"the record is not valid JSON: {exc.msg} at column {exc.colno}"
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise RecordError("bad_value", f"the record holds {exc}") from None
    except RecursionError:
        raise RecordError("not_json", "the record is nested too deeply") from None
