"""Mapped websocket sources: each shipped fetcher format through a real upstream.

The sample messages are written by hand from each format's public
documentation (see mappings/NOTICE); none is captured traffic.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from websockets.asyncio.server import ServerConnection, serve

from roomwatch.config.field_maps import field_map_for, load_field_map
from roomwatch.config.sections import WebSocketSourceSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.mapping import FieldMap
from roomwatch.metrics import Metrics
from roomwatch.service import Service
from roomwatch.sources.websocket import Backoff, WebSocketSource
from tests.conftest import make_settings
from tests.sources.test_websocket import Collector
from tests.support.wait import wait_for

T0 = 1764115200  # 2025-11-26 00:00 UTC

DYCAST_FRAMES: list[Any] = [
    # On connect: the room-info object (no method), then batches.
    {"roomId": "7300000000000000001", "nickname": "果园主播", "title": "苹果助农", "status": 2},
    [
        {
            "id": "d1",
            "method": "WebcastChatMessage",
            "content": "3号链接多少钱",
            "user": {"id": "u-1", "name": "小李"},
        },
        {
            "id": "d2",
            "method": "WebcastGiftMessage",
            "user": {"id": "u-2", "name": "老王"},
            "gift": {"id": "g1", "name": "小心心", "price": 10, "count": "3"},
        },
        {
            "id": "d3",
            "method": "WebcastMemberMessage",
            "content": "来了",
            "user": {"id": "u-3", "name": "阿花"},
        },
        {"id": "d4", "method": "WebcastRoomUserSeqMessage", "room": {"audienceCount": 12}},
        {"id": "d5", "method": "WebcastChatMessage", "user": {"id": "u-4", "name": "空"}},
    ],
]

BARRAGEGRAB_FRAMES: list[Any] = [
    {
        "Type": 1,
        "ProcessName": "chrome",
        "Data": json.dumps(
            {
                "MsgId": 7426000000000000001,
                "Content": "包邮吗",
                "RoomId": 7300000000000000002,
                "User": {"Id": 111, "Nickname": "用户A", "Level": 5},
            },
            ensure_ascii=False,
        ),
    },
    {
        "Type": 5,
        "ProcessName": "chrome",
        "Data": json.dumps(
            {
                "MsgId": 7426000000000000002,
                "Content": "用户B 送出 玫瑰 x1",
                "GiftName": "玫瑰",
                "DiamondCount": 1,
                "GiftCount": 5,
                "RepeatCount": 15,
                "RoomId": 7300000000000000002,
                "User": {"Id": 222, "Nickname": "用户B"},
            },
            ensure_ascii=False,
        ),
    },
    {"Type": 4, "Data": json.dumps({"MsgId": 3, "RoomId": 7300000000000000002})},
    {"Type": 1, "Data": "{not json"},
    {
        "Type": 3,
        "Data": json.dumps(
            {
                "MsgId": 7426000000000000004,
                "Content": "用户C 来了",
                "RoomId": 7300000000000000002,
                "User": {"Id": 333, "Nickname": "用户C"},
            },
            ensure_ascii=False,
        ),
    },
]

BILIBILI_FRAMES: list[Any] = [
    {
        "cmd": "DANMU_MSG",
        "info": [
            [0, 1, 25, 16777215, (T0 + 5) * 1000, 0, 0, "", 0],
            "主播好，这个尺码偏大吗",
            [1001, "弹幕用户", 0, 0, 0, 10000, 1],
            [3, "果粉", "主播", 22, 0],
            [12, 0, 0, ">50000"],
        ],
    },
    {
        "cmd": "SUPER_CHAT_MESSAGE",
        "data": {
            "id": 88,
            "uid": 1002,
            "price": 30,
            "message": "什么时候发货",
            "ts": T0 + 6,
            "user_info": {"uname": "醒目留言用户"},
        },
    },
    {
        "cmd": "SEND_GIFT",
        "data": {
            "uid": 1003,
            "uname": "送礼用户",
            "giftName": "辣条",
            "num": 1,
            "total_coin": 100,
            "timestamp": T0 + 7,
        },
    },
    {"cmd": "INTERACT_WORD", "data": {"uid": 1004, "uname": "进场用户", "timestamp": T0 + 8}},
    {"cmd": "ONLINE_RANK_COUNT", "data": {"count": 5}},
    {"cmd": "DANMU_MSG", "info": [[0], ["not", "text"], [1005, "n"]]},
]


async def _run(frames: list[Any], fmap: FieldMap, expect: int) -> Collector:
    async def upstream(conn: ServerConnection) -> None:
        for frame in frames:
            await conn.send(json.dumps(frame, ensure_ascii=False))
        await conn.wait_closed()

    sink = Collector()
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = WebSocketSource(
            f"ws://127.0.0.1:{port}",
            Metrics(CollectorRegistry()),
            name="fetcher",
            backoff=Backoff(initial=0.01, maximum=0.05, rng=random.Random(1)),
            field_map=fmap,
        )
        task = asyncio.create_task(source.run(sink))
        await wait_for(
            lambda: len(sink.comments) + len(sink.rejects) >= expect,
            show=lambda: (sink.comments, sink.rejects),
        )
        source.close()
        await asyncio.wait_for(task, 5)
        assert source.connections == 1  # bad messages never cost the connection
    return sink


def _map(name: str, room: str = "") -> FieldMap:
    return field_map_for(
        WebSocketSourceSettings(url="ws://unused", mapping=name, room=room)
    ) or load_field_map(name)


async def test_dycast_relay_batches() -> None:
    sink = await _run(DYCAST_FRAMES, _map("dycast", room="dy-room"), expect=6)
    got = [(c.kind, c.text, c.id, c.user.id, c.user.name, c.amount) for c in sink.comments]
    assert got == [
        ("comment", "3号链接多少钱", "d1", "u-1", "小李", None),
        ("gift", "小心心", "d2", "u-2", "老王", pytest.approx(3.0)),  # 10 coins × 3
        ("enter", "来了", "d3", "u-3", "阿花", None),
    ]
    assert {c.room for c in sink.comments} == {"dy-room"}
    assert {c.platform for c in sink.comments} == {"douyin"}
    assert [e.reason for e in sink.rejects] == ["filtered", "filtered", "unmapped"]
    assert "no message type" in str(sink.rejects[0])
    assert "WebcastRoomUserSeqMessage" in str(sink.rejects[1])
    assert "no text" in str(sink.rejects[2])


async def test_douyin_barragegrab_json_in_a_string() -> None:
    sink = await _run(BARRAGEGRAB_FRAMES, _map("douyin-barragegrab"), expect=5)
    got = [(c.room, c.kind, c.text, c.id, c.user.id, c.user.level) for c in sink.comments]
    assert got == [
        ("7300000000000000002", "comment", "包邮吗", "7426000000000000001", "111", 5),
        ("7300000000000000002", "gift", "玫瑰", "7426000000000000002", "222", None),
        ("7300000000000000002", "enter", "用户C 来了", "7426000000000000004", "333", None),
    ]
    assert sink.comments[1].amount == pytest.approx(0.5)  # 1 coin × 5 (this message's gifts)
    assert [e.reason for e in sink.rejects] == ["filtered", "not_json"]


async def test_bilibili_command_json() -> None:
    sink = await _run(BILIBILI_FRAMES, _map("bilibili-cmd", room="bili-1"), expect=6)
    got = [(c.kind, c.text, c.user.id, c.user.name, c.ts, c.amount) for c in sink.comments]
    assert got == [
        ("comment", "主播好，这个尺码偏大吗", "1001", "弹幕用户", T0 + 5, None),
        ("superchat", "什么时候发货", "1002", "醒目留言用户", T0 + 6, 30.0),
        ("gift", "辣条", "1003", "送礼用户", T0 + 7, pytest.approx(0.1)),
        ("enter", "", "1004", "进场用户", T0 + 8, None),
    ]
    assert sink.comments[0].user.level == 12
    assert [e.reason for e in sink.rejects] == ["filtered", "unmapped"]
    assert "text at 'info.1' is a JSON list" in str(sink.rejects[1])


async def test_a_service_runs_a_mapped_source_from_config(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    """[[sources.websocket]] with a map: verdicts come out, filtered types are counted."""

    async def upstream(conn: ServerConnection) -> None:
        for frame in DYCAST_FRAMES:
            await conn.send(json.dumps(frame, ensure_ascii=False))
        await conn.wait_closed()

    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        settings = make_settings(
            store={"path": str(tmp_path / "rw.sqlite3")},
            sources={
                "websocket": [
                    {
                        "url": f"ws://127.0.0.1:{port}",
                        "name": "dycast",
                        "mapping": "dycast",
                        "room": "dy-room",
                    },
                ]
            },
        )
        async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
            reg = svc.metrics.registry
            await wait_for(lambda: svc.pipeline.processed >= 3)
            filtered = await wait_for(
                lambda: reg.get_sample_value(
                    "roomwatch_component_discarded_events_total",
                    {"component_kind": "source", "component_id": "dycast", "reason": "filtered"},
                )
            )
            assert filtered == 2
            assert (
                reg.get_sample_value(
                    "roomwatch_component_sent_events_total",
                    {"component_kind": "source", "component_id": "dycast"},
                )
                == 3
            )
            assert svc.pipeline.processed == 3
