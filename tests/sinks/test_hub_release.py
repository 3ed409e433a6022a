"""A client that leaves is freed at once, not left to the cycle collector.

The soak run (docs/reliability.md) found every closed connection's
``WebSocketResponse``, request and handler kept alive until a full ``gc``
pass: the connection's protocol kept a bound method of the response, and
the exception that ended a connection kept a traceback whose frames held
the response. With clients that reconnect all day those cycles piled up
faster than the tuned collector reached them. Here the collector is off, so
only reference counting can free anything, and the service is the real one
(aiohttp's test server cancels handlers, which the service's runner doesn't).
"""

from __future__ import annotations

import gc
import socket
import struct

import aiohttp
import pytest

from roomwatch.service import Service
from tests.conftest import TOKENS
from tests.support.wait import wait_for


async def _connect_and_leave(session: aiohttp.ClientSession, url: str, how: str) -> None:
    ws = await session.ws_connect(f"{url}/ws/host?token={TOKENS['host']}")
    hello = await ws.receive_json(timeout=5)
    assert hello["type"] == "hello"
    transport = ws._response.connection.transport
    if how == "close":
        await ws.close()
    elif how == "drop":
        # The peer vanishes: no close frame, the TCP connection is reset.
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        # The peer half-closes without a close frame, then goes.
        transport.write_eof()
        await ws.receive(timeout=5)
        transport.abort()


@pytest.mark.parametrize("how", ["close", "drop", "eof"])
async def test_clients_that_leave_are_freed_without_the_cycle_collector(
    service: Service, how: str
) -> None:
    hub = service.hub
    sockets = hub._sockets  # a WeakSet: it empties as responses die
    async with aiohttp.ClientSession() as session:
        await _connect_and_leave(session, service.url, "close")  # warm every lazy import
        gc.collect()
        gc.disable()
        try:
            for _ in range(5):
                await _connect_and_leave(session, service.url, how)
            await wait_for(lambda: hub.clients("host") == 0, what="the hub to let go")
            await wait_for(
                lambda: len(sockets) == 0,
                timeout=5,
                what=f"every server-side response freed ({how})",
                show=lambda: len(sockets),
            )
        finally:
            gc.enable()
