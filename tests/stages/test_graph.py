"""The composition root's graph, and moderation as a pure pipeline output.

``build_pipeline`` is what every command uses; these tests build graphs
without a server and feed their outputs directly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.compose import STAGES, build_pipeline
from roomwatch.config import ModerationConfig, Token
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.moderation.runtime import Moderation
from roomwatch.stages.clock import RoomClocks
from roomwatch.stages.events import Publish
from roomwatch.store import Store

from ..conftest import make_settings
from .test_pure_stages import HELPER, T0, FakeClock, Person, verdict

MODERATOR = Token("moderator-secret", "moderator", "moderator-1")


def moderation(clocks: RoomClocks | None = None) -> Moderation:
    return Moderation(
        ModerationConfig(),
        gate=Gate(Authz([HELPER, MODERATOR]), RefusalLog()),
        registry=CollectorRegistry(),
        clocks=clocks,
    )


def test_moderation_returns_one_stream_batch_per_room() -> None:
    mod = moderation(RoomClocks(FakeClock()))
    events = mod(
        [
            verdict("chatter", "哈哈", n=1),
            verdict("abuse", "你是傻子", n=2),
            verdict("chatter", "好看", room="room-b", n=3),
        ]
    )
    assert [(e.channel, e.room) for e in events] == [("stream", "room-a"), ("stream", "room-b")]
    batch_a = events[0].message
    assert batch_a["type"] == "batch" and len(batch_a["comments"]) == 2
    assert [i["id"] for i in batch_a["review"]["added"]] == ["room-a-2"]
    assert "review" not in events[1].message
    stats = mod.publish_stats()
    assert {(e.channel, e.room, e.message["type"]) for e in stats} == {
        ("stream", "room-a", "stats"),
        ("stream", "room-b", "stats"),
    }
    (snap,) = mod.snapshot(Person(HELPER))
    assert [i["id"] for i in snap["review"]] == ["room-a-2"]


async def test_moderation_actions_emit_their_events(tmp_path: Path) -> None:
    mod = moderation()
    mod([verdict("abuse", "你是傻子", n=2)])
    emitted: list[Publish] = []
    mod.emit = emitted.extend
    store = await Store.open(tmp_path / "rw.sqlite3", registry=CollectorRegistry())
    mod.store = store
    try:
        hide = {"action": "hide", "room": "room-a", "id": "room-a-2"}
        refused = await mod.handle(Person(HELPER), hide)
        assert refused.reply["error"] == "forbidden" and emitted == []
        handled = await mod.handle(Person(MODERATOR), hide)
        assert handled.reply["type"] == "ack"
        kinds = [(e.channel, e.room, e.message["type"]) for e in emitted]
        assert kinds[:2] == [("stream", "room-a", "review"), ("stream", "room-a", "decision")]
        await mod.aclose()  # the (log) outbound delivery finishes
    finally:
        await store.close()


def test_build_pipeline_shares_one_clock_and_forwards_events(analyzer: Analyzer) -> None:
    settings = make_settings()
    gate = Gate(Authz([HELPER]), RefusalLog())
    graph = build_pipeline(settings, analyzer, stages=STAGES, gate=gate)
    assert graph.triage and graph.alerts and graph.moderation and graph.flag
    sent: list[Publish] = []
    graph.sink = sent.extend
    graph.pipeline._outputs[0]([verdict("question", "这个多少钱", ts=T0 + 5, n=1)])  # triage
    assert sent and sent[0].channel == "host"
    assert graph.clocks.ts("room-a") == T0 + 5
    assert graph.alerts.now("room-a") >= T0 + 5 and graph.moderation.now("room-a") >= T0 + 5
    graph.tick()  # the ticker's step runs without a hub


def test_build_pipeline_refuses_what_it_cannot_wire(analyzer: Analyzer) -> None:
    settings = make_settings()
    with pytest.raises(ValueError, match="unknown stage"):
        build_pipeline(settings, analyzer, stages=("triage", "sing"))
    with pytest.raises(ValueError, match="alert_listeners"):
        build_pipeline(settings, analyzer, alert_listeners=[print])
    with pytest.raises(ValueError, match="gate"):
        build_pipeline(settings, analyzer, stages=("moderation",))


def test_a_gift_stamped_ahead_does_not_move_the_alert_clock(analyzer: Analyzer) -> None:
    # Alerts keep time by typed comments only (they observe nothing else), as
    # they did before the stages shared one clock: a gift (or an enter, a like)
    # stamped two minutes ahead must not make a room that went quiet three
    # seconds ago look silent for two minutes (a false volume_drop, topics and
    # raids resolved early). The host queue still ages by every record.
    clock = FakeClock()
    gate = Gate(Authz([HELPER, MODERATOR]), RefusalLog())
    graph = build_pipeline(make_settings(), analyzer, stages=STAGES, gate=gate, monotonic=clock)
    graph.sink = lambda events: None
    gift = dataclasses.replace(
        verdict("chatter", "小心心", ts=T0 + 120, n=2),
        comment=Comment.from_dict(
            {"room": "room-a", "text": "小心心", "ts": T0 + 120, "id": "g", "kind": "gift"},
            received_at=T0 + 120,
        ),
    )
    batch = [verdict("question", "这个多少钱", ts=T0, n=1), gift]
    for output in graph.pipeline._outputs:
        output(batch)
    clock.now += 3.0
    graph.tick()
    assert graph.alerts is not None and graph.triage is not None
    assert graph.alerts.now("room-a") == T0 + 3.0
    assert graph.triage.now("room-a") == T0 + 123.0
