"""The alert lifecycle through the manager: open, update, escalate, resolve,
cooldown, acknowledge, restore."""

from __future__ import annotations

import json

import pytest

from roomwatch.core.alerts import (
    Alert,
    AlertConfig,
    AlertError,
    AlertEvent,
    AlertManager,
    Evidence,
)
from roomwatch.core.alerts.lifecycle import Lifecycle, alert_id
from roomwatch.core.errors import RoomwatchError

from .helpers import (
    ROOM,
    T0,
    bg,
    calm,
    kinds,
    learned_room,
    raid,
    raid_manager,
    run,
)


def test_lifecycle_open_update_escalate_resolve_cooldown() -> None:
    m, events = raid_manager(cooldown_seconds=120.0)
    assert events == []
    first = run(
        m, bg(T0 + 140, T0 + 170) + raid(T0 + 150, 9, per_account=1), T0 + 170, start=T0 + 140
    )
    assert kinds(first) == ["open"]
    alert_id = first[0].alert.id
    assert first[0].alert.severity == "warning" and first[0].alert.state == "open"

    grown = run(
        m, bg(T0 + 170, T0 + 200) + raid(T0 + 171, 25, per_account=2), T0 + 200, start=T0 + 170
    )
    assert "open" not in kinds(grown)
    updates = [e for e in grown if e.kind == "update"]
    assert updates and {e.alert.id for e in updates} == {alert_id}
    escalations = [e for e in updates if e.escalated]
    assert len(escalations) == 1 and escalations[0].alert.severity == "critical"
    # Updates are rate limited: no flood of pushes for one incident.
    assert len(updates) <= 4

    quiet = run(m, bg(T0 + 200, T0 + 300), T0 + 300, start=T0 + 200)
    assert kinds(quiet) == ["resolve"]
    assert quiet[0].alert.id == alert_id and quiet[0].alert.resolved_at is not None
    assert m.open_alerts() == []

    # A new raid inside the cooldown does not open; after it, it opens afresh.
    resolved_at = quiet[0].ts
    again = run(
        m,
        bg(T0 + 300, resolved_at + 60) + raid(resolved_at + 20, 12, per_account=2),
        resolved_at + 60,
        start=T0 + 300,
    )
    assert "open" not in kinds(again)
    later = run(
        m,
        bg(resolved_at + 60, resolved_at + 240) + raid(resolved_at + 200, 12, per_account=2),
        resolved_at + 240,
        start=resolved_at + 60,
    )
    opened = [e for e in later if e.kind == "open"]
    assert len(opened) == 1 and opened[0].alert.id != alert_id


def test_acknowledge_emits_event_and_audit() -> None:
    m, _ = raid_manager()
    events = run(m, bg(T0 + 140, T0 + 170) + raid(T0 + 150, 12), T0 + 170, start=T0 + 140)
    alert_id = events[0].alert.id
    event, audit = m.acknowledge(alert_id, "comms-1", T0 + 171)
    assert event.kind == "ack" and event.actor == "comms-1"
    assert event.alert.state == "acknowledged" and event.alert.acked_by == "comms-1"
    assert audit.to_dict() == {
        "action": "ack",
        "alert_id": alert_id,
        "room": ROOM,
        "actor": "comms-1",
        "ts": T0 + 171,
    }
    assert event.to_dict()["actor"] == "comms-1"
    rest = run(m, bg(T0 + 170, T0 + 300), T0 + 300, start=T0 + 170)
    resolved = [e for e in rest if e.kind == "resolve"]
    assert len(resolved) == 1 and resolved[0].alert.acked_by == "comms-1"
    # Resolved alerts can still be acknowledged after the fact; unknown ids cannot.
    assert m.acknowledge(alert_id, "comms-2", T0 + 301)[0].alert.state == "resolved"
    with pytest.raises(AlertError):
        m.acknowledge("al-nope", "comms-1", T0 + 301)
    with pytest.raises(RoomwatchError):
        m.acknowledge(alert_id, "  ", T0 + 301)


def test_restore_keeps_open_alerts_across_restart() -> None:
    m, _ = raid_manager()
    events = run(
        m, bg(T0 + 140, T0 + 165) + raid(T0 + 150, 12, per_account=4), T0 + 165, start=T0 + 140
    )
    assert kinds(events)[0] == "open"
    persisted = json.loads(json.dumps([a.to_dict() for a in m.open_alerts()]))
    alert_id = persisted[0]["id"]

    # Restart while the raid goes on: the incident is updated, never re-opened.
    m2 = AlertManager()
    m2.restore(persisted)
    assert [a.id for a in m2.open_alerts()] == [alert_id]
    assert m2.open_alerts()[0] == Alert.from_dict(persisted[0])
    more = run(
        m2, bg(T0 + 165, T0 + 200) + raid(T0 + 166, 30, per_account=2), T0 + 200, start=T0 + 165
    )
    assert "open" not in kinds(more)
    assert {e.alert.id for e in more} == {alert_id}
    assert any(e.escalated for e in more)
    # And it resolves exactly once when it is over.
    rest = run(m2, bg(T0 + 200, T0 + 320), T0 + 320, start=T0 + 200)
    assert kinds(rest) == ["resolve"] and rest[0].alert.id == alert_id

    # A restored incident that ended during the restart resolves after the hold.
    m3 = AlertManager()
    m3.restore([Alert.from_dict(persisted[0])])
    done = run(m3, bg(T0 + 400, T0 + 460), T0 + 460, start=T0 + 400)
    assert kinds(done) == ["resolve"]
    with pytest.raises(AlertError):
        m3.restore([{"id": "x"}])


def test_events_are_json_and_ids_deterministic() -> None:
    observations = calm(T0, T0 + 300) + raid(T0 + 150, 30)
    a = run(AlertManager(), observations, T0 + 300)
    b = run(AlertManager(), observations, T0 + 300)
    assert [e.to_dict() for e in a] == [e.to_dict() for e in b]
    payload = json.loads(json.dumps([e.to_dict() for e in a], ensure_ascii=False))
    assert payload[0]["type"] == "open"
    assert set(payload[0]["alert"]) >= {
        "id",
        "severity",
        "room",
        "detector",
        "started_at",
        "summary",
        "evidence",
        "state",
    }
    sample = payload[0]["alert"]["evidence"]["samples"][0]
    assert set(sample) == {"text", "user", "label", "sentiment", "ts"}


# ----------------------------------------------------------------- the module itself


def test_step_opens_updates_on_growth_resolves_after_hold_and_cools_down() -> None:
    cfg = AlertConfig(
        resolve_hold_seconds=5.0,
        cooldown_seconds=30.0,
        update_min_interval_seconds=10.0,
        update_growth=1.5,
    )
    life = Lifecycle(cfg)
    room = learned_room()
    built: list[float] = []
    events: list[AlertEvent] = []

    def step(now: float, firing: bool, below: bool, size: float, level: int = 1) -> list[str]:
        def build() -> tuple[str, Evidence]:
            built.append(now)
            return f"size {size}", Evidence(count=int(size))

        before = len(events)
        life.step(room, "watchlist", "", now, firing, below, level, size, build, events)
        return [e.kind for e in events[before:]]

    t = room.now
    assert step(t, True, False, 10) == ["open"]
    assert life.alerts[events[0].alert.id].evidence.count == 10
    assert step(t + 5, True, False, 20) == []  # grown, but too soon
    assert step(t + 11, True, False, 14) == []  # late enough, not grown x1.5
    assert step(t + 12, True, False, 15) == ["update"]
    assert step(t + 13, True, False, 15, level=2) == ["update"]  # escalation: at once
    assert events[-1].escalated and events[-1].alert.severity == "critical"
    assert step(t + 14, True, False, 15, level=1) == []
    assert built == [t, t + 12, t + 13]  # evidence is built only for events sent
    assert step(t + 20, False, True, 1) == []
    assert step(t + 24, False, True, 1) == []
    assert step(t + 25, False, True, 1) == ["resolve"]
    resolved = events[-1].alert
    assert resolved.state == "resolved" and resolved.severity == "critical"
    assert life.alerts == {} and life.recent[resolved.id] == resolved
    assert step(t + 50, True, False, 99) == []  # cooling down
    assert step(t + 56, True, False, 99) == ["open"]
    assert events[-1].alert.id != resolved.id
    assert alert_id(ROOM, "watchlist", "", t) == resolved.id
