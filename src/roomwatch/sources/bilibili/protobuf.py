"""The Protocol Buffers wire format, read by hand: one message's fields, pure.

Enough of the public encoding description to read the few messages Bilibili
sends as protobuf (``INTERACT_WORD_V2``'s ``pb``), without a schema compiler
or a dependency. A message is a run of fields; each starts with a varint key,
``field_number << 3 | wire_type``:

==========  =====================  ==========================================
wire type   name                   value
==========  =====================  ==========================================
0           VARINT                 a base-128 varint (7 bits a byte, low
                                   group first, high bit set on all but the
                                   last byte; at most 10 bytes for 64 bits)
1           I64                    8 bytes, little-endian
2           LEN                    a varint length, then that many bytes (a
                                   string, bytes, a nested message, or a
                                   packed repeated field)
5           I32                    4 bytes, little-endian
==========  =====================  ==========================================

Wire types 3 and 4 (the deprecated groups) and 6, 7 are refused. Fields are
returned in order with their raw values (an int, or the bytes of a LEN
field); what a field *means* is the caller's business, so unknown fields
cost nothing and are simply skipped by it. Anything that doesn't parse
(truncated, an overlong varint, a bad key) raises :class:`WireError`, a
:class:`ValueError`: bytes from the network never crash the reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

__all__ = [
    "I32",
    "I64",
    "LEN",
    "VARINT",
    "WireError",
    "fields",
    "read_varint",
    "signed64",
]

VARINT: Final = 0
I64: Final = 1
LEN: Final = 2
I32: Final = 5
#: A 64-bit varint takes at most 10 bytes.
_MAX_VARINT_BYTES: Final = 10
_MAX_FIELD_NUMBER: Final = (1 << 29) - 1


class WireError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint starting at ``data[pos]``, and the position after it."""
    value = 0
    for i in range(_MAX_VARINT_BYTES):
        if pos + i >= len(data):
            raise WireError(f"a varint runs past the end of the message (at byte {pos})")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if value >> 64:
                raise WireError(f"a varint at byte {pos} is wider than 64 bits")
            return value, pos + i + 1
    raise WireError(f"a varint at byte {pos} is longer than {_MAX_VARINT_BYTES} bytes")


def fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Each field of the message in ``data``: (field number, wire type, value).

    The value is an int for VARINT, I64 and I32 fields (unsigned, as on the
    wire; see :func:`signed64`) and the bytes of a LEN field.
    """
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if not 1 <= number <= _MAX_FIELD_NUMBER:
            raise WireError(f"field number {number} is out of range")
        if wire == VARINT:
            value, pos = read_varint(data, pos)
            yield number, wire, value
        elif wire == LEN:
            size, pos = read_varint(data, pos)
            if size > end - pos:
                raise WireError(f"field {number} claims {size} bytes; {end - pos} are left")
            yield number, wire, data[pos : pos + size]
            pos += size
        elif wire in (I64, I32):
            size = 8 if wire == I64 else 4
            if size > end - pos:
                raise WireError(f"field {number} needs {size} bytes; {end - pos} are left")
            yield number, wire, int.from_bytes(data[pos : pos + size], "little")
            pos += size
        else:
            raise WireError(f"field {number} has wire type {wire}, which is not read here")


def signed64(value: int) -> int:
    """An ``int64`` read as an unsigned varint, back to its sign (two's complement)."""
    return value - (1 << 64) if value >= 1 << 63 else value
