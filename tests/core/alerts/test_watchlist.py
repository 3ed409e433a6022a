"""watchlist: mentions of watched terms surge."""

from __future__ import annotations

from roomwatch.core.alerts import (
    AlertConfig,
    AlertEvent,
    AlertManager,
    watchlist,
)
from roomwatch.core.alerts.lifecycle import Lifecycle

from .helpers import (
    ROOM,
    T0,
    calm,
    hit,
    learned_room,
    obs,
    run,
)


def test_watchlist_surge_and_per_room_lists() -> None:
    config = AlertConfig(room_watch_terms={"other-room": ("召回",)})
    m = AlertManager(config)
    onset = T0 + 150
    mentions = [
        obs(onset + 2 * i, "我要打12315", label="question", sentiment=0.0, user=f"w{i}")
        for i in range(8)
    ]
    other = calm(T0, T0 + 300, room="other-room", seed=9) + [
        obs(onset + 2 * i, "我要打12315", sentiment=0.0, user=f"x{i}", room="other-room")
        for i in range(8)
    ]
    events = run(m, calm(T0, T0 + 300) + mentions + other, T0 + 300)
    opens = [e for e in events if e.kind == "open"]
    assert [(e.alert.detector, e.alert.room) for e in opens] == [("watchlist", ROOM)]
    assert opens[0].ts - onset <= 15
    assert dict(opens[0].alert.evidence.top_terms) == {"12315": 5}

    m2 = AlertManager(config)
    recall = [
        obs(onset + 2 * i, "这批要召回吗", sentiment=0.0, user=f"x{i}", room="other-room")
        for i in range(8)
    ]
    events = run(m2, calm(T0, T0 + 300, room="other-room") + recall, T0 + 300)
    assert [e.alert.detector for e in events if e.kind == "open"] == ["watchlist"]


def test_watchlist_quiet_at_background_rate() -> None:
    m = AlertManager()
    mentions = [
        obs(T0 + 100 + 30 * i, "投诉有用吗", sentiment=0.0, user=f"w{i}") for i in range(12)
    ]
    assert run(m, calm(T0, T0 + 500) + mentions, T0 + 500) == []


# ----------------------------------------------------------------- the module itself


def test_evaluate_counts_mentions_and_leaves_wave_mentions_to_the_wave() -> None:
    cfg = AlertConfig()
    room = learned_room(rate=2.0, counts={"w": 0.01})
    now = room.now
    for i in range(6):
        room.watch.append(hit(now - i, f"w{i}", "我要打12315", terms=("12315",), negative=False))
    events: list[AlertEvent] = []
    watchlist.evaluate(Lifecycle(cfg), room, now, events)
    assert [(e.kind, e.alert.detector) for e in events] == [("open", "watchlist")]
    assert dict(events[0].alert.evidence.top_terms) == {"12315": 6}
    assert events[0].alert.evidence.users == 6

    # The same mentions by unhappy viewers while a grievance topic is open
    # are that incident's.
    wave_room = learned_room(rate=2.0, counts={"w": 0.01})
    for i in range(6):
        wave_room.watch.append(hit(now - i, f"w{i}", "我要打12315", terms=("12315",)))
    wave_room.cooldown[("grievance_topic", "质量问题")] = now + 30
    events = []
    watchlist.evaluate(Lifecycle(cfg), wave_room, now, events)
    assert events == []
