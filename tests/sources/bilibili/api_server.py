"""A local stand-in for Bilibili's live HTTP API: room_init and getDanmuInfo.

Answers shaped after the public description (bilibili-API-collect): ``{"code":
0, "message": "0", "data": {...}}``; ``room_init`` maps an asked id to the
real one, ``getDanmuInfo`` hands out a new token on every call (``token-1``,
``token-2``, ...) and the host list it is given. Each call can be told to
fail: an API refusal (non-zero code), an HTTP error, a body that is not
JSON, or no answer until the server stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

Failure = Literal["refuse", "http_500", "not_json", "hang"] | None


@dataclass
class ApiServer:
    #: Asked room id -> real room id (ids not listed: "room does not exist").
    rooms: dict[int, int]
    #: The host list, as (host, ws_port); wss_port is a port nothing listens on.
    hosts: list[tuple[str, int]] = field(default_factory=list)
    #: How call n (from 1) of each endpoint fails, if it does.
    room_init_failure: Callable[[int], Failure] = lambda n: None
    danmu_info_failure: Callable[[int], Failure] = lambda n: None
    room_init_calls: list[dict[str, str]] = field(default_factory=list)
    danmu_info_calls: list[dict[str, str]] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _port: int = 0
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def __aenter__(self) -> ApiServer:
        app = web.Application()
        app.router.add_get("/room/v1/Room/room_init", self._room_init)
        app.router.add_get("/xlive/web-room/v1/index/getDanmuInfo", self._danmu_info)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopped.set()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _fail(self, failure: Failure) -> web.Response | None:
        if failure == "refuse":
            return web.json_response({"code": -352, "message": "-352", "data": None})
        if failure == "http_500":
            return web.Response(status=500, text="upstream error")
        if failure == "not_json":
            return web.Response(text="<html>busy</html>", content_type="text/html")
        if failure == "hang":
            await self._stopped.wait()
            return web.Response(status=503)
        return None

    async def _room_init(self, request: web.Request) -> web.Response:
        self.room_init_calls.append(dict(request.query))
        self.cookies.append(request.headers.get("Cookie", ""))
        failed = await self._fail(self.room_init_failure(len(self.room_init_calls)))
        if failed is not None:
            return failed
        asked = int(request.query["id"])
        real = self.rooms.get(asked)
        if real is None:
            return web.json_response({"code": 60004, "message": "直播间不存在", "data": {}})
        data = {"room_id": real, "short_id": asked if asked != real else 0, "live_status": 1}
        return web.json_response({"code": 0, "message": "ok", "data": data})

    async def _danmu_info(self, request: web.Request) -> web.Response:
        self.danmu_info_calls.append(dict(request.query))
        self.cookies.append(request.headers.get("Cookie", ""))
        n = len(self.danmu_info_calls)
        failed = await self._fail(self.danmu_info_failure(n))
        if failed is not None:
            return failed
        token = f"token-{n}"
        self.tokens.append(token)
        hosts = [
            {"host": host, "port": 2243, "wss_port": 9, "ws_port": port}
            for host, port in self.hosts
        ]
        data = {"group": "live", "max_delay": 5000, "token": token, "host_list": hosts}
        return web.json_response({"code": 0, "message": "0", "ttl": 1, "data": data})
