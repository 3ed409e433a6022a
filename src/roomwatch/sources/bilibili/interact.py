"""``INTERACT_WORD_V2``: the interaction command whose details are protobuf, pure.

Bilibili moved the "entered / followed / shared" notices from
``INTERACT_WORD`` (plain JSON ``data``) to ``INTERACT_WORD_V2``, whose
``data`` holds only a display score and ``pb``: the base64 of a protobuf
message. The field numbers used here are those of the public description of
the live message stream (bilibili-API-collect, ``live/message_stream.md``,
``InteractWordV2``); every other field is skipped:

======  ==============  ===========================================
field   name            type
======  ==============  ===========================================
1       uid             uint64
2       uname           string
5       msg_type        uint64: 1 entered, 2 followed, 3 shared
7       timestamp       uint64, seconds
9       fans_medal      message; its field 2 is medal_level (int64)
======  ==============  ===========================================

:func:`decode_interact_word` returns an :class:`InteractWord`, or raises
:class:`~roomwatch.sources.bilibili.protobuf.WireError` (a ``ValueError``)
for a ``pb`` that is not base64, not protobuf, or has a known field of the
wrong wire type.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Final

from roomwatch.sources.bilibili.protobuf import LEN, VARINT, WireError, fields, signed64

__all__ = ["InteractWord", "decode_interact_word"]

_UID: Final = 1
_UNAME: Final = 2
_MSG_TYPE: Final = 5
_TIMESTAMP: Final = 7
_FANS_MEDAL: Final = 9
_MEDAL_LEVEL: Final = 2
#: A ``pb`` longer than this (base64 characters) is not an interaction notice.
MAX_PB_CHARS: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class InteractWord:
    """What roomwatch reads of one ``InteractWordV2`` message (0 / "" when absent)."""

    uid: int = 0
    uname: str = ""
    msg_type: int = 0
    timestamp: int = 0
    medal_level: int = 0


def decode_interact_word(pb: object) -> InteractWord:
    """The message in ``pb`` (the base64 text of ``data.pb``)."""
    if not isinstance(pb, str) or not pb:
        raise WireError("'pb' must be a non-empty base64 string")
    if len(pb) > MAX_PB_CHARS:
        raise WireError(f"'pb' is {len(pb)} characters long; at most {MAX_PB_CHARS} are read")
    try:
        raw = base64.b64decode(pb, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WireError(f"'pb' is not base64: {exc}") from None
    uid = msg_type = timestamp = medal_level = 0
    uname = ""
    for number, wire, value in fields(raw):
        if number == _UID:
            uid = _varint(number, wire, value)
        elif number == _UNAME:
            uname = _text(number, wire, value)
        elif number == _MSG_TYPE:
            msg_type = _varint(number, wire, value)
        elif number == _TIMESTAMP:
            timestamp = _varint(number, wire, value)
        elif number == _FANS_MEDAL:
            medal_level = _medal_level(_bytes(number, wire, value))
    return InteractWord(uid, uname, msg_type, timestamp, medal_level)


def _medal_level(medal: bytes) -> int:
    level = 0
    for number, wire, value in fields(medal):
        if number == _MEDAL_LEVEL:
            level = signed64(_varint(number, wire, value))
    return level


def _varint(number: int, wire: int, value: int | bytes) -> int:
    if wire != VARINT or not isinstance(value, int):
        raise WireError(f"field {number} must be a varint, not wire type {wire}")
    return value


def _bytes(number: int, wire: int, value: int | bytes) -> bytes:
    if wire != LEN or not isinstance(value, bytes):
        raise WireError(f"field {number} must be length-delimited, not wire type {wire}")
    return value


def _text(number: int, wire: int, value: int | bytes) -> str:
    try:
        return _bytes(number, wire, value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireError(f"field {number} is not UTF-8 text: {exc}") from None
