"""Key names, shards and the wire format of stream entries (``docs/streams.md``).

Input entries (``<prefix>:in:<shard>``), one per accepted record, with one
field ``e``: a JSON object (one field, not five: a reply is parsed field by
field, and that parse was a worker's largest cost after the model) holding

* ``r``: the record as accepted (``ts`` bounded and stamped);
* ``s``: the source's name; ``t``: ``1`` when the source is trusted (a replay);
* ``p``: the room's pace when it was accepted (record seconds per wall second);
* ``a``: its acceptance key, unique per accepted record (the gateway's run id
  and a sequence number), so that a record re-sent after a lost reply is
  counted once.

Output entries (``<prefix>:out``), one per processed batch: ``d``, a JSON
object with the shard, the verdicts, the stage events, the alert events and
the views of the rooms the batch touched, and for the client actions it
applied (control entries, :mod:`roomwatch.streams.actions`) their replies
and audit rows.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from roomwatch.core.errors import RecordError
from roomwatch.core.record import (
    KINDS,
    MAX_ROOM_CHARS,
    MAX_TEXT_CHARS,
    Comment,
    User,
    parse_json,
)
from roomwatch.streams.actions import Control, decode_control

__all__ = [
    "GROUP",
    "Entry",
    "Keys",
    "decode_entry",
    "encode_entry",
    "id_after",
    "id_le",
    "shard_of",
]

#: The workers' consumer group on every input stream.
GROUP: Final = "workers"
#: As ``roomwatch.core.record``: a ``ts`` above this is milliseconds, and the
#: largest ``user.level`` accepted.
_MS_THRESHOLD: Final = 1e11
_MAX_LEVEL: Final = 1_000_000_000


def shard_of(room: str, shards: int) -> int:
    """The shard a room is pinned to: stable across processes and restarts."""
    return zlib.crc32(room.encode("utf-8", "surrogatepass")) % shards


@dataclass(frozen=True, slots=True)
class Keys:
    """Every key roomwatch uses on one Redis server, under ``prefix``."""

    prefix: str
    shards: int

    def input(self, shard: int) -> str:
        return f"{self.prefix}:in:{shard}"

    @property
    def inputs(self) -> list[str]:
        return [self.input(k) for k in range(self.shards)]

    @property
    def output(self) -> str:
        return f"{self.prefix}:out"

    @property
    def dead(self) -> str:
        """Malformed input entries, moved aside (acknowledged) with the reason."""
        return f"{self.prefix}:dead"

    def lease(self, shard: int) -> str:
        return f"{self.prefix}:lease:{shard}"

    def done(self, shard: int) -> str:
        """The id of the shard's last processed input entry (set with its output)."""
        return f"{self.prefix}:done:{shard}"

    @property
    def workers(self) -> str:
        """Live workers' heartbeats (a sorted set: name -> last beat, ms)."""
        return f"{self.prefix}:workers"


@dataclass(frozen=True, slots=True)
class Entry:
    """One decoded input entry."""

    id: str
    comment: Comment
    source: str
    trusted: bool
    pace: float
    key: str


def encode_entry(comment: Comment, source: str, trusted: bool, pace: float, key: str) -> str:
    """One accepted record as its spool line and its entry's ``e`` field."""
    return dumps({"r": comment.to_dict(), "s": source, "t": int(trusted), "p": pace, "a": key})


def fields_of(line: str) -> dict[str, str]:
    """The XADD fields of a spool line (see :func:`encode_entry`)."""
    return {"e": line}


def decode_entry(entry_id: str, fields: Mapping[str, str | bytes]) -> Entry | Control | RecordError:
    """An input entry, or why it can't be processed (it then goes to the dead letters).

    A control entry (a client's action, :mod:`roomwatch.streams.actions`) has ``c``.
    ``e`` may be the UTF-8 bytes as Redis returns them (orjson reads them as they are).
    """
    try:
        raw: Any = orjson.loads(fields["e"]) if "e" in fields else fields
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        if "c" in raw:
            return decode_control(entry_id, raw)
        record, source, key = raw["r"], str(raw["s"]), str(raw["a"])
        trusted = str(raw.get("t", "0")) == "1"
        pace = float(raw.get("p", 1.0))
    except (KeyError, ValueError, TypeError, orjson.JSONDecodeError) as exc:
        return RecordError("malformed_entry", f"stream entry {entry_id}: {exc!r}")
    if not math.isfinite(pace) or pace < 0:
        return RecordError("malformed_entry", f"stream entry {entry_id}: pace {pace!r}")
    try:
        if isinstance(record, str):
            comment = parse_json(record, received_at=math.nan)
        else:
            comment = _canonical(record) or Comment.from_dict(record, received_at=math.nan)
    except RecordError as exc:
        return exc
    if math.isnan(comment.ts):
        return RecordError("malformed_entry", f"stream entry {entry_id}: a record without ts")
    return Entry(entry_id, comment, source, trusted, pace, key)


_CANONICAL_KEYS: Final = frozenset({"room", "text", "ts", "id", "user", "kind", "platform"})
_TEXT_KINDS: Final = frozenset({"comment", "superchat"})
_NO_USER: Final = User()


def _canonical(r: dict[str, Any]) -> Comment | None:
    """The :class:`Comment` of a record as the gateway writes it (``Comment.to_dict``
    of a validated record), built without :meth:`Comment.from_dict`'s checks, which
    were a fifth of a worker's cost of an entry; ``None`` for anything else (an
    unknown field, an amount, an integer, a value out of bounds), which then takes
    the full checks. Every check ``from_dict`` makes is made here or falls back; no
    text needs the UTF-8 check: orjson refuses unpaired surrogates.
    """
    if not r.keys() <= _CANONICAL_KEYS:
        return None
    room, text, ts = r.get("room"), r.get("text"), r.get("ts")
    kind, msg_id, platform = r.get("kind", "comment"), r.get("id"), r.get("platform")
    if (
        type(room) is not str
        or type(text) is not str
        or type(ts) is not float
        or type(kind) is not str
        or not (msg_id is None or type(msg_id) is str)
        or not (platform is None or type(platform) is str)
        or not room.strip()
        or len(room) > MAX_ROOM_CHARS
        or len(text) > MAX_TEXT_CHARS
        or kind not in KINDS
        or (kind in _TEXT_KINDS and not text.strip())
        or not 0.0 <= ts <= _MS_THRESHOLD
    ):
        return None
    raw_user = r.get("user")
    user = _NO_USER
    if raw_user is not None:
        if type(raw_user) is not dict:
            return None
        uid, name, level = raw_user.get("id"), raw_user.get("name"), raw_user.get("level")
        if (
            not (uid is None or type(uid) is str)
            or not (name is None or type(name) is str)
            or not (level is None or (type(level) is int and -_MAX_LEVEL <= level <= _MAX_LEVEL))
        ):
            return None
        if uid is not None or name is not None or level is not None:
            user = User(id=uid, name=name, level=level)
    return Comment(room, text, ts, msg_id, user, kind, platform)


def _parts(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def id_le(a: str, b: str) -> bool:
    """Stream id ``a`` <= ``b``."""
    return _parts(a) <= _parts(b)


def id_after(entry_id: str) -> str:
    """The exclusive lower bound for XRANGE after ``entry_id``."""
    return "(" + entry_id


def dump_bytes(value: Any) -> bytes:
    """As :func:`dumps`, the UTF-8 bytes."""
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits: json takes it
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def dumps(value: Any) -> str:
    """Compact JSON; orjson (as the hub uses) is several times faster than json here."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits: json takes it
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
