"""The webhook sink against a real local aiohttp receiver on a free port."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import time
import typing
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client import CollectorRegistry

from roomwatch.config.sections import WebhookSettings
from roomwatch.core.alerts import DETECTORS, Alert, AlertEvent, Evidence, Sample
from roomwatch.core.errors import ConfigError
from roomwatch.retry import RetryPolicy
from roomwatch.sinks.webhook import (
    WebhookSink,
    WebhookTarget,
    build_request,
    dingtalk_sign,
    feishu_sign,
)
from tests.support.wait import wait_for

NOW = 1_764_115_800.0  # the injected wall clock for signatures
DING_SECRET = "SEC0123456789abcdef"
FEISHU_SECRET = "feishu-secret-xyz"


def make_event(
    kind: str = "open",
    severity: str = "warning",
    room: str = "county-apples-1126",
    escalated: bool = False,
    alert_id: str = "al-0001",
) -> AlertEvent:
    evidence = Evidence(
        count=14,
        window_seconds=20.0,
        rate_per_min=42.0,
        baseline_per_min=1.5,
        share=0.22,
        baseline_share=0.01,
        users=12,
        top_terms=(("发霉", 9), ("烂果", 4), ("退款", 2)),
        samples=tuple(
            Sample(f"收到的苹果全发霉了{i}<b>", f"u{i}", "grievance", -0.8, NOW - 10 + i)
            for i in range(5)
        ),
        topic="质量问题",
    )
    alert = Alert(
        id=alert_id,
        room=room,
        detector="grievance_topic",
        key="质量问题",
        severity=severity,
        state="resolved" if kind == "resolve" else "open",
        started_at=NOW - 30,
        updated_at=NOW,
        summary="直播间「county-apples-1126」出现集中投诉「质量问题」：近20秒12位用户发出14条。",
        evidence=evidence,
        resolved_at=NOW if kind == "resolve" else None,
    )
    return AlertEvent(kind, alert, NOW, escalated=escalated)


@dataclass
class Receiver:
    """Records what each vendor endpoint got, and answers like the vendor does."""

    got: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fail_first: dict[str, int] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    status_for_failures: int = 500

    def record(self, name: str, request: web.Request, body: Any) -> None:
        self.got.setdefault(name, []).append(
            {"body": body, "query": dict(request.query), "headers": dict(request.headers)}
        )

    def should_fail(self, name: str) -> bool:
        self.hits[name] = self.hits.get(name, 0) + 1
        return self.hits[name] <= self.fail_first.get(name, 0)


def _app(rx: Receiver) -> web.Application:
    async def generic(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if rx.should_fail(name):
            return web.Response(status=rx.status_for_failures, text="busy")
        raw = await request.read()
        body = json.loads(raw)
        rx.record(name, request, body)
        secret = request.query.get("secret")
        if secret is not None:
            ts = request.headers["X-Roomwatch-Timestamp"]
            want = hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
            if request.headers["X-Roomwatch-Signature"] != "sha256=" + want:
                return web.Response(status=401)
        return web.json_response({"ok": True})

    async def dingtalk(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        rx.record("dingtalk", request, body)
        if "sign" in request.query:
            # Verify as DingTalk does: recompute from our copy of the secret.
            ts = request.query["timestamp"]
            mac = hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(), hashlib.sha256)
            if request.query["sign"] != base64.b64encode(mac.digest()).decode():
                return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
            if abs(int(ts) / 1000 - NOW) > 3600:
                return web.json_response({"errcode": 310000, "errmsg": "timestamp expired"})
        if body.get("msgtype") not in ("text", "markdown"):
            return web.json_response({"errcode": 40035, "errmsg": "bad msgtype"})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def feishu(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        rx.record("feishu", request, body)
        if "sign" in body:
            key = f"{body['timestamp']}\n{FEISHU_SECRET}".encode()
            want = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body["sign"] != want:
                return web.json_response({"code": 19021, "msg": "sign match fail", "data": {}})
        return web.json_response(
            {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
        )

    async def wecom(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        rx.record("wecom", request, body)
        if request.query.get("key") != "k-123":
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def slack(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        rx.record("slack", request, body)
        if "text" not in body and "blocks" not in body:
            return web.Response(status=400, text="invalid_payload")
        return web.Response(text="ok")

    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(3600)
        return web.Response()

    app = web.Application()
    app.router.add_post("/robot/send", dingtalk)
    app.router.add_post("/open-apis/bot/v2/hook/{token}", feishu)
    app.router.add_post("/cgi-bin/webhook/send", wecom)
    app.router.add_post("/services/T0/B0/x", slack)
    app.router.add_post("/hang", hang)
    app.router.add_post("/hook/{name}", generic)
    return app


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, TestServer]]:
    rx = Receiver()
    server = TestServer(_app(rx))
    await server.start_server()
    try:
        yield rx, server
    finally:
        await server.close()


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def metric(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def sink_for(targets: list[WebhookTarget], registry: CollectorRegistry, **kw: Any) -> WebhookSink:
    kw.setdefault("sleep", FakeSleep())
    return WebhookSink(targets, registry=registry, clock=lambda: NOW, rand=lambda: 0.5, **kw)


def deliveries(registry: CollectorRegistry, *, target: str, outcome: str) -> float:
    """Alert events with that final outcome at one target (see roomwatch.metrics)."""
    labels = {"component_kind": "sink", "component_id": f"webhook/{target}"}
    if outcome == "delivered":
        return metric(registry, "roomwatch_component_sent_events_total", **labels)
    return metric(registry, "roomwatch_component_discarded_events_total", **labels, reason=outcome)


def delivered(registry: CollectorRegistry, target: str) -> float:
    return deliveries(registry, target=target, outcome="delivered")


# ----------------------------------------------------------------- formats


async def test_every_format_matches_the_vendor_shape(
    receiver: tuple[Receiver, TestServer],
) -> None:
    rx, server = receiver
    url = lambda path: str(server.make_url(path))  # noqa: E731
    targets = [
        WebhookTarget("json", url("/hook/plain"), "json"),
        WebhookTarget("feishu", url("/open-apis/bot/v2/hook/tok"), "feishu", secret=FEISHU_SECRET),
        WebhookTarget("feishu-text", url("/open-apis/bot/v2/hook/tok"), "feishu", style="text"),
        WebhookTarget("ding", url("/robot/send?access_token=abc"), "dingtalk", secret=DING_SECRET),
        WebhookTarget("ding-text", url("/robot/send?access_token=abc"), "dingtalk", style="text"),
        WebhookTarget("wecom", url("/cgi-bin/webhook/send?key=k-123"), "wecom"),
        WebhookTarget("wecom-text", url("/cgi-bin/webhook/send?key=k-123"), "wecom", style="text"),
        WebhookTarget("slack", url("/services/T0/B0/x"), "slack"),
    ]
    registry = CollectorRegistry()
    async with sink_for(targets, registry) as sink:
        assert sink.enqueue(make_event()) == len(targets)
        await wait_for(lambda: all(delivered(registry, t.name) == 1 for t in targets))
    for t in targets:
        assert deliveries(registry, target=t.name, outcome="rejected") == 0

    plain = rx.got["plain"][0]["body"]
    assert plain["source"] == "roomwatch" and plain["type"] == "open"
    assert plain["alert"]["id"] == "al-0001" and plain["alert"]["severity"] == "warning"
    assert len(plain["alert"]["evidence"]["samples"]) == 5
    assert "质量问题" in plain["text"]

    card, text = rx.got["feishu"]
    assert card["body"]["msg_type"] == "interactive"
    header = card["body"]["card"]["header"]
    assert header["template"] == "orange" and header["title"]["tag"] == "plain_text"
    assert "质量问题" in header["title"]["content"]
    tags = [e["tag"] for e in card["body"]["card"]["elements"]]
    assert tags[0] == "div" and "note" in tags
    assert card["body"]["timestamp"] == str(int(NOW)) and card["body"]["sign"]
    assert text["body"] == {
        "msg_type": "text",
        "content": {"text": text["body"]["content"]["text"]},
    }
    assert "收到的苹果全发霉了0" in text["body"]["content"]["text"]

    md, dtext = rx.got["dingtalk"]
    assert md["body"]["msgtype"] == "markdown"
    assert set(md["body"]["markdown"]) == {"title", "text"}
    assert md["body"]["markdown"]["text"].startswith("### ")
    assert md["query"]["access_token"] == "abc" and md["query"]["timestamp"] == str(int(NOW * 1000))
    assert dtext["body"]["msgtype"] == "text" and "content" in dtext["body"]["text"]
    assert "sign" not in dtext["query"]

    wmd, wtext = rx.got["wecom"]
    assert wmd["body"]["msgtype"] == "markdown" and set(wmd["body"]["markdown"]) == {"content"}
    assert len(wmd["body"]["markdown"]["content"].encode()) <= 4096
    assert wtext["body"]["msgtype"] == "text"
    assert len(wtext["body"]["text"]["content"].encode()) <= 2048

    slack = rx.got["slack"][0]["body"]
    assert "质量问题" in slack["text"]
    types = [b["type"] for b in slack["blocks"]]
    assert types[0] == "header" and types[-1] == "context" and "section" in types
    assert slack["blocks"][0]["text"]["type"] == "plain_text"
    assert len(slack["blocks"][0]["text"]["text"]) <= 150
    quotes = slack["blocks"][-2]["text"]["text"]
    assert quotes.startswith("> ") and "&lt;b&gt;" in quotes and "<b>" not in quotes


async def test_bad_signatures_are_rejected_without_retry(
    receiver: tuple[Receiver, TestServer],
) -> None:
    _, server = receiver
    registry = CollectorRegistry()
    sleep = FakeSleep()
    targets = [
        WebhookTarget(
            "ding",
            str(server.make_url("/robot/send?access_token=abc")),
            "dingtalk",
            secret="SECwrong",
        ),
        WebhookTarget(
            "feishu", str(server.make_url("/open-apis/bot/v2/hook/t")), "feishu", secret="wrong"
        ),
        WebhookTarget("wecom", str(server.make_url("/cgi-bin/webhook/send?key=bad")), "wecom"),
    ]
    async with sink_for(targets, registry, sleep=sleep) as sink:
        sink.enqueue(make_event())
        await wait_for(
            lambda: all(
                deliveries(
                    registry,
                    target=t.name,
                    outcome="rejected",
                )
                == 1
                for t in targets
            )
        )
    assert sleep.delays == []
    for t in targets:
        assert (
            metric(
                registry, "roomwatch_webhook_attempts_total", target=t.name, result="vendor_error"
            )
            == 1
        )


def test_signatures_follow_the_vendor_recipes() -> None:
    # DingTalk: key = secret, message = "{timestamp}\n{secret}", then URL-encoded.
    ts = 1_764_115_800_123
    mac = hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()
    assert dingtalk_sign("SECabc", ts) == base64.b64encode(mac).decode()
    target = WebhookTarget(
        "d", "https://oapi.dingtalk.com/robot/send?access_token=t", "dingtalk", secret="SECabc"
    )
    url = str(build_request(target, make_event(), ts / 1000).url)
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=")
    assert "+" not in url.split("sign=")[1] and "/" not in url.split("sign=")[1]
    # Feishu: key = "{timestamp}\n{secret}", empty message.
    mac = hmac.new(b"1764115800\nsec", b"", hashlib.sha256).digest()
    assert feishu_sign("sec", 1_764_115_800) == base64.b64encode(mac).decode()


async def test_generic_json_is_signed_with_a_secret(
    receiver: tuple[Receiver, TestServer],
) -> None:
    rx, server = receiver
    registry = CollectorRegistry()
    good = WebhookTarget("good", str(server.make_url("/hook/s1?secret=abc")), secret="abc")
    bad = WebhookTarget("bad", str(server.make_url("/hook/s2?secret=abc")), secret="xyz")
    async with sink_for([good, bad], registry) as sink:
        sink.enqueue(make_event())
        await wait_for(
            lambda: (
                delivered(registry, "good") == 1
                and deliveries(registry, target="bad", outcome="rejected") == 1
            )
        )
    assert rx.got["s1"][0]["headers"]["X-Roomwatch-Timestamp"] == str(int(NOW))


# ----------------------------------------------------------------- delivery


async def test_receiver_failing_twice_gets_the_alert_exactly_once(
    receiver: tuple[Receiver, TestServer],
) -> None:
    rx, server = receiver
    rx.fail_first["flaky"] = 2
    registry = CollectorRegistry()
    sleep = FakeSleep()
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=30.0, jitter=0.5)
    target = WebhookTarget("flaky", str(server.make_url("/hook/flaky")))
    async with sink_for([target], registry, sleep=sleep, policy=policy) as sink:
        sink.enqueue(make_event())
        await wait_for(lambda: delivered(registry, "flaky") == 1)
    assert len(rx.got["flaky"]) == 1 and rx.hits["flaky"] == 3
    # Exponential backoff with jitter (rand=0.5, jitter=0.5 -> x0.75): 1s, 2s.
    assert sleep.delays == [0.75, 1.5]
    assert (
        metric(registry, "roomwatch_webhook_attempts_total", target="flaky", result="http_error")
        == 2
    )
    assert metric(registry, "roomwatch_webhook_attempts_total", target="flaky", result="ok") == 1


async def test_attempts_are_bounded(receiver: tuple[Receiver, TestServer]) -> None:
    rx, server = receiver
    rx.fail_first["down"] = 100
    rx.status_for_failures = 503
    registry = CollectorRegistry()
    sleep = FakeSleep()
    target = WebhookTarget("down", str(server.make_url("/hook/down")))
    async with sink_for(
        [target],
        registry,
        sleep=sleep,
        policy=RetryPolicy(max_attempts=4, base_delay=10, max_delay=25),
    ) as sink:
        sink.enqueue(make_event())
        await wait_for(lambda: deliveries(registry, target="down", outcome="failed") == 1)
    assert rx.hits["down"] == 4
    assert sleep.delays == [7.5, 15.0, 18.75]  # capped at max_delay=25 before jitter


async def test_dead_receivers_never_slow_the_enqueue_path(
    receiver: tuple[Receiver, TestServer],
) -> None:
    _, server = receiver
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        refused_port = s.getsockname()[1]
    registry = CollectorRegistry()
    targets = [
        WebhookTarget("refused", f"http://127.0.0.1:{refused_port}/x", queue_size=16),
        WebhookTarget("hang", str(server.make_url("/hang")), queue_size=16, timeout_seconds=0.2),
    ]
    sink = sink_for(
        targets,
        registry,
        sleep=asyncio.sleep,
        policy=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02),
    )
    async with sink:
        started = time.perf_counter()
        for i in range(1000):
            sink.enqueue(make_event(alert_id=f"al-{i}"))
        elapsed = time.perf_counter() - started
        assert elapsed < 0.5  # plain appends: nothing waits on the network
        depth = metric(registry, "roomwatch_webhook_queue_depth_events", target="refused")
        assert depth <= 16
        await wait_for(
            lambda: (
                metric(
                    registry, "roomwatch_webhook_attempts_total", target="hang", result="timeout"
                )
                >= 1
            )
        )
        await wait_for(
            lambda: (
                metric(
                    registry, "roomwatch_webhook_attempts_total", target="refused", result="network"
                )
                >= 1
            )
        )
    for name in ("refused", "hang"):
        dropped = deliveries(registry, target=name, outcome="dropped")
        settled = sum(
            deliveries(registry, target=name, outcome=o)
            for o in ("delivered", "failed", "rejected", "dropped")
        )
        assert dropped >= 1000 - 16 - 1
        assert settled == 1000  # every event is accounted for, none twice
    await sink.close()  # idempotent


async def test_filters_severity_rooms_and_updates(receiver: tuple[Receiver, TestServer]) -> None:
    rx, server = receiver
    registry = CollectorRegistry()
    crit = WebhookTarget("crit", str(server.make_url("/hook/crit")), min_severity="critical")
    room = WebhookTarget(
        "room", str(server.make_url("/hook/room")), min_severity="info", rooms=frozenset({"other"})
    )
    every = WebhookTarget(
        "every",
        str(server.make_url("/hook/every")),
        min_severity="info",
        kinds=frozenset({"open", "update", "resolve", "ack"}),
        all_updates=True,
    )
    async with sink_for([crit, room, every], registry) as sink:
        assert sink.enqueue(make_event("open", "warning")) == 1  # every
        assert sink.enqueue(make_event("update", "warning")) == 1  # every (all updates)
        assert sink.enqueue(make_event("update", "critical", escalated=True)) == 2
        assert sink.enqueue(make_event("open", "info", room="other")) == 2
        assert sink.enqueue(make_event("ack", "critical")) == 1
        assert sink.enqueue(make_event("update", "critical", escalated=True)) == 2
        await wait_for(lambda: delivered(registry, "every") == 6)
        await wait_for(lambda: delivered(registry, "crit") == 2)
    # The escalation is the first the critical-only target hears of the
    # alert (an outage opens as info): for it, a new alert, then updates.
    assert [g["body"]["type"] for g in rx.got["crit"]] == ["open", "update"]
    assert "新告警" in rx.got["crit"][0]["body"]["text"]
    assert [g["body"]["alert"]["room"] for g in rx.got["room"]] == ["other"]


def test_a_target_can_leave_the_operators_detectors_out() -> None:
    # Comms staff forwarded a "feed interrupted" critical, raised when the
    # stream ended, to their leaders' chat: a target can name its detectors.
    comms = WebhookTarget(
        "comms",
        "https://example.com/hook",
        min_severity="info",
        detectors=frozenset({"grievance_topic", "negative_spike", "abuse_raid"}),
    )
    event = make_event("open", "critical")
    assert comms.wants(event)  # grievance_topic
    outage = replace(event, alert=replace(event.alert, detector="volume_drop"))
    assert not comms.wants(outage)
    assert WebhookTarget("all", "https://example.com/hook").wants(outage)
    with pytest.raises(ConfigError, match="detectors must be among"):
        WebhookTarget("x", "https://example.com/hook", detectors=frozenset({"outage"}))


async def test_close_is_idempotent_and_later_events_are_counted_as_dropped(
    receiver: tuple[Receiver, TestServer],
) -> None:
    _, server = receiver
    registry = CollectorRegistry()
    sink = sink_for([WebhookTarget("t", str(server.make_url("/hook/t")))], registry)
    await sink.start()
    await sink.close()
    await sink.close()
    assert sink.enqueue(make_event()) == 0
    assert deliveries(registry, target="t", outcome="dropped") == 1


def test_targets_are_validated() -> None:
    with pytest.raises(ConfigError):
        WebhookTarget("x", "ftp://example.com/hook")
    with pytest.raises(ConfigError):
        WebhookTarget("x", "https://example.com/hook", format="teams")
    with pytest.raises(ConfigError):
        WebhookTarget("x", "https://example.com/hook", min_severity="loud")
    target = WebhookTarget("x", "https://example.com/hook")
    with pytest.raises(ConfigError):
        WebhookSink([target, replace(target)], registry=CollectorRegistry())
    with pytest.raises(ConfigError):
        RetryPolicy(jitter=2.0)


def test_a_feishu_card_has_no_empty_block() -> None:
    # A walkthrough's Feishu card for an outage opened with an empty div: an
    # alert whose evidence holds nothing to list gives no facts block at all.
    from roomwatch.sinks.webhook_body import render

    event = make_event()
    event = replace(event, alert=replace(event.alert, evidence=Evidence()))
    card = render("feishu", "rich", event)
    divs = [e for e in card["card"]["elements"] if e.get("tag") == "div"]
    assert divs and all(d["text"]["content"] for d in divs)


@pytest.mark.parametrize("fmt", ["json", "feishu", "dingtalk", "wecom", "slack"])
@pytest.mark.parametrize("style", ["rich", "text"])
def test_a_target_link_ends_every_format_within_its_size(fmt: str, style: str) -> None:
    # A comms walkthrough: a message said what happened but gave no way to the
    # dashboard. A target's link (from config) now ends it, in each format's way.
    link = "https://rw.example.com/moderator"
    target = WebhookTarget("t", "https://hooks.example.com/x", fmt, style, link=link)
    delivery = build_request(target, make_event(), NOW)
    body = delivery.body.decode()
    assert link in body
    assert len(delivery.body) <= 20_000
    without = build_request(replace(target, link=""), make_event(), NOW).body.decode()
    assert link not in without and "打开看板" not in without


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "https://x.example/a b",
        "https://x.example/<x>",
        "ftp://x",
        "https:///nohost",
        "https://x.example/" + "a" * 300,
    ],
)
def test_a_link_that_is_no_plain_http_url_is_refused(link: str) -> None:
    with pytest.raises(ConfigError, match="link must be an http"):
        WebhookTarget("t", "https://hooks.example.com/x", "feishu", link=link)
    # ... and check-config says so, before serve would refuse to start.
    from roomwatch.config import settings_from_dict
    from roomwatch.config.schema import InvalidConfig

    table = {"name": "t", "url": "https://hooks.example.com/x", "link": link}
    with pytest.raises(InvalidConfig, match="link"):
        settings_from_dict({"webhooks": [table]}, environ={}, generate_missing_tokens=False)


@pytest.mark.parametrize("fmt", ["json", "feishu", "dingtalk", "wecom", "slack"])
def test_messages_name_the_room_by_its_title_and_say_when_it_began(fmt: str) -> None:
    # Comms staff forwarding a message to a leader: "qinghe-zhunong-1126" says
    # nothing, and a message without a time of day can't be placed.
    target = WebhookTarget("t", "https://example.com/hook", format=fmt)
    event = make_event("open", "warning")
    title = "青禾县副县长助农直播"
    body = build_request(target, event, NOW, room_title=title).body.decode()
    assert f"{title}（county-apples-1126）" in body
    # started_at = NOW - 30 = 2025-11-26 00:09:30 UTC, 08:09:30 in Beijing.
    assert "11-26 08:09:30（北京时间）" in body
    untitled = build_request(target, event, NOW).body.decode()
    assert title not in untitled and "county-apples-1126" in untitled
    if fmt == "json":
        assert json.loads(body)["room_title"] == title


def test_a_raid_message_does_not_count_it_over_the_window() -> None:
    # "20 accounts sent 39 in 87 s" beside "39 / 30 s" read as two stories.
    event = make_event("open", "warning")
    raid = replace(event, alert=replace(event.alert, detector="abuse_raid"))
    target = WebhookTarget("t", "https://example.com/hook", format="wecom", style="text")
    text = json.loads(build_request(target, raid, NOW).body)["text"]["content"]
    assert "数量：" not in text
    assert "数量：" in json.loads(build_request(target, event, NOW).body)["text"]["content"]


def test_the_config_names_the_detectors_the_alerts_have() -> None:
    # [[webhooks]] detectors spells the names out (the config does not import
    # the alerts package): they must stay the same.
    hints = typing.get_type_hints(WebhookSettings)
    [inner, _none] = typing.get_args(hints["detectors"])
    [literal] = typing.get_args(inner)
    assert typing.get_args(literal) == DETECTORS
