"""Viewer text in chat-bot alerts: inert markup, bounded sizes, logged failures.

Every test delivers through the real sink to the real local receiver of
``test_webhook`` and inspects what arrived.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from prometheus_client import CollectorRegistry

from roomwatch.core.alerts import AlertEvent, Sample
from roomwatch.retry import RetryPolicy
from roomwatch.sinks.webhook import WebhookTarget
from tests.sinks.test_webhook import (
    DING_SECRET,
    FEISHU_SECRET,
    NOW,
    Receiver,
    delivered,
    deliveries,
    make_event,
    receiver,
    sink_for,
)
from tests.support.wait import wait_for

__all__ = ["receiver"]  # the fixture, re-used from test_webhook

HOSTILE_TEXTS = (
    '<at user_id="all">所有人</at> 快看',
    "@all @所有人 <!channel> <!here> <@U024BE7LH> & <b>",
    "[点我](http://evil.example.cn/x) 领红包",
    "**加粗** ~~删~~ _斜_ `代码` ```块```",
    "# 标题\n> 引用\n- 列表 www.evil.cn evil.cn/a <@wangqing>",
)
HOSTILE_USERS = (
    "坏人\n# 我是标题",
    '<at user_id="all">x</at>',
    "u\r\n> quote\n**b**",
    "1. 列表\n- item",
    "[a](http://evil.cn)",
)


def hostile_event(kind: str = "open") -> AlertEvent:
    event = make_event(kind)
    samples = tuple(
        Sample(text, user, "grievance", -0.8, NOW - 5 + i)
        for i, (text, user) in enumerate(zip(HOSTILE_TEXTS, HOSTILE_USERS, strict=True))
    )
    evidence = replace(
        event.alert.evidence,
        samples=samples,
        accounts=("acc\n# h", "<!channel>", "@all"),
        messages=9,
        top_terms=(("[x](http://evil.cn)", 3), ("**粗**", 2)),
        topic="`话题`\n# t",
    )
    alert = replace(
        event.alert,
        room='room\n## <at user_id="all">房间</at>',
        summary="直播间出现集中投诉：<!channel> [点我](http://evil.cn)\n# 假标题",
        evidence=evidence,
    )
    return replace(event, alert=alert, actor="mod\n# <!here>")


def all_targets(server: TestServer) -> list[WebhookTarget]:
    url = lambda path: str(server.make_url(path))  # noqa: E731
    feishu = url("/open-apis/bot/v2/hook/tok")
    ding = url("/robot/send?access_token=abc")
    wecom = url("/cgi-bin/webhook/send?key=k-123")
    every = frozenset({"open", "update", "resolve", "ack"})
    return [
        WebhookTarget("feishu", feishu, "feishu", secret=FEISHU_SECRET, kinds=every),
        WebhookTarget("feishu-text", feishu, "feishu", style="text", kinds=every),
        WebhookTarget("ding", ding, "dingtalk", secret=DING_SECRET, kinds=every),
        WebhookTarget("ding-text", ding, "dingtalk", style="text", kinds=every),
        WebhookTarget("wecom", wecom, "wecom", kinds=every),
        WebhookTarget("wecom-text", wecom, "wecom", style="text", kinds=every),
        WebhookTarget("slack", url("/services/T0/B0/x"), "slack", kinds=every),
        WebhookTarget("slack-text", url("/services/T0/B0/x"), "slack", style="text", kinds=every),
        WebhookTarget("json", url("/hook/plain"), "json", kinds=every),
    ]


def shown_texts(body: dict[str, Any]) -> list[str]:
    """Every string a chat client renders from ``body`` (keys that are not structure)."""
    out: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("content", "text", "title"):
            out.append(node)

    walk(body)
    return out


async def deliver_all(server: TestServer, rx: Receiver, events: list[AlertEvent]) -> None:
    targets = all_targets(server)
    registry = CollectorRegistry()
    async with sink_for(targets, registry) as sink:
        for event in events:
            sink.enqueue(event)
        await wait_for(
            lambda: all(delivered(registry, t.name) == len(events) for t in targets), timeout=10
        )


# The markup each dialect would act on, if it reached the client raw.
_ACTIVE = re.compile(
    r"<at\b|<@|<!|\]\(|\*\*|`|~~|\b_[^_\s]|https?://|\bwww\.|\bevil\.(?:example\.)?cn|@all|@所有人"
)


def assert_inert(fmt: str, text: str) -> None:
    assert not _ACTIVE.search(text), (fmt, _ACTIVE.search(text), text)
    for line in text.split("\n"):
        rest = line[2:] if line.startswith(("- ", "> ")) else line
        if rest.startswith(("## 【", "### 【")):
            continue  # our heading
        # No viewer field may open a heading, quote or list, nor start a line.
        assert not re.match(r"[#>*+\-=`\[<|]|\d+[.)]|\s", rest), (fmt, line)
        for fragment in ("我是标题", "quote", "item", "假标题", "引用"):
            assert not rest.lstrip("＃＞－ ").startswith(fragment), (fmt, line)


async def test_hostile_viewer_text_is_inert_in_every_format_and_style(
    receiver: tuple[Receiver, TestServer],
) -> None:
    rx, server = receiver
    events = [hostile_event("open"), hostile_event("ack")]
    await deliver_all(server, rx, events)

    for name in ("feishu", "dingtalk", "wecom"):
        for got in rx.got[name]:
            body = got["body"]
            # Feishu cards: viewer text only ever in plain_text, never lark_md.
            assert "lark_md" not in json.dumps(body)
            for text in shown_texts(body):
                unquoted = re.sub(r"(?m)^> ", "", text)  # our quote marks
                assert "<" not in unquoted and ">" not in unquoted, text
                assert_inert(name, text)
            # The words survive, readable: full-width twins, defanged links.
            everything = "\n".join(shown_texts(body))
            assert '＜at user＿id="all"＞所有人＜/at＞' in everything
            assert (
                "＠all" in everything
                and "［点我］(http［:］//evil［.］example［.］cn/x)" in everything
            )

    for got in rx.got["slack"]:
        body = got["body"]
        header = body["blocks"][0]["text"] if "blocks" in body else None
        if header is not None:
            # plain_text is shown as typed (no parsing): cleaned and defanged only.
            assert header["type"] == "plain_text" and "\n" not in header["text"]
            assert not re.search(r"https?://|evil\.cn", header["text"])
            header["text"] = ""
        for text in shown_texts(body):
            # Slack's control characters arrive only as its entities.
            unquoted = re.sub(r"(?m)^> ", "", text)  # our quote marks
            assert "<" not in unquoted and ">" not in unquoted, text
            assert not re.search(r"&(?!amp;|lt;|gt;)", text), text
            # ([x](url) is not mrkdwn: Slack links are <url|x>, and the URL is defanged.)
            assert not _ACTIVE.search(text.replace("](", "] (")), text
        blob = json.dumps(body, ensure_ascii=False)
        assert "&lt;!channel&gt;" in blob and "&lt;＠U024BE7LH&gt;" in blob and "&amp;" in blob
        for block in body.get("blocks", []):
            if block["type"] == "section":
                assert block["text"]["verbatim"] is True

    # The generic JSON format keeps the data as data (capped, not escaped).
    plain = rx.got["plain"][0]["body"]
    assert plain["alert"]["evidence"]["samples"][0]["text"].startswith('<at user_id="all">')
    assert "\n" not in plain["text"].split("\n")[0]


@pytest.mark.parametrize(
    "field",
    ["user", "text", "accounts", "terms", "room_and_summary"],
)
async def test_huge_viewer_fields_stay_within_every_vendor_limit(
    receiver: tuple[Receiver, TestServer], field: str
) -> None:
    rx, server = receiver
    huge = "长" * 9000 + "x*" * 3000
    event = make_event()
    ev = event.alert.evidence
    if field == "user":
        ev = replace(
            ev, samples=tuple(replace(s, user=f"{huge}{i}") for i, s in enumerate(ev.samples))
        )
    elif field == "text":
        ev = replace(ev, samples=tuple(replace(s, text=huge) for s in ev.samples))
    elif field == "accounts":
        ev = replace(ev, accounts=tuple(f"{huge}{i}" for i in range(50)), messages=99, users=50)
    elif field == "terms":
        ev = replace(ev, top_terms=tuple((f"{huge}{i}", 9) for i in range(6)), topic=huge)
    alert = replace(event.alert, evidence=ev)
    if field == "room_and_summary":
        alert = replace(alert, room=huge, summary=huge * 5, id="al-0001")
    event = replace(event, alert=alert, actor=huge)
    await deliver_all(server, rx, [event, replace(event, kind="ack")])

    for got in rx.got["feishu"]:
        raw = json.dumps(got["body"], ensure_ascii=False).encode()
        assert len(raw) <= 20_000  # Feishu custom bot: 20 KB per request body
    for got in rx.got["dingtalk"]:
        assert len(json.dumps(got["body"], ensure_ascii=False).encode()) <= 20_000
    wmd, wtext, *_ = rx.got["wecom"]
    assert len(wmd["body"]["markdown"]["content"].encode()) <= 4096
    assert len(wtext["body"]["text"]["content"].encode()) <= 2048
    for got in rx.got["slack"]:
        body = got["body"]
        assert len(body["text"]) <= 4000
        for block in body.get("blocks", []):
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
    for got in rx.got["plain"]:
        assert len(json.dumps(got["body"], ensure_ascii=False).encode()) <= 64 * 1024
        for s in got["body"]["alert"]["evidence"]["samples"]:
            assert len(s["text"]) <= 200 and len(s["user"] or "") <= 64
    # Every chat message still names the alert: samples went first, not the id.
    for name in ("feishu", "dingtalk", "wecom", "slack"):
        for got in rx.got[name]:
            assert "al-0001" in json.dumps(got["body"], ensure_ascii=False), name


async def test_long_user_ids_trim_samples_before_anything_else(
    receiver: tuple[Receiver, TestServer],
) -> None:
    rx, server = receiver
    wide = "＊" * 200  # 3 bytes a character: caps alone leave WeCom text over 2048 bytes
    event = make_event()
    ev = replace(
        event.alert.evidence,
        samples=tuple(Sample(wide, wide + str(i), "abuse", -0.9, NOW) for i in range(5)),
        accounts=tuple(wide + str(i) for i in range(8)),
        messages=40,
    )
    event = replace(event, alert=replace(event.alert, evidence=ev))
    await deliver_all(server, rx, [event])
    text = rx.got["wecom"][1]["body"]["text"]["content"]
    assert len(text.encode()) <= 2048
    assert text.endswith("告警ID：al-0001")  # whole, not clipped
    assert 0 < text.count("（辱骂，") < 5  # some samples dropped, not all


async def test_final_failures_log_one_warning_naming_the_target_only(
    receiver: tuple[Receiver, TestServer], caplog: pytest.LogCaptureFixture
) -> None:
    rx, server = receiver
    rx.fail_first["down"] = 100
    rx.status_for_failures = 503
    secret = "s3cr3t-DO-NOT-LOG"
    rejected = WebhookTarget(
        "ops-feishu",
        str(server.make_url("/open-apis/bot/v2/hook/TOKEN-abc123")),
        "feishu",
        secret=secret,
    )
    failed = WebhookTarget(
        "ops-json", str(server.make_url("/hook/down?token=TOKEN-def456")), secret=secret
    )
    registry = CollectorRegistry()
    caplog.set_level(logging.WARNING, logger="roomwatch.sinks.webhook")
    async with sink_for(
        [rejected, failed], registry, policy=RetryPolicy(max_attempts=3, base_delay=0.0)
    ) as sink:
        sink.enqueue(make_event())
        await wait_for(
            lambda: (
                deliveries(
                    registry,
                    target="ops-feishu",
                    outcome="rejected",
                )
                == 1
                and deliveries(
                    registry,
                    target="ops-json",
                    outcome="failed",
                )
                == 1
            )
        )
    records = [r for r in caplog.records if r.name == "roomwatch.sinks.webhook"]
    assert all(r.levelno == logging.WARNING for r in records)
    for name, outcome in (("ops-feishu", "rejected"), ("ops-json", "failed")):
        mine = [r.getMessage() for r in records if f"'{name}'" in r.getMessage()]
        assert len(mine) == 1, mine
        assert outcome in mine[0] and "al-0001" in mine[0]
    port = str(server.port)
    for r in records:
        message = r.getMessage()
        for leak in ("TOKEN-", secret, port, "/hook/", "127.0.0.1", "://"):
            assert leak not in message, message
    assert rx.hits["down"] == 3  # one line for three attempts
