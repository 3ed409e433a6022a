"""Real ``/metrics`` to check the dashboards and rules against.

``served_metrics``: a real ``roomwatch serve`` (the ``service`` fixture) after
one live record over HTTP ingest, scraped over HTTP. ``role_metrics``: with
:data:`tests.deploy.pending.SCRAPE_ROLES`, a real gateway and worker started
from deploy/gateway.toml and deploy/worker.toml (loopback ports, our paths)
against our own redis-server on a free port in a temp dir, after one record
went through them; once per session; without it, nothing (the role-only names are then checked
against roomwatch/metrics/'s declarations).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import sys
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from roomwatch.service import Service
from tests.conftest import ingest
from tests.deploy.pending import SCRAPE_ROLES
from tests.deploy.promql import DEPLOY, Scrape, dump_toml
from tests.support.wait import wait_for


async def _get_metrics(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as resp:
        assert resp.status == 200, f"GET {url}/metrics: {resp.status}"
        return await resp.text()


@pytest.fixture
async def served_metrics(service: Service) -> Scrape:
    # One live record, so that the labelled samples (source, lag per room) exist.
    await ingest(service, [{"room": "r1", "text": "这个多少钱", "id": "deploy-1"}])
    scrape = Scrape()
    scrape.add(await _get_metrics(service.url))
    return scrape


# -- a real gateway and worker (SCRAPE_ROLES) -------------------------------------

_INGEST_TOKEN = "deploy-test-ingest-token-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.asynccontextmanager
async def _process(
    *argv: str, log: Path, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(*argv, stdout=out, stderr=out, env=env)
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


def _role_config(role: str, tmp: Path, **streams: Any) -> tuple[Path, int]:
    """deploy/<role>.toml with loopback ports, our Redis and paths under ``tmp``."""
    doc = tomllib.loads((DEPLOY / f"{role}.toml").read_text(encoding="utf-8"))
    port = _free_port()
    doc["server"] = {**doc.get("server", {}), "host": "127.0.0.1"}
    if role == "worker":
        streams["worker_port"] = port
    else:
        doc["server"]["port"] = port
        streams["spool_path"] = str(tmp / "spool" / "gateway.jsonl")
    doc["streams"] = {**doc.get("streams", {}), **streams}
    if "store" in doc:
        doc["store"] = {**doc["store"], "path": str(tmp / f"{role}.sqlite3")}
    if "recorder" in doc:
        doc["recorder"] = {**doc["recorder"], "dir": str(tmp / f"{role}-recordings")}
    config = tmp / f"{role}.toml"
    config.write_text(dump_toml(doc), encoding="utf-8")
    return config, port


async def _get_json(url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 200, f"GET {url}: {resp.status}"
        return await resp.json()


@dataclass(frozen=True)
class RolePages:
    """The ``/metrics`` text of a real gateway and of a real worker."""

    gateway: str
    worker: str
    #: What the gateway printed (stdout and stderr) by then.
    gateway_log: str = ""

    def scrape(self, *roles: str) -> Scrape:
        scrape = Scrape()
        for role in roles or ("gateway", "worker"):
            scrape.add(getattr(self, role))
        return scrape


async def _scrape_roles(tmp: Path) -> RolePages:
    """redis-server, then a gateway and a worker from deploy/*.toml, one record through them."""
    server = shutil.which("redis-server")
    assert server, "redis-server is missing (Debian's redis-server package)"
    redis_port = _free_port()
    redis_argv = [server, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(tmp)]
    redis_argv += ["--save", "", "--appendonly", "no"]
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    # A prefix of our own: nothing else can be in this server, but say so anyway.
    streams = {"redis_url": redis_url, "prefix": "deploytest"}
    gateway_config, gateway_port = _role_config("gateway", tmp, **streams)
    worker_config, worker_port = _role_config("worker", tmp, **streams)
    # As docker-compose.yml passes it from .env to the gateway and the workers.
    env = {
        **os.environ,
        "ROOMWATCH_INGEST_TOKEN": _INGEST_TOKEN,
        "ROOMWATCH_ACTION_SECRET": "d" * 64,
    }
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    worker_url = f"http://127.0.0.1:{worker_port}"

    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(_process(*redis_argv, log=tmp / "redis.log"))
        await wait_for(lambda: _answers(redis_port), 15, what="redis-server to listen")
        # Both start at once (the worker's model load is most of the wait).
        procs: list[tuple[str, asyncio.subprocess.Process, int]] = []
        for name, config, port in (
            ("gateway", gateway_config, gateway_port),
            ("worker", worker_config, worker_port),
        ):
            argv = [sys.executable, "-m", "roomwatch", name, "--config", str(config)]
            argv += ["--log-level", "WARNING"]
            proc = await stack.enter_async_context(
                _process(*argv, log=tmp / f"{name}.log", env=env)
            )
            procs.append((name, proc, port))
        for name, proc, port in procs:

            def up(proc: asyncio.subprocess.Process = proc, port: int = port) -> bool:
                return proc.returncode is not None or _answers(port)

            await wait_for(up, 60, what=f"roomwatch {name} to listen on {port}")
            log = tmp / f"{name}.log"
            assert proc.returncode is None, f"roomwatch {name} exited: {log.read_text()[-2000:]}"
        # One record through the gateway, Redis and the worker, so that the
        # labelled stream series (appended, pending by stream and group) exist.
        async with aiohttp.ClientSession() as session:
            body = json.dumps({"room": "r1", "text": "这个多少钱", "id": "deploy-role-1"})
            async with session.post(
                f"{gateway_url}/ingest",
                data=body.encode(),
                headers={"Authorization": f"Bearer {_INGEST_TOKEN}"},
            ) as resp:
                assert resp.status == 200, await resp.text()

        async def settled() -> str | None:
            # Processed, and the worker's pending gauges (every second) are set.
            health = await _get_json(f"{worker_url}/healthz")
            text = await _get_metrics(worker_url)
            worker = Scrape()
            worker.add(text)
            done = health["processed"] >= 1 and "roomwatch_stream_pending_entries" in worker.sampled
            return text if done else None

        worker: str = await wait_for(
            settled, 60, what="the worker to process the record", interval=0.1
        )
        return RolePages(
            gateway=await _get_metrics(gateway_url),
            worker=worker,
            gateway_log=(tmp / "gateway.log").read_text(encoding="utf-8", errors="replace"),
        )
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def role_pages(tmp_path_factory: pytest.TempPathFactory) -> RolePages | None:
    """A real gateway's and worker's /metrics, or None without SCRAPE_ROLES.

    Session-wide: the processes start once (a worker loads the model).
    """
    if not SCRAPE_ROLES:
        return None
    return asyncio.run(_scrape_roles(tmp_path_factory.mktemp("roles")))


@pytest.fixture
def role_metrics(role_pages: RolePages | None) -> Scrape | None:
    """Both roles' /metrics as one, or None without SCRAPE_ROLES."""
    return None if role_pages is None else role_pages.scrape()
