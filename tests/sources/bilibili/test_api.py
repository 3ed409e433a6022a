"""The bilibili source with the live HTTP API: short ids, host fail-over, fresh keys.

Everything over real sockets: a local API (aiohttp) and local danmaku servers,
one of which is a port nothing listens on and one that refuses to enter the room.
"""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry
from websockets.asyncio.server import ServerConnection

from roomwatch.config import BilibiliSourceSettings
from roomwatch.metrics import Metrics
from roomwatch.sources.bilibili import BilibiliSource
from roomwatch.sources.supervise import SourceState
from roomwatch.sources.websocket import Backoff
from tests.sources.bilibili.api_server import ApiServer
from tests.sources.bilibili.pbwrite import interact_v2_command, interact_word_v2
from tests.sources.bilibili.server import BiliServer, command, danmu, send_all
from tests.sources.bilibili.test_client import Collector, packets, running
from tests.support.wait import wait_for

NAME = "bilibili-2233"


def dead_port() -> int:
    """A loopback port nothing listens on (connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def host(server: BiliServer) -> tuple[str, int]:
    port = urlsplit(server.url).port
    assert port is not None
    return ("127.0.0.1", port)


def source(
    api_url: str, metrics: Metrics, health: SourceState | None = None, **over: Any
) -> BilibiliSource:
    values: dict[str, Any] = {
        "room_id": 2233,
        "name": NAME,
        "url": "ws://127.0.0.1:9/sub",  # the fallback; nothing listens there
        "api_url": api_url,
        "api_timeout_s": 5.0,
        "heartbeat_s": 0.5,
    }
    values.update(over)
    return BilibiliSource(
        BilibiliSourceSettings(**values),
        metrics,
        backoff=Backoff(initial=0.01, maximum=0.05, rng=random.Random(7)),
        health=health,
    )


def errors(metrics: Metrics, error_type: str) -> float:
    labels = {"component_kind": "source", "component_id": NAME, "error_type": error_type}
    return metrics.registry.get_sample_value("roomwatch_component_errors_total", labels) or 0.0


async def idle(conn: ServerConnection, n: int) -> None:
    return None


async def test_a_short_id_is_resolved_and_each_connection_gets_a_fresh_key_and_the_next_host() -> (
    None
):
    """room_init once; getDanmuInfo before every connection; a refused host and a host
    that refuses the room are left for the next; a host that worked is kept."""

    async def good(conn: ServerConnection, n: int) -> None:
        if n == 1:
            await send_all(
                conn,
                [
                    command(danmu("first")),
                    command(interact_v2_command(interact_word_v2(uid=77, uname="阿花"))),
                    command(interact_v2_command(interact_word_v2(msg_type=2))),  # a follow
                    command(interact_v2_command(interact_word_v2()[:-4])),  # cut short
                    command(interact_v2_command("%%% not base64")),
                ],
            )
            await conn.close()  # the host worked: the next connection comes back here
        else:
            await send_all(conn, [command(danmu("second"))])

    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with (
        BiliServer(good) as a,
        BiliServer(idle, auth_code=lambda n: -101) as b,
        ApiServer(rooms={1: 2233}) as api,
    ):
        api.hosts = [("127.0.0.1", dead_port()), host(b), host(a)]
        src = source(api.url, metrics, room_id=1, cookie="SESSDATA=abc; buvid3=xyz")
        async with running(src, sink):
            await wait_for(lambda: "second" in sink.texts(), show=lambda: (api.tokens, a.auths))
    assert src.real_room_id == 2233
    assert api.room_init_calls == [{"id": "1"}]  # resolved once, not per connection
    assert api.danmu_info_calls == [{"id": "2233", "type": "0"}] * 4
    assert set(api.cookies) == {"SESSDATA=abc; buvid3=xyz"}
    # 1: refused (token-1 unused); 2: b refuses the room; 3 and 4: a, each with a new key.
    assert [(x["roomid"], x["key"]) for x in b.auths] == [(2233, "token-2")]
    assert [(x["roomid"], x["key"]) for x in a.auths] == [(2233, "token-3"), (2233, "token-4")]
    assert errors(metrics, "ConnectionRefusedError") == 1
    assert errors(metrics, "EnterRoomRefused") == 1
    got = [(c.kind, c.text, c.user.id, c.user.name) for c in sink.comments]
    assert got == [
        ("comment", "first", "42", "小李"),
        ("enter", "", "77", "阿花"),
        ("comment", "second", "42", "小李"),
    ]
    assert packets(metrics, "ignored") == 1  # the follow
    assert packets(metrics, "malformed") == 2  # the cut protobuf and the bad base64
    assert errors(metrics, "PacketError") == 2


async def test_when_the_api_fails_the_configured_url_and_key_are_used() -> None:
    async def static(conn: ServerConnection, n: int) -> None:
        await send_all(conn, [command(danmu(f"static {n}"))])
        await conn.close()

    async def from_api(conn: ServerConnection, n: int) -> None:
        await send_all(conn, [command(danmu("api"))])

    failures = {1: "http_500", 2: "not_json", 3: "refuse"}
    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with (
        BiliServer(static) as fallback,
        BiliServer(from_api) as a,
        ApiServer(rooms={2233: 2233}, danmu_info_failure=failures.get) as api,  # type: ignore[arg-type]
    ):
        api.hosts = [host(a)]
        src = source(api.url, metrics, url=fallback.url, key="static-key")
        async with running(src, sink):
            await wait_for(lambda: "api" in sink.texts(), show=sink.texts)
    assert sink.texts() == ["static 1", "static 2", "static 3", "api"]
    assert [x["key"] for x in fallback.auths] == ["static-key"] * 3
    assert [x["key"] for x in a.auths] == ["token-4"]
    assert errors(metrics, "DanmuInfoError") == 3


async def test_a_room_that_cannot_be_resolved_is_retried_and_shown_on_health() -> None:
    async def script(conn: ServerConnection, n: int) -> None:
        await send_all(conn, [command(danmu(f"hello {n}"))])
        if n == 1:
            await conn.close()

    metrics = Metrics(CollectorRegistry())
    health = SourceState()
    sink = Collector()
    async with BiliServer(script) as a, ApiServer(rooms={}) as api:  # no such room, yet
        api.hosts = [host(a)]
        src = source(api.url, metrics, health, room_id=1)
        async with running(src, sink):
            await wait_for(lambda: errors(metrics, "RoomNotResolved") >= 2)
            assert health.state == "restarting"
            assert "cannot resolve room 1" in health.last_error
            assert "code 60004" in health.last_error
            assert a.connections == 0 and api.danmu_info_calls == []
            api.rooms[1] = 2233  # the API answers now
            await wait_for(lambda: "hello 2" in sink.texts(), show=sink.texts)
            assert health.state == "running"
    # Resolved once: every room_init call but the last failed.
    assert len(api.room_init_calls) == errors(metrics, "RoomNotResolved") + 1
    assert [x["roomid"] for x in a.auths] == [2233, 2233]


async def test_an_unreachable_api_is_a_resolution_failure_and_close_still_stops() -> None:
    metrics = Metrics(CollectorRegistry())
    health = SourceState()
    src = source(f"http://127.0.0.1:{dead_port()}", metrics, health, room_id=1)
    async with running(src, Collector()):
        await wait_for(lambda: errors(metrics, "RoomNotResolved") >= 1)
    assert health.state == "restarting"
    assert "cannot resolve room 1" in health.last_error
    assert "ClientConnectorError" in health.last_error
    assert src.connections == 0


async def test_close_does_not_wait_for_an_api_that_never_answers() -> None:
    metrics = Metrics(CollectorRegistry())
    async with ApiServer(rooms={1: 2233}, room_init_failure=lambda n: "hang") as api:
        src = source(api.url, metrics, room_id=1, api_timeout_s=60.0)
        task = asyncio.create_task(src.run(Collector()))
        await wait_for(lambda: api.room_init_calls)
        src.close()
        await asyncio.wait_for(task, 5)  # not the 60 s timeout
    assert src.connections == 0 and errors(metrics, "RoomNotResolved") == 0


async def test_resolve_room_off_still_fetches_hosts_and_keys() -> None:
    async def script(conn: ServerConnection, n: int) -> None:
        await send_all(conn, [command(danmu("direct"))])

    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with BiliServer(script) as a, ApiServer(rooms={}) as api:
        api.hosts = [host(a)]
        src = source(api.url, metrics, resolve_room=False)
        async with running(src, sink):
            await wait_for(lambda: sink.texts())
    assert api.room_init_calls == []
    assert api.danmu_info_calls == [{"id": "2233", "type": "0"}]
    assert [(x["roomid"], x["key"]) for x in a.auths] == [(2233, "token-1")]


async def test_a_logged_in_uid_without_its_cookie_keeps_its_own_key() -> None:
    """The API's key is an anonymous visitor's unless the account's cookie asked for it."""

    async def script(conn: ServerConnection, n: int) -> None:
        await send_all(conn, [command(danmu(f"n{n}"))])
        await conn.close()

    metrics = Metrics(CollectorRegistry())
    sink = Collector()
    async with BiliServer(script) as a, ApiServer(rooms={2233: 2233}) as api:
        api.hosts = [host(a)]
        src = source(api.url, metrics, uid=5, key="mine")
        async with running(src, sink):
            await wait_for(lambda: "n2" in sink.texts(), show=sink.texts)
        with_cookie = source(api.url, metrics, uid=5, key="mine", cookie="SESSDATA=s")
        async with running(with_cookie, sink):
            await wait_for(lambda: len(a.auths) >= 3, show=lambda: a.auths)
    assert [(x["uid"], x["key"]) for x in a.auths[:2]] == [(5, "mine"), (5, "mine")]
    assert a.auths[2]["uid"] == 5 and a.auths[2]["key"].startswith("token-")
    assert len(api.danmu_info_calls) >= 3  # the hosts still came from the API
