"""Redis goes away mid-stream and comes back: nothing the gateway accepted is lost."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from roomwatch.compose.gateway import Gateway
from tests.streams.conftest import (
    ROOT,
    RedisServer,
    free_port,
    read_outcome,
    settings_of,
    start_worker,
    stop,
    stream_config,
    write_config,
)
from tests.support.wait import wait_for

TOKEN = "ingest-token-0123456789abcdef"


@pytest.fixture
def durable_redis(tmp_path: Path, redis_server: RedisServer) -> RedisServer:
    """A redis-server of this test's own that keeps its data across a restart (AOF)."""
    (tmp_path / "redis").mkdir()
    server = RedisServer(free_port(), tmp_path / "redis", aof=True)
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


async def _post(session: aiohttp.ClientSession, url: str, lines: list[str]) -> dict[str, int]:
    body = "[" + ",".join(lines) + "]"
    async with session.post(
        f"{url}/ingest", data=body.encode(), headers={"Authorization": f"Bearer {TOKEN}"}
    ) as resp:
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())


async def test_a_redis_outage_spools_and_drains_with_nothing_lost(
    tmp_path: Path, durable_redis: RedisServer
) -> None:
    raw = stream_config(tmp_path, durable_redis.url)
    prefix = raw["streams"]["prefix"]
    config = write_config(tmp_path / "rw.toml", raw)
    lines = (ROOT / "samples" / "mini.jsonl").read_text(encoding="utf-8").splitlines()
    chunks = [lines[:70], lines[70:140], lines[140:]]
    client = Redis.from_url(durable_redis.url)
    worker = start_worker(config, "w1", tmp_path / "w1.log")
    gateway = Gateway(settings_of(raw))
    try:
        await gateway.start()
        async with aiohttp.ClientSession() as session:
            first = await _post(session, gateway.url, chunks[0])
            assert first["accepted"] == 70
            await wait_for(lambda: gateway.producer.processed == 70, 30, what="chunk 1 in Redis")

            durable_redis.stop()
            second = await _post(session, gateway.url, chunks[1])
            assert second["accepted"] == 70  # accepted while Redis is away: spooled
            await wait_for(lambda: not gateway.producer.redis_up, 30, what="the outage noticed")
            assert len(gateway.producer.spool) == 70
            spool_file = Path(raw["streams"]["spool_path"])
            assert len(spool_file.read_text().splitlines()) == 70
            async with session.get(f"{gateway.url}/healthz") as resp:
                health = await resp.json()
            assert health["status"] == "degraded" and health["redis"]["spooled"] == 70
            async with session.get(f"{gateway.url}/metrics") as resp:
                text = await resp.text()
            assert "roomwatch_stream_spool_entries 70.0" in text
            assert "roomwatch_redis_up 0.0" in text

            durable_redis.start()
            await wait_for(
                lambda: gateway.producer.redis_up and not len(gateway.producer.spool),
                30,
                what="the spool drained",
            )
            assert spool_file.read_text() == ""
            third = await _post(session, gateway.url, chunks[2])
            assert third["accepted"] == len(chunks[2])

        expected = {f"{json.loads(ln)['room']}/{json.loads(ln)['id']}" for ln in lines}

        async def all_out() -> bool:
            got, _ = await read_outcome(client, prefix)
            return set(got.verdicts) == expected

        await wait_for(all_out, 60, what="a verdict for every accepted record")
        _, total = await read_outcome(client, prefix)
        assert total == len(expected), "a record was counted twice"
    finally:
        try:
            await gateway.close()
        finally:
            stop(worker)
            await client.aclose()


async def test_a_full_spool_refuses_loudly_and_keeps_what_it_took(
    tmp_path: Path, durable_redis: RedisServer
) -> None:
    raw = stream_config(tmp_path, durable_redis.url, spool_max=50)
    gateway = Gateway(settings_of(raw))
    lines = (ROOT / "samples" / "mini.jsonl").read_text(encoding="utf-8").splitlines()
    try:
        await gateway.start()
        durable_redis.stop()
        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            body = ("[" + ",".join(lines[:70]) + "]").encode()
            async with session.post(f"{gateway.url}/ingest", data=body, headers=headers) as resp:
                assert resp.status == 429
                answer = await resp.json()
            assert answer["reason"] == "spool_full" and answer["accepted"] == 50
            async with session.post(f"{gateway.url}/ingest", data=body, headers=headers) as resp:
                assert resp.status == 429
                assert (await resp.json())["accepted"] == 0
            async with session.get(f"{gateway.url}/metrics") as resp:
                text = await resp.text()
        assert "roomwatch_stream_spool_refused_entries_total 2.0" in text
        assert len(gateway.producer.spool) == 50
        # Redis back: the 50 it took are sent, in order.
        durable_redis.start()
        await wait_for(lambda: gateway.producer.processed == 50, 30, what="the spool drained")
    finally:
        await gateway.close()
