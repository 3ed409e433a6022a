"""A real redis-server per test session (its own port and folder), and the
embedded-mode reference the Redis roles must match."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

redis = pytest.importorskip("redis")

from redis.asyncio import Redis  # noqa: E402

from roomwatch.compose.gateway import Gateway  # noqa: E402
from roomwatch.compose.graph import analyzer_for, build_pipeline  # noqa: E402
from roomwatch.compose.sources import replay_source  # noqa: E402
from roomwatch.compose.worker import WORKER_STAGES, shard_graphs  # noqa: E402
from roomwatch.config import ReplaySourceSettings, Settings, settings_from_dict  # noqa: E402
from roomwatch.metrics import Metrics, StreamMetrics  # noqa: E402
from roomwatch.streams.worker import StreamWorker  # noqa: E402
from tests.support.wait import wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RECORDING = ROOT / "samples" / "scenario-alerts.jsonl.gz"
REDIS_SERVER = shutil.which("redis-server")
#: The tests' ``streams.action_secret`` (the gateway signs client actions with it).
SECRET = "test-action-secret-0123456789abcdef"
#: The ingest token of :func:`stream_config`.
INGEST = "ingest-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    port: int
    dir: Path
    aof: bool = False
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [REDIS_SERVER or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--dir", str(self.dir)]
        args += (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.aof
            else ["--appendonly", "no"]
        )
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:  # a subprocess start-up: no event loop to wait on yet
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (scripts/test installs it)")
    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def rclient(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


def stream_config(
    tmp: Path, url: str, *, prefix: str | None = None, replay: Path | None = None, **streams: Any
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "server": {"port": 0},
        "store": {"path": str(tmp / "gateway.sqlite3")},
        "recorder": {"enabled": False},
        "tokens": [{"token": INGEST, "role": "ingest", "name": "t"}],
        "streams": {
            "redis_url": url,
            "prefix": prefix or f"t{uuid.uuid4().hex[:8]}",
            "shards": 4,
            "spool_path": str(tmp / "spool.jsonl"),
            "worker_port": 0,
            "lease_ttl_s": 2.0,
            "claim_idle_s": 1.0,
            "trim_interval_s": 1.0,
            "action_secret": SECRET,
            **streams,
        },
    }
    if replay is not None:
        raw["sources"] = {"replay": [{"paths": [str(replay)], "speed": 0, "name": "replay"}]}
    return raw


def write_config(path: Path, raw: dict[str, Any]) -> Path:
    def toml_value(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False) if not isinstance(v, bool) else str(v).lower()

    lines: list[str] = []
    for section in ("server", "store", "recorder", "streams"):
        lines.append(f"[{section}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in raw[section].items()]
    for token in raw["tokens"]:
        lines.append("[[tokens]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in token.items()]
    for replay in raw.get("sources", {}).get("replay", ()):
        lines.append("[[sources.replay]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in replay.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def settings_of(raw: dict[str, Any]) -> Settings:
    return settings_from_dict(raw, environ={})


@pytest.fixture(scope="session")
def analyzer() -> Any:
    return analyzer_for(Settings())


@dataclass
class Outcome:
    """What matters of a run: verdicts by key, host queues, alert events."""

    verdicts: dict[str, str] = field(default_factory=dict)
    host: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    alerts: list[tuple[str, str, str, str]] = field(default_factory=list)


def host_items(view: dict[str, Any] | None) -> list[tuple[str, str, int]]:
    if not view:
        return []
    return sorted((i["id"], i["text"], int(i["count"])) for i in view["items"])


def alert_row(event: dict[str, Any]) -> tuple[str, str, str, str]:
    a = event["alert"]
    return (event["type"], a["id"], a.get("kind") or a.get("detector") or "", a["room"])


@pytest.fixture(scope="session")
def embedded() -> Outcome:
    """``serve``'s graph (the worker's stages) fed the recording by a replay source, in-process."""
    # As in a worker (compose/worker.py): no overload shedding.
    settings = settings_of({"pipeline": {"overload_degrade": False}})
    out = Outcome()
    alerts: list[dict[str, Any]] = []
    verdicts: list[Any] = []

    async def run() -> None:
        graph = build_pipeline(
            settings,
            analyzer_for(settings),
            stages=WORKER_STAGES,
            outputs=[verdicts.extend],
            alert_listeners=[lambda e: alerts.append(e.to_dict())],
            guard=True,
        )
        spec = ReplaySourceSettings((str(RECORDING),), speed=0)
        graph.pipeline.start()
        await replay_source(spec, settings, graph).run()
        await graph.pipeline.drain()
        assert graph.triage is not None

        class All:
            token = None

            def wants(self, room: str | None) -> bool:
                return True

        for view in graph.triage.snapshot(All()):  # type: ignore[arg-type]
            out.host[view["room"]] = host_items(view)

    asyncio.run(run())
    for v in verdicts:
        out.verdicts[f"{v.comment.room}/{v.comment.id}"] = v.label
    out.alerts = sorted(alert_row(a) for a in alerts)
    return out


async def read_outcome(client: Redis, prefix: str) -> tuple[Outcome, int]:
    """The output stream as the gateway would see it; and how many verdicts it holds in all."""
    out = Outcome()
    total = 0
    alerts: list[dict[str, Any]] = []
    for _, fields in await client.xrange(f"{prefix}:out", "-", "+"):
        payload = json.loads(fields[b"d"])
        for _key, v in payload.get("verdicts", ()):
            total += 1
            out.verdicts[f"{v['room']}/{v['id']}"] = v["label"]
        alerts += payload.get("alerts", ())
        for room, view in payload.get("views", {}).get("host", {}).items():
            out.host[room] = host_items(view)
    out.host = {room: items for room, items in out.host.items() if items}
    out.alerts = sorted(alert_row(a) for a in alerts)
    return out, total


def start_worker(config: Path, name: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "roomwatch", "worker", "--config", str(config), "--name", name],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def post_ingest(base: str, body: str) -> dict[str, Any]:
    """``POST /ingest`` with the ingest token; its (200) answer."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/ingest", data=body, headers={"Authorization": f"Bearer {INGEST}"}
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        answer: dict[str, Any] = await resp.json()
        return answer


@dataclass
class InProcess:
    """A :class:`StreamWorker` running in the test's own loop."""

    worker: StreamWorker
    task: asyncio.Task[None]
    registry: CollectorRegistry


@asynccontextmanager
async def worker_in_process(
    client: Redis, settings: Settings, analyzer: Any
) -> AsyncIterator[InProcess]:
    """Run a worker on ``settings.streams`` in this process; stopped and its shards given back."""
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    worker = StreamWorker(
        client,
        settings.streams,
        shard_graphs(settings, analyzer, metrics),
        metrics=metrics,
        streams=StreamMetrics(registry),
        window=1000,
    )
    task = asyncio.create_task(worker.run())
    try:
        yield InProcess(worker, task, registry)
    finally:
        worker.stop()
        await task
        await worker.release_all()


@dataclass
class Deployment:
    """Worker processes and a gateway on one redis-server (:func:`deployment`)."""

    tmp: Path
    config: Path
    prefix: str
    shards: int
    client: Redis
    gateway: Gateway
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        """Another worker process (stopped with the rest); its log is ``<tmp>/<name>.log``."""
        proc = start_worker(self.config, name, self.tmp / f"{name}.log")
        self.workers[name] = proc
        return proc

    async def held_by(self, names: set[str], what: str) -> None:
        """Wait until the shards' leases are held by exactly the workers ``names``."""
        want = {n.encode() for n in names}

        async def held() -> bool:
            keys = [f"{self.prefix}:lease:{k}" for k in range(self.shards)]
            return {await self.client.get(k) for k in keys} == want

        await wait_for(held, 60, what=what)


@asynccontextmanager
async def deployment(
    tmp: Path, client: Redis, raw: dict[str, Any], workers: tuple[str, ...] = ("w1",)
) -> AsyncIterator[Deployment]:
    """``raw``'s worker processes, each holding shards, then a started gateway.

    On the way out the gateway is closed and every worker stopped (also those
    started later with :meth:`Deployment.start_worker`).
    """
    streams = raw["streams"]
    config = write_config(tmp / "rw.toml", raw)
    gateway = Gateway(settings_of(raw))
    d = Deployment(tmp, config, streams["prefix"], streams["shards"], client, gateway)
    try:
        for name in workers:
            d.start_worker(name)
        await d.held_by(set(workers), "the workers to hold every shard")
        await gateway.start()
        yield d
    finally:
        try:
            await gateway.close()
        finally:
            for proc in d.workers.values():
                stop(proc)
