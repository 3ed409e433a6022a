"""Gateway + worker processes on a real redis-server: the same outcome as embedded mode.

Every verdict comes out exactly once, and the host queues and alert events
equal those of ``serve``'s graph fed the same recording in one process, with
two workers and with one of them killed (``kill -9``) mid-stream.
"""

from __future__ import annotations

import contextlib
import re
import signal
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from roomwatch.streams.layout import GROUP, shard_of
from tests.streams.conftest import (
    RECORDING,
    Outcome,
    RedisServer,
    deployment,
    host_items,
    read_outcome,
    stop,
    stream_config,
)
from tests.support.wait import wait_for

#: The recording's one room is on this shard (of 4).
SHARD = shard_of("county-apples-1126", 4)


async def _all_processed(client: Redis, prefix: str, shards: int) -> bool:
    """Every input entry delivered and acknowledged, on every shard."""
    for k in range(shards):
        stream = f"{prefix}:in:{k}"
        if not await client.exists(stream):
            continue
        groups = await client.xinfo_groups(stream)
        group = next((g for g in groups if g["name"] in (GROUP, GROUP.encode())), None)
        if group is None or group["pending"] or group["lag"]:
            return False
    return True


class _All:
    token = None

    def wants(self, room: str | None) -> bool:
        return True


def _assert_same(got: Outcome, total: int, embedded: Outcome) -> None:
    assert total == len(got.verdicts), "a verdict came out more than once"
    assert got.verdicts == embedded.verdicts
    assert got.host == embedded.host
    assert got.alerts == embedded.alerts
    assert embedded.alerts, "the recording should raise alerts (else this compares nothing)"


def _assert_rebuilt(log_path: Path) -> None:
    """The survivor rebuilt the room's state from the shard's history."""
    log = log_path.read_text()
    rebuilt = re.findall(rf"took shard {SHARD} over \(rebuilt from (\d+) entries", log)
    assert any(int(n) > 0 for n in rebuilt), log[-2000:]


async def _run(
    tmp_path: Path,
    redis_server: RedisServer,
    rclient: Redis,
    embedded_host: dict[str, Any],
    *,
    kill_one: bool = False,
    stop_after: bool = False,
) -> tuple[Outcome, int, dict[str, Any]]:
    """``kill_one``: the room's worker gets ``kill -9`` mid-stream; ``stop_after``: it
    is stopped (cleanly) once every entry is processed, and the other takes over."""
    # Small batches: the one room's shard takes a while, so a kill lands mid-stream.
    raw = stream_config(tmp_path, redis_server.url, replay=RECORDING, batch_max=64)
    prefix = raw["streams"]["prefix"]
    # Both workers hold shards before the first record arrives.
    async with deployment(tmp_path, rclient, raw, workers=("w1", "w2")) as d:
        gateway = d.gateway
        info: dict[str, Any] = {}
        if kill_one:
            # Mid-stream: some of the room's verdicts are out, more are to come.
            async def some_out() -> int:
                return int(await rclient.xlen(f"{prefix}:out")) >= 3

            await wait_for(some_out, 60, what="the first outputs")
            owner = await rclient.get(f"{prefix}:lease:{SHARD}")
            victim, info["survivor"] = ("w1", "w2") if owner == b"w1" else ("w2", "w1")
            info["left"] = not await _all_processed(rclient, prefix, 4)
            d.workers[victim].send_signal(signal.SIGKILL)
            d.workers[victim].wait(10)
        expected = 5000  # at least; the exact count is the embedded one (compared below)
        await wait_for(
            lambda: gateway.producer.processed >= expected and not len(gateway.producer.spool),
            60,
            what="the gateway to add the recording",
        )

        async def settled() -> bool:
            return await _all_processed(rclient, prefix, 4)

        await wait_for(settled, 120, what="every entry processed and acknowledged")
        if stop_after:
            # No record comes after the hand-over: the room's views must come from the
            # survivor's rebuilt state (what the old owner had not sent left with it).
            owner = await rclient.get(f"{prefix}:lease:{SHARD}")
            victim, info["survivor"] = ("w1", "w2") if owner == b"w1" else ("w2", "w1")
            stop(d.workers[victim])

            async def survivor_holds() -> bool:
                return await rclient.get(f"{prefix}:lease:{SHARD}") == info["survivor"].encode()

            await wait_for(survivor_holds, 30, what="the other worker to take the room's shard")

        # What a browser that connects now is shown: the gateway's views,
        # kept from the events it published.
        def shown() -> dict[str, Any]:
            return {v["room"]: host_items(v) for v in gateway.views.host(_All())}  # type: ignore[arg-type]

        await wait_for(lambda: shown() == embedded_host, 30, what="the gateway's host view")

        # The workers' own snapshots of the rooms follow within VIEWS_EVERY_S.
        async def views_settled() -> bool:
            got, _ = await read_outcome(rclient, prefix)
            return got.host == embedded_host

        with contextlib.suppress(AssertionError):
            await wait_for(views_settled, 20, what="the workers' last views")
        got, total = await read_outcome(rclient, prefix)
        return got, total, info


async def test_two_workers_produce_every_verdict_once_and_the_embedded_outcome(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis, embedded: Outcome
) -> None:
    got, total, _ = await _run(tmp_path, redis_server, rclient, embedded.host)
    _assert_same(got, total, embedded)


async def test_a_killed_worker_is_taken_over_with_nothing_lost_or_doubled(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis, embedded: Outcome
) -> None:
    got, total, info = await _run(tmp_path, redis_server, rclient, embedded.host, kill_one=True)
    assert info["left"], "the worker was killed after everything was processed"
    _assert_same(got, total, embedded)
    # The survivor rebuilt the room's state from the shard's history, then went on.
    _assert_rebuilt(tmp_path / f"{info['survivor']}.log")


async def test_a_shard_handed_over_after_its_last_records_still_gets_the_rooms_views(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis, embedded: Outcome
) -> None:
    """The workers' own snapshots, not only the gateway's event-built views: a
    new owner sends the views of the rooms it rebuilt (streams/shard.py)."""
    got, total, info = await _run(tmp_path, redis_server, rclient, embedded.host, stop_after=True)
    _assert_same(got, total, embedded)
    _assert_rebuilt(tmp_path / f"{info['survivor']}.log")
