"""Shared test helpers: a real local webhook receiver and a service with moderation."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry

from roomwatch.core.analyze import Analyzer
from roomwatch.moderation import Moderation
from roomwatch.service import Service

from ..conftest import TOKENS, make_settings


class Receiver:
    """An aiohttp server on loopback that records the moderation webhooks it gets."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        #: Status to answer with; set to 500 to make deliveries fail.
        self.status = 200
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(json.loads(await request.text()))
        self.headers.append(dict(request.headers))
        return web.json_response({"ok": self.status < 300}, status=self.status)

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def actions(self, action: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r["action"] == action]


@contextlib.asynccontextmanager
async def dashboard_service(
    analyzer: Analyzer, tmp_path: Path, receiver: Receiver | None, **moderation: Any
) -> AsyncIterator[tuple[Service, Moderation]]:
    raw: dict[str, Any] = {"webhook_backoff_s": 0.01, "webhook_timeout_s": 2.0, **moderation}
    if receiver is not None:
        raw.update(outbound="webhook", webhook_url=receiver.url)
    settings = make_settings(store={"path": str(tmp_path / "rw.sqlite3")}, moderation=raw)
    service = Service(settings, analyzer=analyzer, registry=CollectorRegistry())
    mod = service.moderation
    async with service:
        yield service, mod


async def ingest(service: Service, rows: list[dict[str, Any]]) -> None:
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{service.url}/ingest",
            data=body,
            headers={"Authorization": f"Bearer {TOKENS['ingest']}"},
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
