"""WebSocket limits: connections per IP and token, message rate and frame size
on /ws/*, frame rate and size from a WebSocket source (docs/limits.md)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from websockets.asyncio.server import ServerConnection, serve

from roomwatch.core.analyze import Analyzer
from roomwatch.metrics import Metrics
from roomwatch.sources.websocket import MAX_FRAME_BYTES, Backoff, WebSocketSource
from tests.conftest import TOKENS
from tests.hardening.support import limited_service
from tests.sources.test_websocket import Collector
from tests.support.wait import wait_for


def _exceeded(svc_or_registry, limit: str) -> float:  # type: ignore[no-untyped-def]
    registry = getattr(getattr(svc_or_registry, "metrics", None), "registry", svc_or_registry)
    return registry.get_sample_value("roomwatch_limit_exceeded_total", {"limit": limit}) or 0.0


def _url(svc, channel: str, role: str) -> str:  # type: ignore[no-untyped-def]
    return f"{svc.url}/ws/{channel}?token={TOKENS[role]}"


async def test_connections_per_ip_and_per_token(analyzer: Analyzer, tmp_path: Path) -> None:
    async with limited_service(
        analyzer, tmp_path, connections_per_ip=3, connections_per_token=2
    ) as svc:
        async with aiohttp.ClientSession() as session:
            a = await session.ws_connect(_url(svc, "alerts", "comms"))
            b = await session.ws_connect(_url(svc, "alerts", "comms"))
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(_url(svc, "alerts", "comms"))
            assert info.value.status == 429
            assert _exceeded(svc, "connections_per_token") == 1
            c = await session.ws_connect(_url(svc, "alerts", "moderator"))
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(_url(svc, "alerts", "admin"))
            assert info.value.status == 429
            assert _exceeded(svc, "connections_per_ip") == 1
            # A closed connection frees its slot.
            await a.close()
            await wait_for(lambda: svc.hub.clients("alerts") == 2)
            d = await session.ws_connect(_url(svc, "alerts", "comms"))
            for ws in (b, c, d):
                await ws.close()


async def test_a_client_sending_too_fast_is_closed_with_1008(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    async with limited_service(
        analyzer, tmp_path, client_messages_per_s=0.01, client_messages_burst=5
    ) as svc:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(_url(svc, "stream", "moderator"))
            for i in range(20):
                if ws.closed:
                    break
                await ws.send_str(json.dumps({"action": "history", "ref": i}))
            while True:
                msg = await ws.receive()
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
            assert ws.close_code == 1008
            assert _exceeded(svc, "client_messages_per_s") == 1


async def test_a_client_frame_over_64_kib_is_closed_with_1009(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    async with limited_service(analyzer, tmp_path) as svc:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(_url(svc, "stream", "moderator"))
            await ws.send_str("x" * (65 * 1024))
            while True:
                msg = await ws.receive()
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
            assert ws.close_code == 1009
            await wait_for(lambda: _exceeded(svc, "client_frame_bytes") == 1)


async def test_a_source_reads_no_faster_than_its_frame_rate_and_loses_nothing() -> None:
    async def upstream(conn: ServerConnection) -> None:
        for i in range(60):
            await conn.send(json.dumps({"room": "r", "text": f"t{i}", "id": str(i)}))
        await conn.wait_closed()

    registry = CollectorRegistry()
    sink = Collector()
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(
            f"ws://127.0.0.1:{port}", Metrics(registry), name="up", frames_per_s=100.0
        )
        source.backoff = Backoff(initial=0.01, maximum=0.05, rng=random.Random(1))
        # Start with an empty bucket: the first frames already wait.
        task = asyncio.create_task(source.run(sink))
        try:
            await wait_for(lambda: len(sink.comments) == 60)
        finally:
            source.close()
            await task
    assert [c.id for c in sink.comments] == [str(i) for i in range(60)]
    assert source.connections == 1


async def test_a_source_frame_too_large_is_counted_and_the_source_reconnects() -> None:
    connections = 0

    async def upstream(conn: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            await conn.send("[" + " " * MAX_FRAME_BYTES + "]")
        else:
            await conn.send(json.dumps({"room": "r", "text": "after"}))
        await conn.wait_closed()

    registry = CollectorRegistry()
    sink = Collector()
    async with serve(upstream, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(
            f"ws://127.0.0.1:{port}",
            Metrics(registry),
            name="up",
            backoff=Backoff(initial=0.01, maximum=0.05, rng=random.Random(1)),
        )
        task = asyncio.create_task(source.run(sink))
        try:
            await wait_for(lambda: len(sink.comments) == 1)
        finally:
            source.close()
            await task
    assert _exceeded(registry, "source_frame_bytes") == 1
