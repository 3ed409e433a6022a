"""Per-room settings in the stages: each room's queue and alert thresholds, changed and dropped.

Plain objects, verdicts built by hand (see test_pure_stages.py); the room
settings come from a :class:`RoomBook` as the composition root builds it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from roomwatch.config import InvalidConfig, settings_from_dict
from roomwatch.config.rooms import RoomBook, parse_room
from roomwatch.core.alerts import AlertConfig, AlertEvent
from roomwatch.core.queue import QueueConfig
from roomwatch.stages.alert import AlertStage
from roomwatch.stages.triage import TriageStage

from .test_pure_stages import T0, FakeClock, verdict

#: Thresholds that let a room's detectors fire from its first comments.
EAGER = {"warmup_seconds": 0, "warmup_min_comments": 1}


def complaints(room: str, start: int, n: int = 12) -> list:
    return [
        verdict("grievance", f"这批苹果是烂果{i}号", room=room, ts=T0 + i, n=i)
        for i in range(start, start + n)
    ]


def opened(events: list) -> list[tuple[str, str]]:
    return [(p.room, p.message["alert"]["detector"]) for p in events if p.message["type"] == "open"]


def book(**rooms: dict) -> RoomBook:
    settings = settings_from_dict({"rooms": rooms}, environ={}, generate_missing_tokens=False)
    return RoomBook(settings.queue, settings.alerts, settings.rooms)


def test_a_room_without_a_section_runs_on_the_global_objects() -> None:
    rooms = book(apples={"title": "only a title"})
    assert rooms.queue_config("apples") is rooms.queue
    assert rooms.queue_config("pears") is rooms.queue
    assert rooms.alert_config("apples") is rooms.alerts
    assert list(rooms.own_alerts()) == []
    assert rooms.terms() == {}


def test_a_room_s_keys_go_over_the_global_ones_and_are_resolved_once() -> None:
    rooms = book(apples={"queue": {"window_s": 30}, "products": ["冰糖心"], "alerts": EAGER})
    q = rooms.queue_config("apples")
    assert q.window_s == 30 and q.max_items == QueueConfig().max_items
    assert q.products == ("冰糖心",)
    assert rooms.queue_config("apples") is q  # cached
    a = rooms.alert_config("apples")
    assert a.warmup_seconds == 0 and a.window_seconds == AlertConfig().window_seconds
    rooms.set("apples", parse_room("apples", {}, queue=rooms.queue, alerts=rooms.alerts))
    assert rooms.queue_config("apples") is rooms.queue  # the cache follows the change


def test_alert_thresholds_apply_to_their_room_only() -> None:
    rooms = book(strict={"alerts": EAGER})
    stage = AlertStage(rooms.alerts, monotonic=FakeClock(), own=rooms.own_alerts())
    events = []
    for a, b in zip(complaints("strict", 0), complaints("calm", 0), strict=True):
        events += stage([a, b])
    assert opened(events) == [("strict", "grievance_topic")]


def test_new_thresholds_keep_open_alerts_and_removal_resolves_them() -> None:
    stage = AlertStage(AlertConfig(), monotonic=FakeClock())
    stage.set_room_config("strict", replace(AlertConfig(), **EAGER))
    heard: list[AlertEvent] = []
    stage.add_listener(heard.append)
    events = stage(complaints("strict", 0))
    [alert_id] = [p.message["alert"]["id"] for p in events if p.message["type"] == "open"]

    # Back to the global thresholds: the alert stays open, with its id.
    stage.set_room_config("strict", None)
    assert [a.id for a in stage.open_alerts()] == [alert_id]
    assert stage.get(alert_id) is not None
    events = stage(complaints("strict", 12))
    assert opened(events) == []  # the same incident, not a new one

    resolved = stage.drop_room("strict")
    assert [p.message["type"] for p in resolved] == ["resolve"]
    assert heard[-1].kind == "resolve" and heard[-1].alert.id == alert_id
    assert stage.open_alerts() == []
    assert stage.drop_room("strict") == []


def test_a_queue_runs_on_its_room_s_settings_and_is_dropped_on_change() -> None:
    rooms = book(apples={"products": ["冰糖心", "红富士"], "queue": {"max_items": 7}})
    stage = TriageStage(rooms.queue, monotonic=FakeClock(), config_for=rooms.queue_config)
    events = stage(
        [
            verdict("question", "冰糖心多少钱", room="apples", n=1),
            verdict("question", "红富士多少钱", room="apples", ts=T0 + 1, n=2),
            verdict("question", "冰糖心多少钱呀", room="apples", ts=T0 + 2, n=3),
            verdict("question", "冰糖心多少钱", room="pears", ts=T0 + 3, n=4),
        ]
    )
    assert stage.queue("apples").config.max_items == 7
    assert stage.queue("pears").config is rooms.queue
    items = {i.id: i for i in stage.queue("apples").snapshot()}
    assert sorted((i.slots["product"], i.count) for i in items.values()) == [
        ("冰糖心", 2),
        ("红富士", 1),
    ]
    [pears] = stage.queue("pears").snapshot()
    assert dict(pears.slots) == {}
    assert any(p.message["type"] == "added" for p in events)

    dropped = stage.drop_room("apples", "reconfigured")
    removed = [p.message for p in dropped if p.message["type"] == "removed"]
    assert sorted(m["id"] for m in removed) == sorted(items)
    assert {m["reason"] for m in removed} == {"reconfigured"}
    assert "apples" not in stage.rooms and "pears" in stage.rooms
    assert stage.drop_room("apples") == []


def test_a_bad_room_table_names_every_bad_key() -> None:
    rooms = book()
    with pytest.raises(InvalidConfig) as err:
        parse_room(
            "apples",
            {"queue": {"window_s": "soon", "top_n": 0}, "alerts": {"windw_seconds": 1}},
            queue=rooms.queue,
            alerts=rooms.alerts,
        )
    paths = sorted(p.path for p in err.value.problems)
    assert paths == [
        "rooms.apples.alerts.windw_seconds",
        "rooms.apples.queue.top_n",
        "rooms.apples.queue.window_s",
    ]
