"""Bilibili's live danmaku framing, sans-I/O: bytes in, packets out.

Written from the protocol's public descriptions (see ``docs/sources.md``).
Every packet starts with a 16-byte big-endian header::

    offset  size  field
    0       4     packet length, header included
    4       2     header length (16)
    6       2     protocol version: 0 JSON, 1 heartbeat/int,
                  2 zlib-compressed batch, 3 brotli-compressed batch
    8       4     operation: 2 heartbeat, 3 heartbeat reply (popularity),
                  5 command, 7 auth (enter room), 8 auth reply
    12      4     sequence

A compressed batch's body, once inflated, is more packets back to back
(normally version 0 commands). :class:`Decoder` takes whatever the transport
delivers (a WebSocket frame holding one packet, several, or a piece of one)
and returns whole packets, compressed batches already unpacked, in order.
Anything it can't make sense of comes back as a :class:`PacketError` in
its place (with a bounded ``reason``, usable as a metric label), and
decoding goes on: one bad packet never hides the good ones around it.

Nothing here awaits or reads a clock; :mod:`.client` drives it.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

import brotli

from roomwatch.core.errors import RoomwatchError

__all__ = [
    "HEADER",
    "HEADER_BYTES",
    "MAX_PACKET_BYTES",
    "PACKET_ERRORS",
    "Decoder",
    "Op",
    "Packet",
    "PacketError",
    "Ver",
    "auth_packet",
    "encode",
    "heartbeat_packet",
]

HEADER: Final = struct.Struct(">IHHII")
HEADER_BYTES: Final = HEADER.size  # 16
#: Largest packet (and largest inflated batch) accepted. Real batches are a
#: few KiB; a header claiming more is garbage, or a decompression bomb.
MAX_PACKET_BYTES: Final = 4 * 1024 * 1024


class Op(IntEnum):
    """The operations this client sends or understands."""

    HEARTBEAT = 2
    HEARTBEAT_REPLY = 3
    COMMAND = 5
    AUTH = 7
    AUTH_REPLY = 8


class Ver(IntEnum):
    """Protocol versions: how a packet's body is encoded."""

    JSON = 0
    INT = 1
    ZLIB = 2
    BROTLI = 3


#: Why a packet was refused: a bounded set, safe as a metric label.
PACKET_ERRORS: Final = (
    "bad_header",  # header length not 16, or a packet length shorter than the header
    "too_large",  # a packet or an inflated batch past MAX_PACKET_BYTES
    "unknown_version",
    "bad_zlib",
    "bad_brotli",
    "nested_batch",  # a compressed batch inside a compressed batch
    "truncated_batch",  # an inflated batch that ends inside a packet
    "not_binary",  # a text frame: this protocol is binary only
)


class PacketError(RoomwatchError):
    """A packet that can't be decoded; ``reason`` is one of :data:`PACKET_ERRORS`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Packet:
    """One decoded packet; a compressed batch arrives as the packets inside it."""

    version: int
    op: int
    seq: int
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON (``ValueError`` if it isn't)."""
        return json.loads(self.body.decode("utf-8"))

    def popularity(self) -> int | None:
        """A heartbeat reply's popularity figure (a 4-byte integer), if the body holds one."""
        if len(self.body) < 4:
            return None
        return int.from_bytes(self.body[:4], "big")


def encode(op: int, body: bytes = b"", *, version: int = Ver.INT, seq: int = 1) -> bytes:
    """One packet: header then body."""
    return HEADER.pack(HEADER_BYTES + len(body), HEADER_BYTES, version, op, seq) + body


def auth_packet(
    room_id: int, *, uid: int = 0, key: str = "", buvid: str = "", protover: int = Ver.BROTLI
) -> bytes:
    """The enter-room packet, sent first; the server answers with :attr:`Op.AUTH_REPLY`."""
    body: dict[str, Any] = {
        "uid": uid,
        "roomid": room_id,
        "protover": protover,
        "platform": "web",
        "type": 2,
    }
    if key:
        body["key"] = key
    if buvid:
        body["buvid"] = buvid
    return encode(Op.AUTH, json.dumps(body, separators=(",", ":")).encode())


def heartbeat_packet() -> bytes:
    """The heartbeat the client sends every 30 s; the reply carries the room's popularity."""
    return encode(Op.HEARTBEAT)


def auth_code(packet: Packet) -> int | None:
    """The ``code`` of an auth reply (0: entered the room), or None if the body has none."""
    try:
        body = packet.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, Mapping) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


class Decoder:
    """Reassembles packets from transport frames; see the module docstring.

    A packet split over several frames is held until its last byte arrives
    (:attr:`pending` bytes). A header that can't be right (its header length
    is not 16, or it claims fewer than 16 or more than
    :data:`MAX_PACKET_BYTES` bytes) means the stream lost its footing: the
    rest of what is buffered is dropped with one error, and decoding starts
    again at the next frame, where the server starts a packet.
    """

    __slots__ = ("_buffer", "max_packet_bytes")

    def __init__(self, *, max_packet_bytes: int = MAX_PACKET_BYTES) -> None:
        self._buffer = bytearray()
        self.max_packet_bytes = max_packet_bytes

    @property
    def pending(self) -> int:
        """Bytes of an incomplete packet held for the next frame."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forget a partial packet (a new connection starts clean)."""
        self._buffer.clear()

    def feed(self, data: bytes) -> list[Packet | PacketError]:
        """Take one frame's bytes; return the packets (and errors) completed by it, in order."""
        self._buffer += data
        out: list[Packet | PacketError] = []
        offset = 0
        buffer = self._buffer
        while len(buffer) - offset >= HEADER_BYTES:
            length, header_len, version, op, seq = HEADER.unpack_from(buffer, offset)
            problem = _check_header(length, header_len, self.max_packet_bytes)
            if problem is not None:
                out.append(problem)
                offset = len(buffer)  # resynchronise at the next frame
                break
            if len(buffer) - offset < length:
                break  # the rest comes in a later frame
            body = bytes(buffer[offset + header_len : offset + length])
            offset += length
            out.extend(self._unpack(version, op, seq, body))
        del buffer[:offset]
        return out

    def _unpack(
        self, version: int, op: int, seq: int, body: bytes
    ) -> Iterator[Packet | PacketError]:
        if version in (Ver.JSON, Ver.INT):
            yield Packet(version, op, seq, body)
            return
        if version == Ver.ZLIB:
            inflated = _inflate_zlib(body, self.max_packet_bytes)
        elif version == Ver.BROTLI:
            inflated = _inflate_brotli(body, self.max_packet_bytes)
        else:
            yield PacketError("unknown_version", f"unknown protocol version {version} (op {op})")
            return
        if isinstance(inflated, PacketError):
            yield inflated
            return
        yield from _split_batch(inflated, self.max_packet_bytes)


def _check_header(length: int, header_len: int, limit: int) -> PacketError | None:
    if header_len != HEADER_BYTES or length < HEADER_BYTES:
        return PacketError(
            "bad_header", f"bad packet header (length {length}, header length {header_len})"
        )
    if length > limit:
        return PacketError("too_large", f"a packet of {length} bytes; the limit is {limit}")
    return None


def _split_batch(data: bytes, limit: int) -> Iterator[Packet | PacketError]:
    """The packets of an inflated batch: whole packets, uncompressed, back to back."""
    offset = 0
    while offset < len(data):
        if len(data) - offset < HEADER_BYTES:
            yield PacketError("truncated_batch", "a batch ends inside a packet header")
            return
        length, header_len, version, op, seq = HEADER.unpack_from(data, offset)
        problem = _check_header(length, header_len, limit)
        if problem is not None:
            yield problem
            return
        if len(data) - offset < length:
            yield PacketError("truncated_batch", "a batch ends inside a packet")
            return
        body = data[offset + header_len : offset + length]
        offset += length
        if version in (Ver.ZLIB, Ver.BROTLI):
            yield PacketError("nested_batch", "a compressed batch inside a compressed batch")
        elif version in (Ver.JSON, Ver.INT):
            yield Packet(version, op, seq, body)
        else:
            yield PacketError("unknown_version", f"unknown protocol version {version} in a batch")


def _inflate_zlib(body: bytes, limit: int) -> bytes | PacketError:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        return PacketError("bad_zlib", f"a zlib batch that does not inflate: {exc}")
    if len(out) > limit:
        return PacketError("too_large", f"a zlib batch inflates past {limit} bytes")
    if not inflater.eof:
        return PacketError("bad_zlib", "a zlib batch that ends early")
    return out


def _inflate_brotli(body: bytes, limit: int) -> bytes | PacketError:
    inflater = brotli.Decompressor()
    try:
        out = inflater.process(body, output_buffer_limit=limit + 1)
    except brotli.error as exc:
        return PacketError("bad_brotli", f"a brotli batch that does not inflate: {exc}")
    if len(out) > limit:
        return PacketError("too_large", f"a brotli batch inflates past {limit} bytes")
    if not inflater.is_finished():
        return PacketError("bad_brotli", "a brotli batch that ends early")
    return bytes(out)
