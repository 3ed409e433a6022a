"""End to end: a [[sources.bilibili]] room in a running Service, its DANMU_MSG judged."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry
from websockets.asyncio.server import ServerConnection

from roomwatch.core.analyze import Analyzer
from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.service import Service
from tests.conftest import make_settings
from tests.sources.bilibili.api_server import ApiServer
from tests.sources.bilibili.server import BiliServer, brotli_batch, command, danmu, send_all
from tests.support.wait import wait_for


async def test_a_danmu_msg_reaches_the_pipeline_as_a_verdict(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    async def script(conn: ServerConnection, n: int) -> None:
        await send_all(
            conn,
            [
                brotli_batch(
                    command({"cmd": "ONLINE_RANK_COUNT", "data": {"count": 3}}),
                    command(danmu("3号链接多少钱", uid=4242, name="小李", medal=9)),
                )
            ],
        )

    verdicts: list[Verdict] = []

    def collect(results: Sequence[Result]) -> None:
        verdicts.extend(r for r in results if isinstance(r, Verdict))

    async with BiliServer(script) as server:
        settings = make_settings(
            store={"path": str(tmp_path / "rw.sqlite3")},
            sources={
                "bilibili": [
                    {"room_id": 2233, "url": server.url, "heartbeat_s": 0.5, "api_url": ""}
                ]
            },
        )
        async with Service(
            settings, analyzer=analyzer, registry=CollectorRegistry(), extra_outputs=[collect]
        ) as svc:
            await wait_for(lambda: verdicts, show=lambda: server.connections)
            assert svc.source_health.to_dict()["bilibili-2233"]["state"] == "running"
    (verdict,) = verdicts
    comment = verdict.comment
    assert (comment.room, comment.text, comment.platform) == (
        "bilibili-2233",
        "3号链接多少钱",
        "bilibili",
    )
    assert (comment.user.id, comment.user.name, comment.user.level) == ("4242", "小李", 9)
    assert verdict.label == "question"
    assert server.auths[0]["roomid"] == 2233


async def test_a_short_room_id_from_config_is_resolved_through_the_api(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    """[[sources.bilibili]] with api_url: the short id resolved, the API's host and key used."""

    async def script(conn: ServerConnection, n: int) -> None:
        await send_all(conn, [command(danmu("包邮吗", uid=7, name="阿花", medal=0))])

    verdicts: list[Verdict] = []

    def collect(results: Sequence[Result]) -> None:
        verdicts.extend(r for r in results if isinstance(r, Verdict))

    async with BiliServer(script) as server, ApiServer(rooms={1: 2233}) as api:
        port = urlsplit(server.url).port
        assert port is not None
        api.hosts = [("127.0.0.1", port)]
        source = {"room_id": 1, "url": "ws://127.0.0.1:9/sub", "api_url": api.url}
        settings = make_settings(
            store={"path": str(tmp_path / "rw.sqlite3")},
            sources={"bilibili": [{**source, "heartbeat_s": 0.5}]},
        )
        async with Service(
            settings, analyzer=analyzer, registry=CollectorRegistry(), extra_outputs=[collect]
        ) as svc:
            await wait_for(lambda: verdicts, show=lambda: (api.room_init_calls, server.auths))
            assert svc.source_health.to_dict()["bilibili-1"]["state"] == "running"
    (verdict,) = verdicts
    assert (verdict.comment.room, verdict.comment.text) == ("bilibili-1", "包邮吗")
    assert [(a["roomid"], a["key"]) for a in server.auths] == [(2233, "token-1")]
