"""The bilibili source against a local server speaking the protocol over a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CollectorRegistry
from websockets.asyncio.server import ServerConnection

from roomwatch.config import BilibiliSourceSettings
from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.metrics import Metrics
from roomwatch.sources.bilibili import BilibiliSource
from roomwatch.sources.websocket import Backoff
from tests.sources.bilibili.server import (
    BiliServer,
    brotli_batch,
    command,
    danmu,
    pack,
    send_all,
    zlib_batch,
)
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

    def texts(self) -> list[str]:
        return [c.text for c in self.comments]


def settings(url: str, **over: Any) -> BilibiliSourceSettings:
    # No API unless a test serves one: the url is the only server.
    values: dict[str, Any] = {"room_id": 2233, "url": url, "heartbeat_s": 0.2, "api_url": ""}
    values.update(over)
    return BilibiliSourceSettings(**values)


def packets(metrics: Metrics, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "roomwatch_source_packets_total", {"source": "bilibili-2233", "outcome": outcome}
    )
    return value or 0.0


def gap_count(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value(
        "roomwatch_source_data_gap_seconds_count", {"source": "bilibili-2233"}
    )
    return value or 0.0


@contextlib.asynccontextmanager
async def running(source: BilibiliSource, sink: Collector) -> AsyncIterator[None]:
    task = asyncio.create_task(source.run(sink))
    try:
        yield
    finally:
        source.close()
        await asyncio.wait_for(task, 5)


def make_source(url: str, metrics: Metrics, **over: Any) -> BilibiliSource:
    return BilibiliSource(
        settings(url, **over),
        metrics,
        backoff=Backoff(initial=0.01, maximum=0.05, rng=random.Random(7)),
    )


def dm(text: str) -> bytes:
    return command(danmu(text))


async def test_every_well_formed_comment_arrives_exactly_once_through_everything() -> None:
    """zlib and brotli batches, split and merged frames, garbage, a drop mid-batch and a
    server that stops answering heartbeats: each good comment once, the rest counted."""
    blank = danmu(" ")  # a well-framed DANMU_MSG whose record is invalid (blank text)
    online = command({"cmd": "ONLINE_RANK_COUNT", "data": {"count": 3}})
    dropped_batch = brotli_batch(dm("d1"), dm("d2"), dm("d3"))
    split = zlib_batch(dm("s1"), dm("s2"))

    async def script(conn: ServerConnection, n: int) -> None:
        if n == 1:
            await send_all(
                conn,
                [
                    dm("p1"),
                    zlib_batch(dm("z1"), online, dm("z2")),
                    brotli_batch(dm("b1"), dm("b2"), command(blank)),
                    dm("m1") + brotli_batch(dm("m2")) + dm("m3"),  # merged in one frame
                    split[:7],  # split inside the header...
                    split[7:30],  # ... and inside the body
                    split[30:],
                    b"\x00\x01garbage that is no packet",
                    "a text frame",
                    pack(5, b"{not json", 0),
                    pack(5, b"no zlib here", 2),
                    pack(5, b"{}", 7),  # an unknown protocol version
                    command({"cmd": "DANMU_MSG", "info": "wrong"}),
                    pack(99, b"", 1),  # an unknown operation
                    dm("g1"),
                    dropped_batch[: len(dropped_batch) // 2],  # then the line drops
                ],
            )
            await conn.close()
        elif n == 2:
            # The batch that was cut off comes again whole; heartbeats go unanswered.
            await send_all(conn, [dropped_batch, dm("h1")])
        else:
            await send_all(conn, [dm("last")])

    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with BiliServer(script, answers_heartbeats=lambda n: n != 2) as server:
        source = make_source(server.url, metrics, heartbeat_s=0.5)  # room for a loaded machine
        async with running(source, sink):
            await wait_for(lambda: "last" in sink.texts(), show=sink.texts)
            assert server.connections == 3
    assert sink.texts() == [
        "p1",
        "z1",
        "z2",
        "b1",
        "b2",
        "m1",
        "m2",
        "m3",
        "s1",
        "s2",
        "g1",
        "d1",
        "d2",
        "d3",
        "h1",
        "last",
    ]
    first = sink.comments[0]
    assert (first.room, first.user.id, first.user.name, first.user.level) == (
        "bilibili-2233",
        "42",
        "小李",
        12,
    )
    assert [e.reason for e in sink.rejects] == ["bad_value"]  # the blank DANMU_MSG
    assert packets(metrics, "record") == 17  # 16 comments and the blank one
    assert packets(metrics, "ignored") == 1
    # garbage, text frame, bad JSON, bad zlib, unknown version, wrong DANMU_MSG
    assert packets(metrics, "malformed") == 6
    assert packets(metrics, "unknown_operation") == 1
    assert packets(metrics, "truncated") == 1
    assert packets(metrics, "auth_reply") == 3
    assert packets(metrics, "heartbeat_reply") >= 1
    assert source.popularity == 12345
    # Every connection entered the right room, anonymously.
    assert [a["roomid"] for a in server.auths] == [2233, 2233, 2233]
    assert all(a["uid"] == 0 and "key" not in a for a in server.auths)
    assert 2 in server.heartbeats  # the unanswered one was sent
    assert gap_count(metrics) >= 3  # the start, and each reconnect
    timeouts = metrics.registry.get_sample_value(
        "roomwatch_component_errors_total",
        {
            "component_kind": "source",
            "component_id": "bilibili-2233",
            "error_type": "HeartbeatTimeout",
        },
    )
    assert timeouts == 1
    assert (
        metrics.registry.get_sample_value(
            "roomwatch_component_errors_total",
            {
                "component_kind": "source",
                "component_id": "bilibili-2233",
                "error_type": "PacketError",
            },
        )
        == 6
    )


async def test_auth_key_is_sent_and_a_refused_or_missing_reply_reconnects() -> None:
    async def script(conn: ServerConnection, n: int) -> None:
        await send_all(conn, [dm(f"in {n}")])

    codes: dict[int, int | None] = {1: -101, 2: None}
    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with BiliServer(script, auth_code=lambda n: codes.get(n, 0)) as server:
        source = make_source(server.url, metrics, uid=5, key="secret-key", auth_timeout_s=0.2)
        async with running(source, sink):
            await wait_for(lambda: sink.texts(), show=lambda: server.connections)
    assert sink.texts() == ["in 3"]  # connection 1 refused, 2 never answered
    assert server.auths[0]["key"] == "secret-key" and server.auths[0]["uid"] == 5
    for error_type in ("EnterRoomRefused", "EnterRoomTimeout"):
        labels = {
            "component_kind": "source",
            "component_id": "bilibili-2233",
            "error_type": error_type,
        }
        value = metrics.registry.get_sample_value("roomwatch_component_errors_total", labels)
        assert value == 1, error_type


async def test_a_long_gap_raises_an_alert_that_resolves_when_data_is_back() -> None:
    alerts: list[str] = []
    resolved: list[bool] = []

    async def script(conn: ServerConnection, n: int) -> None:
        if not alerts:  # hang up at once, until the gap has raised its alert
            await conn.close()
            return
        await send_all(conn, [dm("back")])

    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with BiliServer(script, auth_code=lambda n: 0 if n > 1 else None) as server:
        source = BilibiliSource(
            settings(server.url, gap_alert_s=0.3, auth_timeout_s=0.1),
            metrics,
            backoff=Backoff(initial=0.01, maximum=0.05, rng=random.Random(7)),
            on_gap_alert=alerts.append,
            on_gap_resolved=lambda: resolved.append(True),
        )
        async with running(source, sink):
            await wait_for(lambda: resolved, show=lambda: (alerts, server.connections))
    assert len(alerts) == 1 and "no data from room 2233" in alerts[0]
    assert sink.texts()[:1] == ["back"]
    observed = metrics.registry.get_sample_value(
        "roomwatch_source_data_gap_seconds_sum", {"source": "bilibili-2233"}
    )
    assert gap_count(metrics) == 1 and observed is not None and observed >= 0.3


async def test_close_stops_a_source_whose_server_is_down() -> None:
    metrics = Metrics(CollectorRegistry())
    source = make_source("ws://127.0.0.1:9/sub", metrics)
    task = asyncio.create_task(source.run(Collector()))
    await wait_for(
        lambda: metrics.registry.get_sample_value(
            "roomwatch_component_errors_total",
            {
                "component_kind": "source",
                "component_id": "bilibili-2233",
                "error_type": "ConnectionRefusedError",
            },
        )
    )
    assert not task.done()
    source.close()
    await asyncio.wait_for(task, 5)
