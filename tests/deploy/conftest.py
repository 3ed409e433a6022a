"""Real ``/metrics`` to check the dashboards and rules against.

``served_metrics``: a real ``roomwatch serve`` (the ``service`` fixture) after
one live record over HTTP ingest, scraped over HTTP. ``role_metrics``: with
:data:`tests.deploy.pending.SCRAPE_ROLES`, a real gateway and worker started
from deploy/gateway.toml and deploy/worker.toml against our own redis-server
on a free port; without it, nothing (the role-only names are then checked
against metrics.py's declarations).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.asynccontextmanager
async def _process(*argv: str, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(*argv, stdout=out, stderr=out)
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


async def _scrape_role(role: str, redis_url: str, tmp: Path) -> str:
    doc = tomllib.loads((DEPLOY / f"{role}.toml").read_text(encoding="utf-8"))
    port = _free_port()
    doc["server"] = {**doc.get("server", {}), "host": "127.0.0.1", "port": port}
    doc["redis"] = {**doc.get("redis", {}), "url": redis_url}
    if "store" in doc:
        doc["store"] = {**doc["store"], "path": str(tmp / f"{role}.sqlite3")}
    if "recorder" in doc:
        doc["recorder"] = {**doc["recorder"], "dir": str(tmp / f"{role}-recordings")}
    config = tmp / f"{role}.toml"
    config.write_text(dump_toml(doc), encoding="utf-8")
    log = tmp / f"{role}.log"
    argv = (sys.executable, "-m", "roomwatch", role, "--config", str(config))
    async with _process(*argv, log=log) as proc:
        await wait_for(
            lambda: proc.returncode is not None or _answers(port),
            60,
            what=f"roomwatch {role} to listen on {port}",
        )
        assert proc.returncode is None, f"roomwatch {role} exited: {log.read_text()[-2000:]}"
        return await _get_metrics(f"http://127.0.0.1:{port}")


@pytest.fixture
async def role_metrics(tmp_path: Path) -> Scrape | None:
    """A real gateway's and worker's /metrics, or None without SCRAPE_ROLES."""
    if not SCRAPE_ROLES:
        return None
    server = shutil.which("redis-server")
    assert server, "redis-server is missing (Debian's redis-server package)"
    port = _free_port()
    argv = (server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path))
    argv += ("--save", "", "--appendonly", "no")
    async with _process(*argv, log=tmp_path / "redis.log"):
        await wait_for(lambda: _answers(port), 15, what="redis-server to listen")
        scrape = Scrape()
        for role in ("gateway", "worker"):
            scrape.add(await _scrape_role(role, f"redis://127.0.0.1:{port}/0", tmp_path))
        return scrape
