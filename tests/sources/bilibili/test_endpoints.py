"""Reading the live API's answers, and the host ring, without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from roomwatch.config import InvalidConfig, settings_from_dict
from roomwatch.sources.bilibili.endpoints import (
    ApiError,
    DanmuInfo,
    HostRing,
    parse_danmu_info,
    parse_room_init,
    scheme_and_path,
)

HOSTS = [
    {"host": "a.chat.example", "port": 2243, "wss_port": 443, "ws_port": 2244},
    {"host": "b.chat.example", "port": 2243, "wss_port": 8443, "ws_port": 2245},
    {"host": "b.chat.example", "port": 2243, "wss_port": 8443, "ws_port": 2245},  # twice
    {"host": "bad host/", "wss_port": 443},
    {"host": "c.chat.example", "wss_port": "443"},
    {"host": "d.chat.example", "wss_port": 70000},
    "not an object",
    {"host": "e.chat.example"},  # no port: the scheme's usual one
]


def ok(data: Any) -> dict[str, Any]:
    return {"code": 0, "message": "0", "data": data}


def test_room_init_gives_the_real_id() -> None:
    assert parse_room_init(ok({"room_id": 5440, "short_id": 1})) == 5440


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"code": 60004, "message": "直播间不存在", "data": {}}, "code 60004 (直播间不存在)"),
        (ok({"room_id": 0}), "no room id"),
        (ok({"room_id": "5440"}), "no room id"),
        (ok(None), "no data object"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_room_init_refusals_and_odd_answers(body: object, says: str) -> None:
    with pytest.raises(ApiError, match=says.replace("(", r"\(").replace(")", r"\)")):
        parse_room_init(body)


def test_danmu_info_hosts_by_scheme_and_the_bad_ones_skipped() -> None:
    wss = parse_danmu_info(ok({"token": "t1", "host_list": HOSTS}), "wss")
    assert wss == DanmuInfo(
        "t1",
        (
            "wss://a.chat.example:443/sub",
            "wss://b.chat.example:8443/sub",
            "wss://e.chat.example:443/sub",
        ),
    )
    ws = parse_danmu_info(ok({"token": "t1", "host_list": HOSTS}), "ws", "/other")
    # c's and d's bad port is their wss one: as ws hosts, they take the usual ws port.
    assert ws.urls == tuple(
        f"ws://{h}.chat.example:{p}/other"
        for h, p in zip("abcde", (2244, 2245, 2244, 2244, 2244), strict=True)
    )


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"host_list": HOSTS}, "no token"),
        ({"token": "", "host_list": HOSTS}, "no token"),
        ({"token": "t"}, "no host list"),
        ({"token": "t", "host_list": []}, "no usable host"),
        ({"token": "t", "host_list": [{"host": "x y"}]}, "no usable host"),
    ],
)
def test_danmu_info_without_what_a_connection_needs(data: dict[str, Any], says: str) -> None:
    with pytest.raises(ApiError, match=says):
        parse_danmu_info(ok(data), "wss")
    with pytest.raises(ApiError, match="code -352"):
        parse_danmu_info({"code": -352, "message": "-352"}, "wss")


def test_the_configured_url_gives_the_scheme_and_path() -> None:
    assert scheme_and_path("wss://broadcastlv.chat.bilibili.com/sub") == ("wss", "/sub")
    assert scheme_and_path("ws://127.0.0.1:9/x") == ("ws", "/x")
    assert scheme_and_path("ws://127.0.0.1:9") == ("ws", "/sub")


def test_the_host_ring_stays_while_a_host_works_and_moves_on_when_it_fails() -> None:
    ring = HostRing()
    urls = ["a", "b", "c"]
    assert [ring.pick(urls), ring.pick(urls)] == ["a", "a"]
    ring.failed()
    assert ring.pick(urls) == "b"
    ring.failed()
    ring.failed()
    assert ring.pick(urls) == "a"  # round again
    assert ring.pick(["x"]) == "x"  # a shorter list from the next answer


@pytest.mark.parametrize(
    ("over", "says"),
    [
        ({"url": "http://127.0.0.1/sub"}, ".url must be a ws:// or wss:// URL"),
        ({"api_url": "ftp://x"}, ".api_url must be an http(s) URL"),
        ({"api_url": "https://"}, ".api_url must be an http(s) URL"),
    ],
)
def test_bad_addresses_stop_the_config(over: dict[str, str], says: str) -> None:
    raw = {"sources": {"bilibili": [{"room_id": 1, **over}]}}
    with pytest.raises(InvalidConfig) as info:
        settings_from_dict(raw, environ={})
    assert says in str(info.value) and "sources.bilibili[0]" in str(info.value)


def test_the_api_keys_default_on_and_the_cookie_may_come_from_the_environment() -> None:
    raw = {"sources": {"bilibili": [{"room_id": 1, "cookie": "env:BILI_COOKIE"}]}}
    s = settings_from_dict(raw, environ={"BILI_COOKIE": "SESSDATA=x"}).bilibili_sources[0]
    assert (s.api_url, s.resolve_room, s.cookie) == (
        "https://api.live.bilibili.com",
        True,
        "SESSDATA=x",
    )
    empty = {"sources": {"bilibili": [{"room_id": 1, "api_url": ""}]}}
    assert settings_from_dict(empty, environ={}).bilibili_sources[0].api_url == ""
