"""The stages as plain objects: results in, Publish events out. No hub, no loop.

Verdicts are built by hand, so each test says exactly what goes in; the
clock is a fake; the acting client is a small dataclass (the stages only
need its token and the rooms it wants).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.config import Token
from roomwatch.core.alerts import AlertEvent
from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment
from roomwatch.core.result import Skipped
from roomwatch.core.verdict import Verdict
from roomwatch.stages.alert import AlertStage
from roomwatch.stages.clock import Pace, RoomClocks
from roomwatch.stages.events import Publish
from roomwatch.stages.flag import FlagStage
from roomwatch.stages.triage import TriageStage

T0 = 1_700_000_000.0
HELPER = Token("helper-secret", "helper", "helper-1")
HOST = Token("host-secret", "host", "host-1")


@dataclass
class Person:
    token: Token
    rooms: frozenset[str] | None = None

    def wants(self, room: str | None) -> bool:
        if room is None:
            return True
        return self.token.allows_room(room) and (self.rooms is None or room in self.rooms)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def verdict(label: str, text: str, *, room: str = "room-a", ts: float = T0, n: int = 0) -> Verdict:
    comment = Comment.from_dict(
        {"room": room, "text": text, "ts": ts, "id": f"{room}-{n}", "user": {"id": f"u{n}"}},
        received_at=ts,
    )
    scores = {label: 0.9, "chatter": 0.1} if label != "chatter" else {"chatter": 1.0}
    return Verdict(
        comment=comment,
        normalized=Normalized(text, ()),
        tokens=tuple(text),
        label=label,
        scores=scores,
        sentiment=0.0,
        reasons=(),
        model="test",
    )


def gate() -> Gate:
    return Gate(Authz([HELPER, HOST]), RefusalLog())


# -- triage ------------------------------------------------------------------


def test_triage_returns_host_events_for_questions_only() -> None:
    stage = TriageStage(monotonic=FakeClock())
    assert stage([verdict("chatter", "哈哈哈"), Skipped("flood", "too fast", "test")]) == []
    events = stage([verdict("question", "这个多少钱", n=1)])
    assert events, "a question must reach the host queue"
    assert {e.channel for e in events} == {"host"}
    assert {e.room for e in events} == {"room-a"}
    assert events[0].message["type"] == "added"
    (snap,) = stage.snapshot(Person(HELPER))
    assert snap["room"] == "room-a" and len(snap["items"]) == 1
    assert list(stage.snapshot(Person(HELPER, frozenset({"room-b"})))) == []


def test_triage_action_returns_the_reply_and_everyone_s_events() -> None:
    stage = TriageStage(monotonic=FakeClock(), gate=gate())
    stage([verdict("question", "这个多少钱", n=1)])
    (item,) = next(iter(stage.snapshot(Person(HELPER))))["items"]
    audited: list[str] = []
    stage.audit_sink = lambda record, role="": audited.append(f"{record.action}:{role}")

    claim = {"action": "claim", "room": "room-a", "id": item["id"]}
    handled = stage.handle(Person(HELPER), claim)
    assert handled.reply["type"] == "ack"
    assert handled.events and all(e.channel == "host" for e in handled.events)
    assert audited == ["claim:helper"]

    refused = stage.handle(Person(HOST), {"action": "answer", "room": "room-a", "id": item["id"]})
    assert refused.reply["error"] == "forbidden"
    assert refused.events == []

    unknown = stage.handle(Person(HELPER), {"action": "shout"})
    assert unknown.reply["type"] == "error" and unknown.events == []


# -- flag --------------------------------------------------------------------


def test_flag_publishes_what_a_moderator_must_see_and_keeps_a_backlog() -> None:
    stage = FlagStage(backlog=2)
    events = stage(
        [
            verdict("abuse", "你是傻子", n=1),
            verdict("chatter", "哈哈", n=2),
            verdict("grievance", "发货太慢了", room="room-b", n=3),
            verdict("spam", "加微信", n=4),
            verdict("spam", "加微信领红包", n=5),
        ]
    )
    assert [(e.channel, e.room, e.message["verdict"]["id"]) for e in events] == [
        ("moderator", "room-a", "room-a-1"),
        ("moderator", "room-b", "room-b-3"),
        ("moderator", "room-a", "room-a-4"),
        ("moderator", "room-a", "room-a-5"),
    ]
    snaps = {s["room"]: s for s in stage.snapshot(Person(HELPER))}
    assert [v["id"] for v in snaps["room-a"]["verdicts"]] == ["room-a-4", "room-a-5"]
    only_b = list(stage.snapshot(Person(HELPER, frozenset({"room-b"}))))
    assert [s["room"] for s in only_b] == ["room-b"]


# -- alerts ------------------------------------------------------------------


def test_alert_events_go_to_listeners_and_come_back_as_publish() -> None:
    stage = AlertStage(monotonic=FakeClock())
    heard: list[AlertEvent] = []
    stage.add_listener(heard.append)
    events = stage.raise_system("recorder", "disk full", T0)
    assert len(heard) == 1 and heard[0].kind == "open"
    assert events == [Publish("alerts", None, heard[0].to_dict())]
    (snap,) = stage.snapshot(Person(HELPER, frozenset({"room-b"})))
    assert [a["id"] for a in snap["alerts"]] == [heard[0].alert.id]  # system alerts: everyone


def test_a_failing_listener_does_not_stop_the_events() -> None:
    stage = AlertStage(monotonic=FakeClock())

    def broken(event: AlertEvent) -> None:
        raise RuntimeError("listener down")

    stage.add_listener(broken)
    assert len(stage.raise_system("store", "locked", T0)) == 1


def test_ack_is_refused_without_the_right_role() -> None:
    stage = AlertStage(monotonic=FakeClock(), gate=gate())
    (event,) = stage.raise_system("recorder", "disk full", T0)
    alert_id = event.message["alert"]["id"]
    handled = stage.handle(Person(HOST), {"action": "ack", "id": alert_id})
    assert handled.reply["type"] == "error" and handled.events == []


# -- one clock ---------------------------------------------------------------


def test_the_stages_read_one_shared_record_clock() -> None:
    mono = FakeClock()
    clocks = RoomClocks(mono, Pace())
    triage = TriageStage(clocks=clocks)
    alerts = AlertStage(clocks=clocks)
    triage([verdict("chatter", "哈哈", ts=T0 + 30)])
    # Only triage saw the record, yet the alert stage's time moved with it.
    assert alerts.now("room-a") == triage.now("room-a") == T0 + 30
    mono.now += 5.0  # five quiet wall seconds in a live room
    assert alerts.now("room-a") == T0 + 35
    assert alerts.now("room-b") == T0 + 35  # an unknown room: the latest of any


def test_stages_import_no_sink_store_or_web_module() -> None:
    code = (
        "import sys, roomwatch.stages.triage, roomwatch.stages.alert, roomwatch.stages.flag,"
        " roomwatch.stages.events, roomwatch.stages.clock\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('roomwatch.sinks', "
        "'roomwatch.store', 'roomwatch.web', 'aiohttp')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""
