"""A record the parser can't convert must not take a source down (issue #12.2)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry
from websockets.asyncio.server import ServerConnection, serve

from roomwatch.cli import main
from roomwatch.metrics import Metrics
from roomwatch.service import Service
from roomwatch.sources.supervise import SourceHealth, supervise
from roomwatch.sources.websocket import Backoff, WebSocketSource
from tests.conftest import TOKENS
from tests.sources.test_websocket import Collector, wait_for

BAD = '{"room":"r","text":"bad","user":{"level":1e999}}'
NAN = '{"room":"r","text":"nan","user":{"level":NaN}}'


def good(i: int) -> str:
    return json.dumps({"room": "r", "text": f"好的 {i}", "id": f"g{i}"}, ensure_ascii=False)


async def test_ingest_answers_with_rejections_and_keeps_the_records_after_a_bad_one(
    service: Service,
) -> None:
    body = "\n".join([good(1), BAD, NAN, good(2)])
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{service.url}/ingest",
            data=body.encode(),
            headers={
                "Authorization": f"Bearer {TOKENS['ingest']}",
                "Content-Type": "application/x-ndjson",
            },
        ) as resp:
            assert resp.status == 200, await resp.text()
            result = await resp.json()
    assert result["accepted"] == 2
    assert result["rejected"] == 2
    assert [e["index"] for e in result["errors"]] == [1, 2]
    assert result["errors"][0]["reason"] == "bad_value"


async def test_websocket_source_keeps_its_connection_after_a_bad_number() -> None:
    connections = 0

    async def upstream(conn: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await conn.send(BAD)
        await conn.send(NAN)
        await conn.send(good(1))
        await conn.wait_closed()

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
        try:
            await wait_for(lambda: len(sink.comments) == 1)
            assert [e.reason for e in sink.rejects] == ["bad_value", "not_json"]
            assert connections == 1 and not task.done()
        finally:
            source.close()
            await task


class _Broken:
    """A sink whose put fails the first time, like a bug in a stage."""

    def __init__(self) -> None:
        self.calls = 0
        self.comments: list[object] = []

    async def put(self, comment: object, source: str) -> bool:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("boom")
        self.comments.append(comment)
        return True

    async def reject(self, error: object, source: str, where: str = "") -> None:
        pass


async def test_websocket_source_reconnects_after_an_unexpected_error() -> None:
    connections = 0
    release = asyncio.Event()

    async def upstream(conn: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        if connections > 1:
            await release.wait()
        await conn.send(good(connections))
        await conn.wait_closed()

    registry = CollectorRegistry()
    sink = _Broken()
    health = SourceHealth()
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(
            f"ws://127.0.0.1:{port}",
            Metrics(registry),
            name="up",
            backoff=Backoff(initial=0.01, maximum=0.05, rng=random.Random(1)),
            health=health.get("up"),
        )
        task = asyncio.create_task(source.run(sink))
        try:
            # Reconnected after the error, before any frame: /healthz is degraded.
            await wait_for(lambda: connections == 2)
            assert health.degraded and health.sources["up"].state == "restarting"
            assert "boom" in health.sources["up"].last_error
            release.set()
            await wait_for(lambda: len(sink.comments) == 1)
            assert connections == 2
            errors = registry.get_sample_value(
                "roomwatch_component_errors_total",
                {"component_kind": "source", "component_id": "up", "error_type": "RuntimeError"},
            )
            assert errors == 1
            restarts = registry.get_sample_value(
                "roomwatch_source_restarts_total", {"source": "up"}
            )
            assert restarts == 1
            # A frame arrived again: healthy.
            assert not health.degraded and health.sources["up"].restarts == 1
        finally:
            source.close()
            await task


async def test_a_source_that_dies_is_restarted_and_reported(caplog) -> None:  # type: ignore[no-untyped-def]
    registry = CollectorRegistry()
    health = SourceHealth()
    runs = 0
    release = asyncio.Event()

    async def run() -> str:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("source bug")
        await release.wait()
        return "done"

    async def no_sleep(_: float) -> None:
        assert health.degraded
        assert health.to_dict()["s"]["state"] == "restarting"

    task = asyncio.create_task(
        supervise("s", run, health=health, metrics=Metrics(registry), sleep=no_sleep)
    )
    await wait_for(lambda: runs == 2)
    assert registry.get_sample_value("roomwatch_source_restarts_total", {"source": "s"}) == 1
    assert "source s died" in caplog.text
    assert health.to_dict()["s"]["last_error"] == "RuntimeError: source bug"
    assert not health.degraded  # running again
    release.set()
    assert await task == "done"


async def test_healthz_says_degraded_while_a_source_is_down(service: Service) -> None:
    gate = asyncio.Event()

    async def run() -> None:
        raise RuntimeError("upstream parser bug")

    async def wait(_: float) -> None:
        await gate.wait()

    task = asyncio.create_task(
        supervise("bridge", run, health=service.source_health, metrics=service.metrics, sleep=wait)
    )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_for(lambda: service.source_health.degraded)
            async with session.get(f"{service.url}/healthz") as resp:
                body = await resp.json()
        assert body["status"] == "degraded"
        assert body["sources"]["bridge"]["state"] == "restarting"
    finally:
        task.cancel()


def test_replay_and_classify_reject_bad_numbers_without_a_traceback(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rec = tmp_path / "r.jsonl"
    rec.write_text("\n".join([good(1), BAD, NAN, good(2)]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["replay", str(rec), "--out", str(out)]) in (0, None)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    assert [json.loads(x).get("skipped") for x in lines][1:3] == ["bad_value", "not_json"]


def test_classify_and_report_cli_reject_bad_numbers_without_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    rows = "\n".join([good(1), BAD, NAN, good(2)]) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "roomwatch", "classify", "--jsonl"],
        input=rows.encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    out = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert [o.get("skipped") for o in out] == [None, "bad_value", "not_json", None]
    rec = tmp_path / "r.jsonl"
    rec.write_text(rows, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "roomwatch", "report", str(rec), "--out", str(tmp_path / "r.html")],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert b"Traceback" not in result.stderr
    assert (tmp_path / "r.html").stat().st_size > 0
