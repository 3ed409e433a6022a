"""Malformed input entries are counted and moved to the dead letters; the worker goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from roomwatch.core.record import Comment
from roomwatch.streams.layout import Keys, encode_entry, fields_of, shard_of
from tests.streams.conftest import RedisServer, settings_of, stream_config, worker_in_process
from tests.support.wait import wait_for

BAD: list[dict[str, str]] = [
    {"x": "no fields a worker knows"},
    {"r": "not json", "s": "http", "a": "k1"},
    {"r": json.dumps({"room": "r"}), "s": "http", "a": "k2"},  # no text
    {"r": json.dumps({"room": "r", "text": "hi", "ts": 1.0}), "s": "http", "a": "k3", "p": "nan"},
    {"e": "not json"},
    {"e": "[1, 2]"},
    {"e": json.dumps({"r": {"room": "r", "text": 5, "ts": 1.0}, "s": "http", "a": "k4"})},
]


def _good(text: str, key: str) -> dict[str, str]:
    return fields_of(
        encode_entry(Comment("room-a", text, 1_764_115_200.0, id=key), "http", False, 1.0, key)
    )


async def test_malformed_entries_go_to_the_dead_letters_and_the_worker_goes_on(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis, analyzer: Any
) -> None:
    raw = stream_config(tmp_path, redis_server.url, shards=1)
    settings = settings_of(raw)
    keys = Keys(settings.streams.prefix, 1)
    assert shard_of("room-a", 1) == 0
    stream = keys.input(0)
    await rclient.xadd(stream, _good("主播好", "g1"))
    for fields in BAD:
        await rclient.xadd(stream, fields)  # type: ignore[arg-type]
    await rclient.xadd(stream, _good("这个多少钱", "g2"))
    async with worker_in_process(rclient, settings, analyzer) as running:
        worker, task, registry = running.worker, running.task, running.registry
        await wait_for(lambda: worker.processed >= 2, 30, what="both good entries processed")
        dead = await rclient.xrange(keys.dead, "-", "+")
        assert len(dead) == len(BAD)
        reasons = [json.loads(f[b"d"])["error"]["reason"] for _, f in dead]
        assert "malformed_entry" in reasons
        # Counted as rejected records of the "stream" source, by reason.
        counted = sum(
            registry.get_sample_value(
                "roomwatch_component_discarded_events_total",
                {"component_kind": "source", "component_id": "stream", "reason": r},
            )
            or 0
            for r in set(reasons)
        )
        assert counted == len(BAD)
        # Everything is acknowledged, and the worker still runs.
        pending = await rclient.xpending(stream, "workers")
        assert pending["pending"] == 0
        assert not task.done()
        verdicts = [
            v[1]["id"]
            for _, f in await rclient.xrange(keys.output, "-", "+")
            for v in json.loads(f[b"d"]).get("verdicts", ())
        ]
        assert verdicts == ["g1", "g2"]
