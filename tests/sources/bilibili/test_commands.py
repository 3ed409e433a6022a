"""Command packets to records, synchronously; samples shaped after the public description."""

from __future__ import annotations

import json
from typing import Any

import pytest

from roomwatch.core.record import Comment
from roomwatch.sources.bilibili.commands import Ignored, Malformed, to_record
from tests.sources.bilibili.server import danmu


def record(body: Any) -> Comment:
    mapped = to_record(body, "r1")
    assert isinstance(mapped, dict), mapped
    return Comment.from_dict(mapped, received_at=0.0)


def test_danmu_msg_becomes_a_comment_with_user_medal_and_time() -> None:
    c = record(danmu("3号链接多少钱", uid=42, name="小李", medal=12, ts_ms=1_764_115_200_250))
    assert (c.room, c.text, c.kind, c.platform) == ("r1", "3号链接多少钱", "comment", "bilibili")
    assert c.ts == 1_764_115_200.25
    assert (c.user.id, c.user.name, c.user.level) == ("42", "小李", 12)
    assert c.extra["medal"] == {"level": 12, "name": "苹果"}
    assert c.id is None  # this sample carries no id_str


def test_danmu_msg_of_an_anonymous_connection_keeps_the_uid_hash() -> None:
    """Without a login the server sends uid 0 and a masked name; the hash tells senders apart."""
    c = record(danmu("好", uid=0, name="提***", medal=0))
    assert (c.user.id, c.user.name, c.user.level) == ("hash:5b3a9c1d", "提***", None)
    assert "medal" not in c.extra


def test_danmu_msg_id_str_and_old_suffixed_cmd() -> None:
    body = danmu("在吗")
    body["cmd"] = "DANMU_MSG:4:0:2:2:2:0"
    body["info"][0][15]["extra"] = json.dumps({"id_str": "abc123"})
    assert record(body).id == "dm-abc123"


def test_superchat_gift_and_enter() -> None:
    sc = record(
        {
            "cmd": "SUPER_CHAT_MESSAGE",
            "data": {
                "id": 9001,
                "uid": 77,
                "price": 30,
                "message": "主播什么时候发货",
                "start_time": 1_764_115_300,
                "user_info": {"uname": "阿强"},
                "medal_info": {"medal_level": 5, "medal_name": "苹果"},
            },
        }
    )
    assert (sc.kind, sc.text, sc.amount, sc.ts, sc.id) == (
        "superchat",
        "主播什么时候发货",
        30.0,
        1_764_115_300.0,
        "sc-9001",
    )
    assert (sc.user.id, sc.user.name, sc.user.level) == ("77", "阿强", 5)
    gift = record(
        {
            "cmd": "SEND_GIFT",
            "data": {
                "giftName": "小心心",
                "num": 3,
                "uid": 78,
                "uname": "小王",
                "coin_type": "gold",
                "total_coin": 1500,
                "timestamp": 1_764_115_301,
                "tid": "1764115301123",
            },
        }
    )
    assert (gift.kind, gift.text, gift.amount, gift.id) == (
        "gift",
        "小心心 ×3",
        1.5,
        "gift-1764115301123",
    )
    silver = record({"cmd": "SEND_GIFT", "data": {"giftName": "辣条", "coin_type": "silver"}})
    assert silver.amount == 0.0 and silver.text == "辣条 ×1"
    enter = record(
        {
            "cmd": "INTERACT_WORD",
            "data": {"uid": 79, "uname": "路人", "msg_type": 1, "timestamp": 1_764_115_302},
        }
    )
    assert (enter.kind, enter.text, enter.user.id, enter.ts) == ("enter", "", "79", 1_764_115_302.0)


@pytest.mark.parametrize(
    "body",
    [
        {"cmd": "ONLINE_RANK_COUNT", "data": {"count": 5}},
        {"cmd": "WATCHED_CHANGE", "data": {}},
        {"cmd": "INTERACT_WORD", "data": {"uid": 1, "msg_type": 2}},  # a follow, not an entry
    ],
)
def test_other_commands_are_ignored(body: dict[str, Any]) -> None:
    assert isinstance(to_record(body, "r1"), Ignored)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "DANMU_MSG",
        {"no": "cmd"},
        {"cmd": 5},
        {"cmd": "DANMU_MSG"},
        {"cmd": "DANMU_MSG", "info": [[], 5, []]},
        {"cmd": "DANMU_MSG", "info": [0, "x", []]},
        {"cmd": "SUPER_CHAT_MESSAGE", "data": {"message": "x", "price": "30"}},
        {"cmd": "SUPER_CHAT_MESSAGE", "data": {"message": "x", "price": True}},
        {"cmd": "SEND_GIFT", "data": []},
        {"cmd": "SEND_GIFT", "data": {"giftName": "x", "num": -1}},
        {"cmd": "INTERACT_WORD", "data": None},
    ],
)
def test_malformed_commands_say_why(body: Any) -> None:
    assert isinstance(to_record(body, "r1"), Malformed)
