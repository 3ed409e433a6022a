"""The websocket source against a real upstream server."""

from __future__ import annotations

import asyncio
import json
import logging
import random

import pytest
from prometheus_client import CollectorRegistry
from websockets.asyncio.server import ServerConnection, serve

from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.metrics import Metrics
from roomwatch.sources.supervise import SourceHealth
from roomwatch.sources.websocket import Backoff, WebSocketSource
from tests.support.wait import wait_for


class Collector:
    def __init__(self) -> None:
        self.comments: list[Comment] = []
        self.rejects: list[RecordError] = []

    async def put(self, comment: Comment, source: str) -> bool:
        self.comments.append(comment)
        return True

    async def reject(self, error: RecordError, source: str, where: str = "") -> None:
        self.rejects.append(error)


async def test_reads_frames_counts_bad_records_and_reconnects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="roomwatch.sources.websocket")
    connections = 0

    async def upstream(conn: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        n = connections
        # One record, an array, NDJSON with a bad line, then hang up.
        await conn.send(json.dumps({"room": "r", "text": f"hello {n}", "id": f"{n}-a"}))
        await conn.send(json.dumps([{"room": "r", "text": f"x{n}"}, {"room": "r"}]))
        await conn.send('{"room": "r", "text": "nd1"}\n{broken\n{"room": "r", "text": "nd2"}')
        await conn.close()

    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(
            f"ws://127.0.0.1:{port}",
            metrics,
            name="up",
            backoff=Backoff(initial=0.01, maximum=0.05, rng=random.Random(1)),
        )
        task = asyncio.create_task(source.run(sink))
        await wait_for(lambda: connections >= 3 and len(sink.comments) >= 12)
        source.close()
        await asyncio.wait_for(task, 5)
    texts = [c.text for c in sink.comments[:4]]
    assert texts == ["hello 1", "x1", "nd1", "nd2"]
    assert [e.reason for e in sink.rejects[:2]] == ["missing_field", "not_json"]
    assert source.connections >= 3
    # The upstream's owner can read why in the log: once per reason (a minute
    # apart), not once per record.
    rejected = [r.getMessage() for r in caplog.records if "record rejected" in r.getMessage()]
    assert len(rejected) == 2, rejected
    assert any("up: record rejected" in m and "text" in m for m in rejected)


async def test_keeps_retrying_a_dead_upstream_and_counts_errors() -> None:
    metrics = Metrics(CollectorRegistry())
    # Port 9 on loopback: nothing listens, connections are refused at once.
    source = WebSocketSource(
        "ws://127.0.0.1:9/feed",
        metrics,
        name="dead",
        backoff=Backoff(initial=0.01, maximum=0.02, rng=random.Random(2)),
    )
    # (the service hands each source its /healthz entry before it runs)
    health = SourceHealth()
    source.health = health.get("dead")
    task = asyncio.create_task(source.run(Collector()))
    errors = lambda: sum(  # noqa: E731
        s.value
        for m in metrics.registry.collect()
        if m.name == "roomwatch_component_errors"
        for s in m.samples
        if s.labels.get("component_id") == "dead" and s.name.endswith("_total")
    )
    await wait_for(lambda: errors() >= 3)
    assert not task.done()  # it never gives up
    # /healthz must not call a source that never got through "running".
    await wait_for(lambda: health.get("dead").state == "reconnecting")
    assert health.degraded and "refused" in health.get("dead").last_error.lower()
    source.close()
    await asyncio.wait_for(task, 5)


async def test_a_source_is_running_again_once_data_arrives() -> None:
    async def upstream(conn: ServerConnection) -> None:
        await conn.send(json.dumps({"room": "r", "text": "hi"}))
        await conn.wait_closed()

    health = SourceHealth()
    state = health.get("up")
    state.state = "reconnecting"  # as after a failed connection
    sink = Collector()
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(
            f"ws://127.0.0.1:{port}", Metrics(CollectorRegistry()), name="up", health=state
        )
        task = asyncio.create_task(source.run(sink))
        await wait_for(lambda: len(sink.comments) == 1)
        assert state.state == "running" and not health.degraded
        source.close()
        await asyncio.wait_for(task, 5)


async def test_reconnect_waits_grow_with_jitter_and_a_frame_resets_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each silent hang-up doubles the ceiling of the wait; a frame starts again at 1."""
    connections = 0

    async def upstream(conn: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        if connections == 4:  # one healthy connection in the middle
            await conn.send(json.dumps({"room": "r", "text": "hi"}))
        await conn.close()

    sink = Collector()
    caplog.set_level(logging.WARNING, logger="roomwatch.sources.websocket")
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(
            f"ws://127.0.0.1:{port}",
            Metrics(CollectorRegistry()),
            name="flaky",
            backoff=Backoff(initial=0.004, maximum=0.016, rng=random.Random(3)),
        )
        task = asyncio.create_task(source.run(sink))
        await wait_for(lambda: connections >= 8)
        source.close()
        await asyncio.wait_for(task, 5)
    waits = [
        (r.args[4], r.args[3])  # (reconnect number, delay)
        for r in caplog.records
        if "reconnecting to" in r.getMessage() and isinstance(r.args, tuple)
    ][:7]
    assert [n for n, _ in waits] == [1, 2, 3, 1, 2, 3, 4]
    for n, delay in waits:
        ceiling = min(0.016, 0.004 * 2 ** (n - 1))
        assert 0.1 * ceiling <= delay <= ceiling
    assert len({delay for _, delay in waits}) == len(waits)  # jittered
    assert [c.text for c in sink.comments] == ["hi"]


async def test_cancelling_the_source_leaves_no_receive_behind() -> None:
    """The service cancels a source's task at shutdown, mid-wait for a frame."""
    codes: list[int | None] = []
    closed = asyncio.Event()

    async def upstream(conn: ServerConnection) -> None:
        await conn.send(json.dumps({"room": "r", "text": "hi"}))
        await conn.wait_closed()
        codes.append(conn.close_code)
        closed.set()

    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(f"ws://127.0.0.1:{port}", metrics, name="up")
        task = asyncio.create_task(source.run(sink))
        await wait_for(lambda: len(sink.comments) == 1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.wait_for(closed.wait(), 5)
        await asyncio.sleep(0)
        left = [t for t in asyncio.all_tasks() if "recv" in repr(t.get_coro())]
    assert left == []
    assert codes == [1001]  # going away, not 1011 internal error


async def test_a_clean_close_and_a_quiet_reconnect_is_running() -> None:
    # A proxy's idle timeout closes the connection cleanly; the source is
    # back at once, in a room with nothing to say: that is no outage.
    connections = 0

    async def upstream(conn: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            await conn.close()
        else:
            await conn.wait_closed()

    health = SourceHealth()
    state = health.get("quiet")
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(
            f"ws://127.0.0.1:{port}",
            Metrics(CollectorRegistry()),
            name="quiet",
            health=state,
            backoff=Backoff(initial=0.01, maximum=0.02, rng=random.Random(3)),
        )
        task = asyncio.create_task(source.run(Collector()))
        await wait_for(lambda: connections >= 2 and state.state == "running")
        await asyncio.sleep(0.1)
        assert state.state == "running" and not health.degraded
        source.close()
        await asyncio.wait_for(task, 5)
