"""The alert lifecycle: open, update, resolve, with the hygiene rules.

An ongoing incident keeps its id and is *updated* (at most every
``update_min_interval_seconds``, unless severity escalates); severity never
drops while open; it resolves exactly once after staying below the resolve
level for ``resolve_hold_seconds``; the same detector, room and topic cannot
open again for ``cooldown_seconds`` after resolving.

Detectors decide *whether* (``firing``, ``below``, ``level``, ``size``) and
describe *what* (``build`` returns the summary and evidence, called only when
an event is sent); :meth:`Lifecycle.step` decides which event that is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.state import Active, Room
from roomwatch.core.alerts.values import SEVERITIES, Alert, AlertEvent, Evidence

__all__ = ["Build", "Lifecycle", "alert_id"]

#: Builds an alert's summary and evidence (called only when an event is sent).
Build = Callable[[], tuple[str, Evidence]]


def alert_id(room: str, detector: str, key: str, start: float) -> str:
    digest = hashlib.sha1(
        f"{room}\x00{detector}\x00{key}\x00{start:.3f}".encode(), usedforsecurity=False
    ).hexdigest()
    return f"al-{digest[:16]}"


class Lifecycle:
    """The alerts open now (``alerts``) and recently resolved (``recent``)."""

    def __init__(self, config: AlertConfig) -> None:
        self.config = config
        self.alerts: dict[str, Alert] = {}
        self.recent: dict[str, Alert] = {}

    def step(
        self,
        room: Room,
        detector: str,
        key: str,
        now: float,
        firing: bool,
        below: bool,
        level: int,
        size: float,
        build: Build,
        events: list[AlertEvent],
    ) -> None:
        cfg = self.config
        state = room.active.get((detector, key))
        if state is None:
            if not firing:
                return
            until = room.cooldown.get((detector, key))
            if until is not None and now < until:
                return
            summary, evidence = build()
            new_id = alert_id(room.name, detector, key, now)
            alert = Alert(
                id=new_id,
                room=room.name,
                detector=detector,
                key=key,
                severity=SEVERITIES[level],
                state="open",
                started_at=now,
                updated_at=now,
                summary=summary,
                evidence=evidence,
            )
            self.alerts[new_id] = alert
            room.active[(detector, key)] = Active(new_id, level, now, max(size, 1.0))
            events.append(AlertEvent("open", alert, now))
            return
        if below:
            if state.below_since is None:
                state.below_since = now
            elif now - state.below_since >= cfg.resolve_hold_seconds:
                self.resolve(room, detector, key, now, events)
            return
        state.below_since = None
        if not firing:
            return
        escalate = level > state.level
        grown = (
            size >= state.last_size * cfg.update_growth
            and now - state.last_event >= cfg.update_min_interval_seconds
        )
        if escalate or grown:
            summary, evidence = build()
            self.emit_update(
                room, detector, key, now, max(level, state.level), size, summary, evidence, events
            )

    def emit_update(
        self,
        room: Room,
        detector: str,
        key: str,
        now: float,
        level: int,
        size: float,
        summary: str,
        evidence: Evidence,
        events: list[AlertEvent],
    ) -> None:
        state = room.active[(detector, key)]
        alert = self.alerts.get(state.alert_id)
        if alert is None:
            return
        escalated = level > state.level
        state.level = max(level, state.level)
        state.last_event = now
        state.last_size = max(size, 1.0)
        alert = replace(
            alert,
            severity=SEVERITIES[state.level],
            updated_at=now,
            summary=summary,
            evidence=evidence,
        )
        self.alerts[alert.id] = alert
        events.append(AlertEvent("update", alert, now, escalated=escalated))

    def resolve(
        self, room: Room, detector: str, key: str, now: float, events: list[AlertEvent]
    ) -> None:
        state = room.active.pop((detector, key), None)
        if state is None:
            return
        room.cooldown[(detector, key)] = now + self.config.cooldown_seconds
        alert = self.alerts.pop(state.alert_id, None)
        if alert is None:
            return
        alert = replace(alert, state="resolved", resolved_at=now, updated_at=now)
        self.recent[alert.id] = alert
        while len(self.recent) > 256:
            del self.recent[next(iter(self.recent))]
        events.append(AlertEvent("resolve", alert, now))
