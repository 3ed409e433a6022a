"""The ``alert`` stage: verdicts into the per-room detectors, events out.

Time is record time. Verdicts are fed in order; before each one the
detectors are ticked once for every whole second of record time that has
passed, so a replay ticks exactly where the live run did. In a quiet live
room (no records), :meth:`AlertStage.tick_wall` moves record time on by the
wall time since the last record, which is what lets a feed outage be seen.

Each event goes to the ``alerts`` channel and to every registered listener
(webhooks, the SQLite store, ``replay --alerts``). Comms users acknowledge
with ``{"action": "ack", "id": ALERT_ID}`` on the channel; acks are audited.
Who may ack is :data:`roomwatch.authz.TABLE` (``alerts.ack``), admitted by a
:class:`~roomwatch.authz.Gate` (a per-token rate limit; refusals counted).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.core.alerts import (
    SYSTEM_ROOM,
    Alert,
    AlertConfig,
    AlertError,
    AlertEvent,
    AlertManager,
    Observation,
)
from roomwatch.core.analyze import TYPED_KINDS
from roomwatch.core.verdict import Verdict
from roomwatch.pipeline import Result
from roomwatch.sinks.hub import Client, Hub
from roomwatch.stages.clock import RecordClock

__all__ = ["AlertListener", "AlertStage"]

logger = logging.getLogger(__name__)

#: A gap in record time longer than this is ticked second by second only for
#: its first part, then in one jump (a recording with an hour-long pause
#: should not cost 3,600 ticks per room).
_MAX_STEPPED_GAP: Final = 300

#: Wall seconds without a record before a live room's clock moves on its own.
_IDLE_S: Final = 2.0

#: Receives every alert event (open, update, resolve, ack).
AlertListener = Callable[[AlertEvent], object]


class AlertStage:
    stage = "alert"

    def __init__(
        self,
        hub: Hub | None,
        config: Mapping[str, Any] | AlertConfig | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        gate: Gate | None = None,
    ) -> None:
        if isinstance(config, AlertConfig):
            self.config = config
        else:
            self.config = AlertConfig.from_mapping(config or {})
        self.manager = AlertManager(self.config)
        self._hub = hub
        self._listeners: list[AlertListener] = []
        self._tick_at: int | None = None  # last whole second ticked
        self._clock = RecordClock(monotonic)
        self.gate = gate if gate is not None else Gate(Authz(()), RefusalLog())
        #: Called with (alert id, actor, role, ts) after an acknowledgement.
        self.on_ack: Callable[[str, str, str, float], object] | None = None
        if hub is not None:
            hub.set_snapshot("alerts", self.snapshot)
            hub.set_handler("alerts", self.handle)

    def add_listener(self, listener: AlertListener) -> None:
        self._listeners.append(listener)

    def now(self) -> float:
        return self._clock.now()

    # -- pipeline output -----------------------------------------------------

    def __call__(self, results: Sequence[Result]) -> None:
        newest = self._clock.ts
        for r in results:
            if not isinstance(r, Verdict):
                continue
            c = r.comment
            if c.kind not in TYPED_KINDS:
                continue
            self._advance(c.ts)
            if newest is None or c.ts > newest:
                newest = c.ts
            self._emit(self.manager.observe(Observation.from_verdict(r, text=r.normalized.text)))
        self._clock.advance(newest)

    def _advance(self, now: float) -> None:
        second = math.floor(now)
        if self._tick_at is None:
            self._tick_at = second
            return
        if second <= self._tick_at:
            return
        stepped_until = min(second, self._tick_at + _MAX_STEPPED_GAP)
        for s in range(self._tick_at + 1, stepped_until + 1):
            self._emit(self.manager.tick(float(s)))
        if second > stepped_until:
            self._emit(self.manager.tick(float(second)))
        self._tick_at = second

    def tick_wall(self) -> None:
        """In a quiet live room, advance record time by the wall time since the last record.

        Only after ``_IDLE_S`` without records: while records flow, ticks come
        from their ``ts`` alone, exactly as in a replay of the same recording.
        """
        if self._clock.ts is not None and self._clock.idle() >= _IDLE_S:
            self._advance(self.now())

    def _emit(self, events: Iterable[AlertEvent]) -> None:
        for event in events:
            if self._hub is not None:
                self._hub.publish("alerts", _room_of(event.alert), event.to_dict())
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:
                    logger.exception("alert listener %r failed", listener)

    def raise_system(self, source: str, message: str, now: float) -> None:
        """Alert everyone that roomwatch itself is in trouble (e.g. the disk is full)."""
        self._emit([self.manager.raise_system(source, message, now)])

    def restore(self, alerts: Iterable[Mapping[str, Any]]) -> int:
        """Take back open alerts saved before a restart; returns how many."""
        items = list(alerts)
        try:
            self.manager.restore(items)
        except AlertError as exc:
            logger.error("could not restore saved alerts: %s", exc)
            return 0
        return len(items)

    # -- hub wiring ----------------------------------------------------------

    def snapshot(self, client: Client) -> Iterable[dict[str, Any]]:
        alerts = [a.to_dict() for a in self.manager.open_alerts() if client.wants(_room_of(a))]
        yield {"type": "snapshot", "alerts": alerts}

    async def handle(self, client: Client, message: Mapping[str, Any]) -> dict[str, Any]:
        action = message.get("action")
        alert_id = message.get("id")
        if action != "ack":
            return {"type": "error", "error": f"unknown action {action!r}; expected 'ack'"}
        if not isinstance(alert_id, str):
            return {"type": "error", "action": "ack", "error": "an ack needs an 'id' string"}
        refusal = self.gate.admit(client.token, "alerts.ack", target=alert_id)
        if refusal is not None:
            reply: dict[str, Any] = {"type": "error", "action": "ack", "error": refusal.reason}
            if refusal.retry_after:
                reply["retry_after"] = refusal.retry_after
            return reply
        alert = self.manager.get(alert_id)
        if alert is None or not client.wants(_room_of(alert)):
            # Another room's alert is "not found": its id tells nothing.
            return {"type": "error", "action": "ack", "error": "not_found"}
        now = self.now()
        try:
            event, audit = self.manager.acknowledge(alert_id, client.token.label, now)
        except AlertError as exc:
            return {"type": "error", "action": "ack", "error": str(exc)}
        self._emit([event])
        if self.on_ack is not None:
            self.on_ack(alert_id, client.token.label, client.token.role, audit.ts)
        return {"type": "ack", "action": "ack", "alert": event.alert.to_dict()}


def _room_of(alert: Alert) -> str | None:
    """The hub room of an alert: alerts about roomwatch itself go to everyone."""
    return None if alert.room == SYSTEM_ROOM else alert.room
