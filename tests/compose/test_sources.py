"""Sources are built from settings by the composition root, and the service runs them.

Over real parts: a websockets upstream on loopback, a recording on disk,
the service over TCP.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest
import websockets
from prometheus_client import CollectorRegistry
from websockets.asyncio.server import serve

from roomwatch.compose import build_pipeline
from roomwatch.compose.sources import SOURCE_KINDS, build_source, build_sources
from roomwatch.config import ReplaySourceSettings, WebSocketSourceSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.service import Service

from ..conftest import SAMPLES, make_settings, read_recording
from ..support.wait import wait_for

T0 = 1_764_115_200.0


def _sent(svc: Service, source: str) -> float:
    value = svc.metrics.registry.get_sample_value(
        "roomwatch_component_sent_events_total",
        {"component_kind": "source", "component_id": source},
    )
    return value or 0.0


async def test_the_configured_sources_run_in_the_service(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    records = [
        {"room": "ws-room", "text": f"第{i}条 多少钱", "id": f"ws-{i}", "ts": T0 + i}
        for i in range(20)
    ]
    sent, closed = asyncio.Event(), asyncio.Event()

    async def upstream(conn: websockets.asyncio.server.ServerConnection) -> None:
        await conn.send(json.dumps(records, ensure_ascii=False))
        sent.set()
        await conn.wait_closed()
        closed.set()

    replayed = read_recording(SAMPLES / "mini.jsonl")
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        settings = make_settings(
            store={"path": str(tmp_path / "rw.sqlite3")},
            sources={
                "websocket": [{"url": f"ws://127.0.0.1:{port}/", "name": "bridge"}],
                "replay": [{"paths": [str(SAMPLES / "mini.jsonl")], "speed": 0, "name": "rec"}],
            },
        )
        async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
            assert [s.name for s in svc.sources] == ["bridge", "rec"]
            await asyncio.wait_for(sent.wait(), 30)
            await wait_for(
                lambda: _sent(svc, "bridge") == len(records) and _sent(svc, "rec") == len(replayed),
                30,
                what="both sources to hand over every record",
                show=lambda: (_sent(svc, "bridge"), _sent(svc, "rec")),
            )
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{svc.url}/healthz") as resp:
                    health = await resp.json()
            assert health["sources"]["bridge"]["state"] == "running"
            assert health["sources"]["rec"]["state"] == "finished"
            assert not closed.is_set()
        # Closing the service stopped the websocket source: it closed its
        # connection while the upstream was still up.
        await asyncio.wait_for(closed.wait(), 10)


def test_every_kind_is_built_from_its_table(analyzer: Analyzer) -> None:
    settings = make_settings(
        sources={
            "replay": [{"paths": ["a.jsonl"], "name": "r1"}, {"paths": ["b.jsonl"], "name": "r2"}],
            "websocket": [{"url": "ws://127.0.0.1:9/", "name": "w"}],
            "bilibili": [{"room_id": 7, "url": "ws://127.0.0.1:9/sub"}],
        }
    )
    graph = build_pipeline(settings, analyzer)
    # Kind by kind, in the registry's order; each table in file order.
    assert list(SOURCE_KINDS) == ["websocket", "bilibili", "replay"]
    assert [s.name for s in build_sources(settings, graph)] == ["w", "bilibili-7", "r1", "r2"]
    one = build_source(ReplaySourceSettings(("a.jsonl",), name="demo"), settings, graph)
    assert one.name == "demo" and one.fatal  # an unreadable recording is not retried
    ws = build_source(WebSocketSourceSettings("ws://127.0.0.1:9/", name="w2"), settings, graph)
    assert ws.name == "w2" and not ws.fatal
    # The websocket source reports its own state where /healthz reads it.
    assert "w2" in graph.source_health.sources
    with pytest.raises(TypeError, match="no source kind"):
        build_source(object(), settings, graph)
