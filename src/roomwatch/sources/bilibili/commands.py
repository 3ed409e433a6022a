"""Bilibili command packets → comment records, pure.

A command packet's body is a JSON object whose ``cmd`` says what it is.
Four commands become records (see the README's record format):

==========================  ===========  =========================================
command                     ``kind``     from
==========================  ===========  =========================================
``DANMU_MSG``               comment      ``info[1]`` text; ``info[2]`` [uid, uname];
                                         ``info[3]`` fan medal [level, name, ...];
                                         ``info[0][4]`` send time in ms
``SUPER_CHAT_MESSAGE``      superchat    ``data.message``, ``data.price`` (CNY),
                                         ``data.uid``, ``data.user_info.uname``
``SEND_GIFT``               gift         ``data.giftName`` × ``data.num``; paid
                                         (``coin_type`` gold) ``total_coin``/1000 CNY
``INTERACT_WORD``           enter        ``data.msg_type`` 1 (entered the room)
``INTERACT_WORD_V2``        enter        the same, as protobuf in ``data.pb``
                                         (base64; see :mod:`.interact`)
==========================  ===========  =========================================

``user.level`` is the fan-medal level in the room (the viewer's loyalty to
*this* host); the medal's name rides along as ``medal``. Without a login the
server masks ``DANMU_MSG`` senders (uid 0, name like ``提***``): the record
then gets ``user.id = "hash:<info[0][7]>"``, the sender's stable id hash, so
flood control still tells viewers apart (see docs/sources.md).

:func:`to_record` returns the record as a dict (validated later by
:meth:`Comment.from_dict <roomwatch.core.record.Comment.from_dict>`), an
:class:`Ignored` for every other command (and non-entry ``INTERACT_WORD``),
or a :class:`Malformed` for a body that isn't a command or a mapped command
missing what it needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from roomwatch.sources.bilibili.interact import decode_interact_word
from roomwatch.sources.bilibili.protobuf import WireError

__all__ = ["MAPPED", "Ignored", "Malformed", "to_record"]

PLATFORM: Final = "bilibili"
#: The commands that become records.
MAPPED: Final = frozenset(
    {"DANMU_MSG", "SUPER_CHAT_MESSAGE", "SEND_GIFT", "INTERACT_WORD", "INTERACT_WORD_V2"}
)
#: ``INTERACT_WORD.msg_type`` of a viewer entering the room (2 is a follow, 3 a share).
_ENTER: Final = 1
#: Gold coins (金瓜子) per CNY.
_GOLD_PER_CNY: Final = 1000.0


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed command roomwatch has no record for (counted, then dropped)."""

    cmd: str


@dataclass(frozen=True, slots=True)
class Malformed:
    """A command body that can't be read: not an object, or a mapped command missing fields."""

    message: str


class _Bad(Exception):
    pass


def to_record(body: object, room: str) -> dict[str, Any] | Ignored | Malformed:
    """Map one decoded command body to a record for ``room``."""
    if not isinstance(body, Mapping):
        return Malformed(f"a command must be a JSON object, not {type(body).__name__}")
    cmd = body.get("cmd")
    if not isinstance(cmd, str) or not cmd:
        return Malformed("a command without a 'cmd' string")
    # Old servers suffixed the command: "DANMU_MSG:4:0:2:2:2:0".
    name = cmd.split(":", 1)[0]
    try:
        if name == "DANMU_MSG":
            return _danmu(body, room)
        if name == "SUPER_CHAT_MESSAGE":
            return _superchat(_data(body), room)
        if name == "SEND_GIFT":
            return _gift(_data(body), room)
        if name == "INTERACT_WORD":
            data = _data(body)
            if data.get("msg_type") != _ENTER:
                return Ignored(name)
            return _enter(data, room)
        if name == "INTERACT_WORD_V2":
            return _interact_v2(_data(body), room)
    except _Bad as exc:
        return Malformed(f"{name}: {exc}")
    return Ignored(name)


# -- the four commands ---------------------------------------------------------


def _danmu(body: Mapping[str, Any], room: str) -> dict[str, Any]:
    info = body.get("info")
    if not isinstance(info, Sequence) or isinstance(info, str) or len(info) < 3:
        raise _Bad("'info' must be an array of at least 3 items")
    meta = _list(info[0], "info[0]")
    text = info[1]
    if not isinstance(text, str):
        raise _Bad("'info[1]' (the text) must be a string")
    sender = _list(info[2], "info[2]")
    record: dict[str, Any] = {"room": room, "text": text, "kind": "comment", "platform": PLATFORM}
    ts_ms = _at(meta, 4)
    if _is_number(ts_ms) and ts_ms > 0:
        record["ts"] = ts_ms / 1000.0
    user: dict[str, Any] = {}
    uid = _at(sender, 0)
    name = _at(sender, 1)
    if _is_int(uid) and uid > 0:
        user["id"] = str(uid)
    else:
        # Masked (no login): the id hash still tells senders apart.
        uid_hash = _at(meta, 7)
        if isinstance(uid_hash, str) and uid_hash:
            user["id"] = f"hash:{uid_hash}"
    if isinstance(name, str) and name:
        user["name"] = name
    medal = _at(info, 3)
    if isinstance(medal, Sequence) and not isinstance(medal, str) and medal:
        level, medal_name = _at(medal, 0), _at(medal, 1)
        if _is_int(level) and level > 0:
            user["level"] = level
            record["medal"] = {
                "level": level,
                "name": medal_name if isinstance(medal_name, str) else "",
            }
    if user:
        record["user"] = user
    msg_id = _danmu_id(meta)
    if msg_id is not None:
        record["id"] = msg_id
    return record


def _danmu_id(meta: Sequence[Any]) -> str | None:
    """The message's own id (``id_str`` in ``info[0][15].extra``), when the server sends one."""
    extra = _at(meta, 15)
    if not isinstance(extra, Mapping):
        return None
    raw = extra.get("extra")
    if not isinstance(raw, str) or not raw:
        return None
    try:
        decoded = json.loads(raw)
    except ValueError:
        return None
    found = decoded.get("id_str") if isinstance(decoded, Mapping) else None
    return f"dm-{found}" if isinstance(found, str) and found else None


def _superchat(data: Mapping[str, Any], room: str) -> dict[str, Any]:
    text = data.get("message")
    if not isinstance(text, str):
        raise _Bad("'data.message' must be a string")
    price = data.get("price")
    if not _is_number(price) or price < 0:
        raise _Bad("'data.price' must be a number of CNY")
    record: dict[str, Any] = {
        "room": room,
        "text": text,
        "kind": "superchat",
        "platform": PLATFORM,
        "amount": float(price),
    }
    user_info = data.get("user_info")
    name = user_info.get("uname") if isinstance(user_info, Mapping) else None
    _sender(record, data.get("uid"), name, _medal_level(data.get("medal_info")))
    ts = data.get("start_time", data.get("ts"))
    if _is_number(ts) and ts > 0:
        record["ts"] = float(ts)
    if _is_int(data.get("id")):
        record["id"] = f"sc-{data['id']}"
    return record


def _gift(data: Mapping[str, Any], room: str) -> dict[str, Any]:
    gift = data.get("giftName")
    if not isinstance(gift, str) or not gift:
        raise _Bad("'data.giftName' must be a string")
    num = data.get("num", 1)
    if not _is_int(num) or num < 0:
        raise _Bad("'data.num' must be a count")
    record: dict[str, Any] = {
        "room": room,
        "text": f"{gift} ×{num}",
        "kind": "gift",
        "platform": PLATFORM,
    }
    total = data.get("total_coin")
    if data.get("coin_type") == "gold" and _is_number(total) and total >= 0:
        record["amount"] = total / _GOLD_PER_CNY
    else:  # silver coins are free
        record["amount"] = 0.0
    _sender(record, data.get("uid"), data.get("uname"), _medal_level(data.get("medal_info")))
    ts = data.get("timestamp")
    if _is_number(ts) and ts > 0:
        record["ts"] = float(ts)
    tid = data.get("tid")
    if isinstance(tid, str | int) and not isinstance(tid, bool) and str(tid):
        record["id"] = f"gift-{tid}"
    return record


def _enter(data: Mapping[str, Any], room: str) -> dict[str, Any]:
    record: dict[str, Any] = {"room": room, "text": "", "kind": "enter", "platform": PLATFORM}
    _sender(record, data.get("uid"), data.get("uname"), _medal_level(data.get("fans_medal")))
    ts = data.get("timestamp")
    if _is_number(ts) and ts > 0:
        record["ts"] = float(ts)
    return record


def _interact_v2(data: Mapping[str, Any], room: str) -> dict[str, Any] | Ignored:
    try:
        word = decode_interact_word(data.get("pb"))
    except WireError as exc:
        raise _Bad(f"'data.pb': {exc}") from None
    if word.msg_type != _ENTER:
        return Ignored("INTERACT_WORD_V2")
    # The same fields as INTERACT_WORD's JSON, so the record is built the same way.
    fields: dict[str, Any] = {"uid": word.uid, "uname": word.uname, "timestamp": word.timestamp}
    if word.medal_level > 0:
        fields["fans_medal"] = {"medal_level": word.medal_level}
    return _enter(fields, room)


# -- helpers -------------------------------------------------------------------


def _data(body: Mapping[str, Any]) -> Mapping[str, Any]:
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise _Bad("'data' must be an object")
    return data


def _list(value: object, where: str) -> Sequence[Any]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise _Bad(f"'{where}' must be an array")
    return value


def _at(items: Sequence[Any], index: int) -> Any:
    return items[index] if len(items) > index else None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _medal_level(medal: object) -> int | None:
    if not isinstance(medal, Mapping):
        return None
    level = medal.get("medal_level")
    return level if _is_int(level) and level > 0 else None


def _sender(record: dict[str, Any], uid: object, name: object, level: int | None) -> None:
    user: dict[str, Any] = {}
    if _is_int(uid) and uid > 0:
        user["id"] = str(uid)
    if isinstance(name, str) and name:
        user["name"] = name
    if level is not None:
        user["level"] = level
    if user:
        record["user"] = user
