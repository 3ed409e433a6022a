"""A protobuf *writer* for tests, written from the public wire-format description
(the source only reads): varint keys ``number << 3 | wire_type``, base-128
varints, length-delimited bytes. Independent of the reader it checks."""

from __future__ import annotations

import base64
from typing import Any


def varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64: two's complement, ten bytes
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def uint(number: int, value: int) -> bytes:
    return key(number, 0) + varint(value)


def blob(number: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return key(number, 2) + varint(len(data)) + data


def fixed64(number: int, value: int) -> bytes:
    return key(number, 1) + value.to_bytes(8, "little")


def fixed32(number: int, value: int) -> bytes:
    return key(number, 5) + value.to_bytes(4, "little")


def interact_word_v2(
    *,
    uid: int = 42,
    uname: str = "小李",
    msg_type: int = 1,
    timestamp: int = 1_764_115_200,
    medal_level: int = 0,
    extra: bytes = b"",
) -> bytes:
    """An ``InteractWordV2`` message (fields as in the public description), with
    some fields roomwatch doesn't read around the ones it does."""
    out = uint(1, uid) + blob(2, uname) + blob(3, "#00D1F1")
    out += key(4, 2) + varint(2) + varint(3) + varint(1)  # identities, packed
    out += uint(5, msg_type) + uint(6, 2233) + uint(7, timestamp) + uint(8, 1_764_115_200_123)
    if medal_level:
        medal = uint(1, 6067854) + uint(2, medal_level) + blob(3, "苹果") + uint(8, 1)
        out += blob(9, medal)
    out += blob(22, blob(1, blob(2, uname)))  # uinfo.base.name, skipped
    return out + extra


def interact_v2_command(pb: bytes | str, **data: Any) -> dict[str, Any]:
    text = pb if isinstance(pb, str) else base64.b64encode(pb).decode()
    return {"cmd": "INTERACT_WORD_V2", "data": {"dmscore": 12, "pb": text, **data}}
