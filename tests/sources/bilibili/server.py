"""A local Bilibili danmaku server for tests: the server side of the framing.

Written from the same public description as the client, and on purpose
without the client's codec, so the two check each other: 16-byte
big-endian header (packet length, header length 16, version, operation,
sequence); the client's first packet is the enter-room packet (op 7), the
server answers op 8 with ``{"code": 0}``; each heartbeat (op 2) gets op 3
with the popularity as a 4-byte integer; commands are op 5, version 0 JSON,
alone or batched in a zlib (version 2) or brotli (version 3) compressed body.

Each connection runs ``script(conn, n)`` (n counts connections from 1) after
the enter-room reply; the server keeps reading (and answering heartbeats)
until the client hangs up or the script closes the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import brotli
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

_HEADER = struct.Struct(">IHHII")

Script = Callable[[ServerConnection, int], Awaitable[None]]


def pack(op: int, body: bytes, version: int) -> bytes:
    return _HEADER.pack(16 + len(body), 16, version, op, 1) + body


def command(obj: Any) -> bytes:
    """One op-5 packet with a version 0 JSON body."""
    return pack(5, json.dumps(obj, ensure_ascii=False).encode(), 0)


def zlib_batch(*packets: bytes) -> bytes:
    return pack(5, zlib.compress(b"".join(packets)), 2)


def brotli_batch(*packets: bytes) -> bytes:
    return pack(5, brotli.compress(b"".join(packets)), 3)


def unpack(data: bytes) -> tuple[int, int, bytes]:
    """(operation, version, body) of one whole packet from the client."""
    length, header_len, version, op, _seq = _HEADER.unpack_from(data)
    assert header_len == 16 and length == len(data), (length, header_len, len(data))
    return op, version, data[header_len:length]


def danmu(
    text: str, *, uid: int = 42, name: str = "小李", medal: int = 12, ts_ms: int = 0
) -> dict[str, Any]:
    """A DANMU_MSG command shaped like the public description's sample (values our own)."""
    ts_ms = ts_ms or 1_764_115_200_250
    meta: list[Any] = [0, 1, 25, 16777215, ts_ms, 1764115000, 0, "5b3a9c1d", 0, 0, 0, "", 0]
    meta += ["{}", "{}", {"mode": 0, "show_player_type": 0, "extra": ""}]
    return {
        "cmd": "DANMU_MSG",
        "info": [
            meta,
            text,
            [uid, name, 0, 0, 0, 10000, 1, ""],
            [medal, "苹果", "县长", 2233, 6067854, "", 0] if medal else [],
            [20, 0, 6406234, ">50000", 0],
            ["", ""],
            0,
            0,
            None,
            {"ts": ts_ms // 1000, "ct": "0A1B2C3D"},
            0,
            0,
            None,
            None,
            0,
            105,
        ],
    }


@dataclass
class BiliServer:
    script: Script
    #: Answer heartbeats on connection n?
    answers_heartbeats: Callable[[int], bool] = lambda n: True
    #: The enter-room reply's code on connection n (None: never reply).
    auth_code: Callable[[int], int | None] = lambda n: 0
    popularity: int = 12345
    connections: int = 0
    auths: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: list[int] = field(default_factory=list)
    _server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/sub"

    async def __aenter__(self) -> BiliServer:
        self._server = await serve(self._handle, "127.0.0.1", 0).__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, conn: ServerConnection) -> None:
        self.connections += 1
        n = self.connections
        with contextlib.suppress(ConnectionClosed):
            op, _version, body = unpack(await conn.recv(decode=False))
            assert op == 7, f"the first packet must enter the room, not op {op}"
            self.auths.append(json.loads(body))
            code = self.auth_code(n)
            if code is None:
                await conn.wait_closed()
                return
            await conn.send(pack(8, json.dumps({"code": code}).encode(), 1))
            reader = asyncio.create_task(self._read(conn, n))
            try:
                await self.script(conn, n)
                await conn.wait_closed()
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                    await reader

    async def _read(self, conn: ServerConnection, n: int) -> None:
        async for frame in conn:
            assert isinstance(frame, bytes)
            op, _version, _body = unpack(frame)
            if op == 2:
                self.heartbeats.append(n)
                if self.answers_heartbeats(n):
                    await conn.send(pack(3, self.popularity.to_bytes(4, "big"), 1))


async def send_all(conn: ServerConnection, frames: Sequence[bytes | str]) -> None:
    for frame in frames:
        await conn.send(frame)
