"""The gateway on a real redis-server: ``/ingest`` answers as ``serve`` does, one
gateway runs per deployment, and no role starts without the action secret."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from roomwatch.compose.gateway import Gateway
from roomwatch.config import settings_from_dict
from roomwatch.config.schema import InvalidConfig
from roomwatch.service import Service
from roomwatch.streams.actions import MissingSecret
from roomwatch.streams.lease import GatewayTaken
from tests.streams.conftest import (
    RedisServer,
    post_ingest,
    settings_of,
    stream_config,
    write_config,
)


def body(ts: float) -> str:
    rows = [
        {"room": "dup-room", "text": "3号链接多少钱", "ts": ts, "id": "d1"},
        {"room": "dup-room", "text": "主播好", "ts": ts + 1, "id": "d2"},
        {"room": "other-room", "text": "主播好", "ts": ts + 1, "id": "d1"},  # another room
        {"room": "dup-room", "text": "没有id的评论", "ts": ts + 2},  # no id: never a duplicate
        {"room": "dup-room", "text": "同一个请求里又来一次", "ts": ts + 3, "id": "d2"},
    ]
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)


async def test_ingest_reports_duplicates_as_serve_does(
    tmp_path: Path, redis_server: RedisServer, analyzer: Any
) -> None:
    raw = stream_config(tmp_path, redis_server.url)
    ts = time.time()
    serve_raw = {k: v for k, v in raw.items() if k != "streams"}
    serve_raw["store"] = {"path": str(tmp_path / "serve.sqlite3")}
    async with Service(
        settings_from_dict(serve_raw, environ={}), analyzer=analyzer, registry=CollectorRegistry()
    ) as svc:
        served = [await post_ingest(svc.url, body(ts)), await post_ingest(svc.url, body(ts))]
    gateway = Gateway(settings_of(raw))
    await gateway.start()
    try:
        through_gateway = [
            await post_ingest(gateway.url, body(ts)),
            await post_ingest(gateway.url, body(ts)),
        ]
    finally:
        await gateway.close()
    assert served[0]["duplicates"] == 1 and served[1]["duplicates"] == 4, served
    assert through_gateway == served


async def test_a_second_gateway_refuses_to_start_until_the_first_is_gone(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis
) -> None:
    raw = stream_config(tmp_path, redis_server.url, lease_ttl_s=1.0)
    prefix = raw["streams"]["prefix"]
    first = Gateway(settings_of(raw))
    await first.start()
    second = Gateway(settings_of({**raw, "store": {"path": str(tmp_path / "second.sqlite3")}}))
    try:
        assert await rclient.get(f"{prefix}:gateway") == first.name.encode()
        # It waits out the lease's TTL (a killed predecessor's would run out), then refuses.
        with pytest.raises(GatewayTaken, match="another gateway"):
            await second.start()
    finally:
        await first.close()
    # A clean stop gives the lease back: the next gateway starts at once.
    third = Gateway(settings_of({**raw, "store": {"path": str(tmp_path / "third.sqlite3")}}))
    await third.start()
    try:
        assert await rclient.get(f"{prefix}:gateway") == third.name.encode()
    finally:
        await third.close()


def test_no_role_starts_without_the_action_secret(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    raw = stream_config(tmp_path, redis_server.url, action_secret="")
    with pytest.raises(MissingSecret, match="action_secret is not set"):
        Gateway(settings_of(raw))
    # A short one is a config problem (check-config says so too).
    short = stream_config(tmp_path, redis_server.url, action_secret="too-short")
    with pytest.raises(InvalidConfig, match="has 9 characters"):
        Gateway(settings_of(short))
    config = write_config(tmp_path / "rw.toml", raw)
    for role in ("worker", "gateway"):
        done = subprocess.run(
            [sys.executable, "-m", "roomwatch", role, "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, (role, done.stdout, done.stderr)
        assert "streams.action_secret is not set" in done.stderr, done.stderr
