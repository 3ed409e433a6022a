"""Trimming an input shard never drops an unacknowledged or unprocessed entry."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from roomwatch.streams.layout import GROUP
from roomwatch.streams.trim import trim_shard


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
