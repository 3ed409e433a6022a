"""The worker's read-ahead (streams/prefetch.py): the next XREADGROUP is under way
while a batch is processed, and that changes neither the order per shard nor
the fencing of commits, and strands no entry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from roomwatch.core.record import Comment
from roomwatch.streams.layout import GROUP, Keys, encode_entry, fields_of, shard_of
from roomwatch.streams.prefetch import ReadAhead
from tests.streams.conftest import (
    InProcess,
    RedisServer,
    settings_of,
    stream_config,
    worker_in_process,
)
from tests.support.wait import wait_for

TS = 1_764_115_200.0


def _entry(room: str, i: int) -> dict[str, str]:
    key = f"{room}:{i}"
    comment = Comment(room, f"第{i}条 主播好", TS + i, id=key)
    return fields_of(encode_entry(comment, "http", True, 1.0, key))


async def _verdict_keys(client: Redis, keys: Keys) -> list[str]:
    return [
        key
        for _, f in await client.xrange(keys.output, "-", "+")
        for key, _ in json.loads(f[b"d"]).get("verdicts", ())
    ]


async def _add(client: Redis, stream: str, n: int) -> None:
    """``n`` entries of room-a (a shard's one room) on ``stream``."""
    for i in range(n):
        await client.xadd(stream, _entry("room-a", i))  # type: ignore[arg-type]


async def _deliver(client: Redis, stream: str, n: int) -> None:
    """``n`` entries of room-a on ``stream``, and the worker's read of them under way."""
    await _add(client, stream, n)
    await wait_for(lambda: _pending(client, stream), what="entries delivered")


async def _pending(client: Redis, stream: str) -> int:
    return int((await client.xpending(stream, GROUP))["pending"])


async def _processed(worker: Any, client: Redis) -> None:
    """Four entries of room-a on shard 0, processed and committed."""
    await _add(client, worker.keys.input(0), 4)
    await wait_for(lambda: worker.processed >= 4, what="the batch processed")


def _views_due(worker: Any) -> None:
    """Shard 0's run owes room-a's view at the next tick (call under the lock)."""
    run = worker.owned[0]
    run._dirty.add("room-a")
    run._views_at = float("-inf")


@pytest.fixture
async def running(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis, analyzer: Any, request: Any
) -> AsyncIterator[InProcess]:
    """A worker in this process on ``shards`` shards, reading ``batch_max`` entries a time."""
    shards, batch_max = request.param
    settings = settings_of(
        stream_config(
            tmp_path, redis_server.url, shards=shards, batch_max=batch_max, lease_ttl_s=30.0
        )
    )
    async with worker_in_process(rclient, settings, analyzer) as running:
        worker = running.worker
        await wait_for(lambda: len(worker.owned) == shards, 30, what="every shard owned")
        yield running


@pytest.mark.parametrize("running", [(2, 4)], indirect=True)
async def test_reading_ahead_keeps_each_shards_order(running: InProcess, rclient: Redis) -> None:
    worker = running.worker
    keys = worker.keys
    rooms = [f"room-{i}" for i in range(6)]
    sent: dict[int, list[str]] = {0: [], 1: []}
    # Many small reads (4 entries per shard each), the next one always under way.
    async with worker._lock:  # held: the entries pile up before the first batch runs
        for i in range(30):
            for room in rooms:
                shard = shard_of(room, 2)
                await rclient.xadd(keys.input(shard), _entry(room, i))  # type: ignore[arg-type]
                sent[shard].append(f"{room}:{i}")
    total = sum(len(v) for v in sent.values())
    await wait_for(lambda: worker.processed >= total, 60, what="every entry processed")
    out = await _verdict_keys(rclient, keys)
    assert sorted(out) == sorted(sent[0] + sent[1])  # each exactly once
    for shard, order in sent.items():
        assert order, "both shards have rooms"
        assert [k for k in out if k in set(order)] == order
        assert await _pending(rclient, keys.input(shard)) == 0


@pytest.mark.parametrize("running", [(1, 3)], indirect=True)
async def test_a_batch_held_when_the_lease_is_lost_is_not_committed(
    running: InProcess, rclient: Redis
) -> None:
    worker = running.worker
    keys = worker.keys
    stream = keys.input(0)
    async with worker._lock:
        # One read's batch waits for the lock; the next read was delivered meanwhile.
        await _deliver(rclient, stream, 9)
        # One read taken (its batch waits for the lock) and the next one under way.
        await wait_for(lambda: worker._reads.holding(0) == 2, what="a batch held, one ahead")
        held = await _pending(rclient, stream)
        assert held >= 3
        # The lease goes to another worker (as _renew_all finds it), under the lock as there.
        await rclient.set(keys.lease(0), "another-worker")
        worker._drop(0)
    await wait_for(lambda: not worker._reads.holding(0), what="the held reads processed")
    assert worker.processed == 0
    assert await _verdict_keys(rclient, keys) == []
    assert await rclient.get(keys.done(0)) is None
    # What was delivered stays pending for the new owner's claim, nothing acknowledged.
    assert await _pending(rclient, stream) >= held


@pytest.mark.parametrize("running", [(1, 3)], indirect=True)
async def test_a_shard_given_back_holds_no_delivered_entry(
    running: InProcess, rclient: Redis
) -> None:
    worker = running.worker
    keys = worker.keys
    stream = keys.input(0)
    series = {"stream": stream, "group": GROUP}
    await worker._gauges()  # (the pending gauge of each shard it owns)
    assert running.registry.get_sample_value("roomwatch_stream_pending_entries", series) == 0
    async with worker._lock:
        await _deliver(rclient, stream, 6)
        giving = asyncio.create_task(worker._give_back(0))
        await wait_for(lambda: 0 in worker._leaving, what="the shard is leaving")
    await giving
    assert 0 not in worker.owned
    # Its pending gauge is the next owner's to report: no stale series here.
    assert running.registry.get_sample_value("roomwatch_stream_pending_entries", series) is None
    assert await rclient.get(keys.lease(0)) is None
    # Every entry read before the release was processed and acknowledged by this worker:
    # the next owner has nothing to wait claim_idle_s for.
    assert await _pending(rclient, stream) == 0
    assert len(await _verdict_keys(rclient, keys)) == worker.processed > 0


@pytest.mark.parametrize("running", [(1, 100)], indirect=True)
async def test_entries_delivered_with_a_lost_reply_are_read_again(
    running: InProcess, rclient: Redis
) -> None:
    worker = running.worker
    keys = worker.keys
    stream = keys.input(0)
    # Delivered to this worker's consumer, but the reply never reached it.
    pipe = rclient.pipeline(transaction=True)
    for i in range(5):
        pipe.xadd(stream, _entry("room-a", i))  # type: ignore[arg-type]
    pipe.xreadgroup(GROUP, worker.name, {stream: ">"})
    await pipe.execute()
    assert await _pending(rclient, stream) == 5
    worker._reads.backlog = True  # what a failed read sets (tested below)
    await wait_for(lambda: worker.processed >= 5, 30, what="the pending entries processed")
    assert await _pending(rclient, stream) == 0
    assert sorted(await _verdict_keys(rclient, keys)) == [f"room-a:{i}" for i in range(5)]
    await wait_for(lambda: not worker._reads.backlog, what="back to new entries")
    await rclient.xadd(stream, _entry("room-a", 5))  # type: ignore[arg-type]
    await wait_for(lambda: worker.processed >= 6, 30, what="a new entry processed")


async def test_a_failed_read_turns_to_the_consumers_own_pending_entries(
    redis_server: RedisServer, rclient: Redis
) -> None:
    stream = "prefetch-test:in:0"
    await rclient.delete(stream)
    await rclient.xgroup_create(stream, GROUP, id="0", mkstream=True)
    for i in range(3):
        await rclient.xadd(stream, {"e": str(i)})
    await rclient.xreadgroup(GROUP, "c1", {stream: ">"})  # delivered, reply "lost"
    dead = Redis(port=1, socket_connect_timeout=0.5)  # nothing listens on port 1
    failing = ReadAhead(dead, GROUP, "c1", lambda k: stream, count=10, block_ms=10)
    failing.issue({0: object()})  # type: ignore[dict-item]
    with pytest.raises(RedisConnectionError):
        await failing.take()
    assert failing.backlog and not failing.holding(0)
    await dead.aclose()

    reads = ReadAhead(rclient, GROUP, "c1", lambda k: stream, count=10, block_ms=10)
    reads.backlog = failing.backlog
    reads.issue({0: object()})  # type: ignore[dict-item]
    read = await reads.take()
    reads.done(read)
    assert [e[0] for e in read.reply[0][1]] != [] and reads.backlog
    await rclient.xack(stream, GROUP, *[e[0] for e in read.reply[0][1]])
    reads.issue({0: object()})  # type: ignore[dict-item]
    reads.done(await reads.take())
    assert not reads.backlog  # nothing of its own pending: new entries next


@pytest.mark.parametrize("running", [(1, 100)], indirect=True)
async def test_below_saturation_the_next_read_waits_for_the_batch(
    running: InProcess, rclient: Redis
) -> None:
    # A read ahead would return the first entry to arrive: batches of one, the
    # dearest per record. A read that came back short means there is no backlog.
    worker = running.worker
    stream = worker.keys.input(0)
    async with worker._lock:
        await _add(rclient, stream, 2)
        await wait_for(
            lambda: (worker._reads.holding(0) == 1 and not worker._reads.issued) or None,
            what="a short read taken, none ahead",
        )
        assert worker.processed == 0
    await wait_for(lambda: worker.processed == 2, 30, what="both entries processed")


@pytest.mark.parametrize("running", [(1, 8)], indirect=True)
async def test_a_tick_after_the_lease_is_lost_appends_nothing(
    running: InProcess, rclient: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # A worker that stalled past its lease: the new owner has the shard, and the
    # old one's ticker still has views due for a room. They must not land after
    # the new owner's (the gateway would show the stale room).
    worker = running.worker
    keys = worker.keys
    await _processed(worker, rclient)
    async with worker._lock:
        before = await rclient.xlen(keys.output)
        await rclient.set(keys.lease(0), "another-worker")  # _renew_all has not run yet
        _views_due(worker)
    await wait_for(lambda: 0 not in worker.owned, what="the shard dropped by the ticker")
    assert await rclient.xlen(keys.output) == before
    assert await rclient.get(keys.lease(0)) == b"another-worker"
    # The ticker's fence dropped it (not _renew_all, which runs every 10 s here).
    assert any(
        "lost the lease of shard 0" in r.getMessage() and r.funcName == "_tick"
        for r in caplog.records
    )


@pytest.mark.parametrize("running", [(1, 8)], indirect=True)
async def test_a_tick_whose_append_fails_drops_the_shard(
    running: InProcess, rclient: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tick's output has left the shard's buffers when the append fails, so
    # the shard is dropped (rebuilt by its next owner from the stream), as after
    # a failed commit, rather than kept without the views it owed the gateway.
    worker = running.worker
    await _processed(worker, rclient)

    async def broken(**_: Any) -> int:
        raise RedisConnectionError("connection lost")

    async with worker._lock:
        monkeypatch.setattr(worker, "_append", broken)
        _views_due(worker)
    await wait_for(lambda: 0 not in worker.owned, what="the shard dropped by the ticker")
