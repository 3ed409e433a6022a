"""Trimming never drops an entry still needed: an input shard's unacknowledged
or unprocessed entries, the output entries the gateway has not handed on."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from redis.asyncio import Redis

from roomwatch.compose.gateway import Gateway
from roomwatch.streams.fanout import OUT_GROUP
from roomwatch.streams.layout import GROUP
from roomwatch.streams.trim import trim_output, trim_shard
from tests.streams.conftest import RedisServer, settings_of, stream_config
from tests.support.wait import wait_for


async def _stream(rclient: Redis, n: int) -> tuple[str, list[str]]:
    stream = f"t{uuid.uuid4().hex[:8]}:in:0"
    await rclient.xgroup_create(stream, GROUP, id="0", mkstream=True)
    ids = [(await rclient.xadd(stream, {"i": str(i)})).decode() for i in range(n)]
    return stream, ids


async def _read(rclient: Redis, stream: str, n: int) -> None:
    await rclient.xreadgroup(GROUP, "w", {stream: ">"}, count=n)


async def test_trimming_stops_at_the_oldest_unacknowledged_entry(rclient: Redis) -> None:
    stream, ids = await _stream(rclient, 100)
    await _read(rclient, stream, 60)  # 60 delivered ...
    await rclient.xack(stream, GROUP, *ids[:40])  # ... 40 acknowledged, 20 pending
    # Everything is past the retention window and over the length cap, and
    # the "last processed" mark is (wrongly) beyond the pending ones.
    trimmed = await trim_shard(rclient, stream, done=ids[59], retain_ms=0, max_len=1, now_ms=10**13)
    assert trimmed == 40
    kept = [e[0].decode() for e in await rclient.xrange(stream, "-", "+")]
    assert kept == ids[40:]
    pending = await rclient.xpending(stream, GROUP)
    assert pending["pending"] == 20


async def test_trimming_stops_at_the_last_processed_entry(rclient: Redis) -> None:
    stream, ids = await _stream(rclient, 50)
    await _read(rclient, stream, 50)
    await rclient.xack(stream, GROUP, *ids)
    # All acknowledged, but only the first 30 processed (a new owner needs the rest).
    trimmed = await trim_shard(rclient, stream, done=ids[29], retain_ms=0, max_len=1, now_ms=10**13)
    assert trimmed == 29
    assert [e[0].decode() for e in await rclient.xrange(stream, "-", "+")] == ids[29:]


async def test_trimming_keeps_the_retention_window_and_the_length_cap(rclient: Redis) -> None:
    stream, ids = await _stream(rclient, 30)
    await _read(rclient, stream, 30)
    await rclient.xack(stream, GROUP, *ids)
    now_ms = int(ids[-1].split("-")[0])
    # A long retention window and a generous cap: nothing goes.
    assert (
        await trim_shard(rclient, stream, done=ids[-1], retain_ms=10**9, max_len=100, now_ms=now_ms)
        == 0
    )
    # The cap of 10 trims to the newest 10 (all processed and acknowledged).
    assert (
        await trim_shard(rclient, stream, done=ids[-1], retain_ms=10**9, max_len=10, now_ms=now_ms)
        == 20
    )
    assert await rclient.xlen(stream) == 10


async def test_nothing_is_trimmed_before_anything_is_processed(rclient: Redis) -> None:
    stream, _ = await _stream(rclient, 10)
    assert await trim_shard(rclient, stream, done="0-0", retain_ms=0, max_len=1, now_ms=10**13) == 0
    assert await rclient.xlen(stream) == 10


async def test_the_output_is_trimmed_only_behind_what_the_gateway_acknowledged(
    rclient: Redis,
) -> None:
    stream = f"t{uuid.uuid4().hex[:8]}:out"
    ids = [(await rclient.xadd(stream, {"d": str(i)})).decode() for i in range(100)]
    # No gateway group yet: nothing is consumed, nothing goes, whatever the cap.
    assert await trim_output(rclient, stream, OUT_GROUP, max_len=5) == 0
    await rclient.xgroup_create(stream, OUT_GROUP, id="0")
    await rclient.xreadgroup(OUT_GROUP, "gateway", {stream: ">"}, count=60)
    await rclient.xack(stream, OUT_GROUP, *ids[:40])  # 40 handed on, 20 read and pending
    assert await trim_output(rclient, stream, OUT_GROUP, max_len=5) == 40
    assert [e[0].decode() for e in await rclient.xrange(stream, "-", "+")] == ids[40:]
    # All acknowledged: down to the cap, and no further.
    await rclient.xack(stream, OUT_GROUP, *ids[40:60])
    assert await trim_output(rclient, stream, OUT_GROUP, max_len=5) == 20  # 40 unread are kept
    await rclient.xreadgroup(OUT_GROUP, "gateway", {stream: ">"}, count=100)
    await rclient.xack(stream, OUT_GROUP, *ids[60:])
    assert await trim_output(rclient, stream, OUT_GROUP, max_len=5) == 35
    assert [e[0].decode() for e in await rclient.xrange(stream, "-", "+")] == ids[95:]
    # Under the cap: nothing goes.
    assert await trim_output(rclient, stream, OUT_GROUP, max_len=5) == 0


async def test_the_gateway_trims_its_output_and_the_dead_letters_and_counts_it(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis
) -> None:
    raw = stream_config(tmp_path, redis_server.url, out_max_len=10, trim_interval_s=0.1)
    prefix = raw["streams"]["prefix"]
    out, dead = f"{prefix}:out", f"{prefix}:dead"
    for i in range(30):
        await rclient.xadd(dead, {"d": json.dumps({"i": i})})
    gateway = Gateway(settings_of(raw))
    await gateway.start()
    try:
        for _ in range(50):  # what workers write: empty batches, read and handed on
            await rclient.xadd(out, {"d": json.dumps({"shard": 0, "verdicts": []})})
        await wait_for(lambda: gateway.fanout.entries >= 50, 30, what="the fan-out to read 50")

        def trimmed(stream: str) -> float:
            value = gateway.metrics.registry.get_sample_value(
                "roomwatch_stream_trimmed_entries_total", {"stream": stream}
            )
            return value or 0.0

        await wait_for(lambda: trimmed(out) == 40 and trimmed(dead) == 20, 30, what="the trims")
        assert await rclient.xlen(out) == 10
        assert await rclient.xlen(dead) == 10
    finally:
        await gateway.close()
