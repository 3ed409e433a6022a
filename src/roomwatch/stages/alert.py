"""The ``alert`` stage: verdicts into the per-room detectors, events out.

Time is record time, kept per room (:mod:`roomwatch.stages.clock`): a record
only moves its own room's time. Verdicts are fed in order; before each one
its room's detectors are ticked once for every whole second of that room's
record time that has passed (:meth:`AlertManager.catch_up`: the seconds in
which nothing can happen are skipped in one go, and a gap over
:data:`~roomwatch.core.alerts.manager.MAX_STEPPED_GAP` seconds is crossed in
one jump), so a replay ticks exactly where the live run
did, and a silence inside a recording is judged in record time when the next
record arrives. In a quiet live room (no records), :meth:`AlertStage.tick_wall`
moves the room's time on by the wall time since its last record, times the
room's pace (0 for a replay running flat out or one that has ended, so the
end of a recording never looks like an outage).

Each event goes to every registered listener (webhooks, the SQLite store,
``replay --alerts``) and comes back as a :class:`~roomwatch.stages.events.Publish`
on the ``alerts`` channel, which the composition root forwards to the hub;
the stage knows no hub. Comms users acknowledge
with ``{"action": "ack", "id": ALERT_ID}`` on the channel; acks are audited.
Who may ack is :data:`roomwatch.authz.TABLE` (``alerts.ack``), admitted by a
:class:`~roomwatch.authz.Gate` (a per-token rate limit; refusals counted).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.core.alerts import (
    SYSTEM_ROOM,
    Alert,
    AlertConfig,
    AlertError,
    AlertEvent,
    AlertManager,
)
from roomwatch.core.analyze import TYPED_KINDS
from roomwatch.core.lag import LagEvent, LagWatch
from roomwatch.core.result import Result
from roomwatch.core.shed import ShedCount
from roomwatch.core.verdict import Verdict
from roomwatch.stages.clock import Pace, RoomClocks
from roomwatch.stages.events import Actor, Handled, Publish
from roomwatch.stages.replies import ack_action, error_reply, refusal_reply
from roomwatch.stages.wake import Wakeups

__all__ = ["AlertListener", "AlertStage"]

logger = logging.getLogger(__name__)

#: Record seconds without a record before a quiet room's clock moves on its own
#: (wall seconds for a live room; fewer in a fast replay).
_IDLE_S: Final = 2.0
#: Wall seconds without a record after which a room's clock is forgotten.
_FORGET_S: Final = 6 * 3600.0
#: Record seconds a quiet room's time may run on before tick_wall looks at it
#: (well under MAX_STEPPED_GAP, so a record arriving after a silence is
#: caught up second by second, as when every second was ticked).
_LOOK_S: Final = 60
#: Wall seconds between looks at a room whose record time stands still
#: (pace 0: a replay running flat out, or one that has ended).
_RECHECK_S: Final = 5.0
#: Wake-ups are set this much early, against rounding in the pace arithmetic.
_EARLY_S: Final = 1e-6

#: The source (alert key) of a room's lag alert is this plus the room.
LAG_SOURCE: Final = "lag:"

#: Receives every alert event (open, update, resolve, ack).
AlertListener = Callable[[AlertEvent], object]


class AlertStage:
    stage = "alert"

    def __init__(
        self,
        config: AlertConfig | None = None,
        *,
        clocks: RoomClocks | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        gate: Gate | None = None,
        pace: Pace | None = None,
        lag_alert_s: float = 0.0,
        own: Iterable[tuple[str, AlertConfig]] = (),
    ) -> None:
        self.config = config if config is not None else AlertConfig()
        #: The detectors of every room on the global thresholds.
        self.manager = AlertManager(self.config)
        #: Rooms with thresholds of their own (``[rooms."<room>".alerts]``)
        #: each have a manager of their own (see :meth:`set_room_config`).
        self._own: dict[str, AlertManager] = {room: AlertManager(cfg) for room, cfg in own}
        #: Live verdicts' lag per room: a `system` alert while it is high.
        self.lag = LagWatch(lag_alert_s)
        self._listeners: list[AlertListener] = []
        self._tick_at: dict[str, int] = {}  # per room: the last whole second ticked
        #: Per room: the newest ts of a typed comment. The shared clock also
        #: moves on gifts, enters and likes; the detectors see only comments,
        #: so their time is this ts plus the room's idle time (see :meth:`now`).
        self._typed: dict[str, float] = {}
        #: Record time per room, shared with the other stages (the root owns it).
        self._clocks = clocks if clocks is not None else RoomClocks(monotonic, pace)
        self._wall = time.time
        self.gate = gate if gate is not None else Gate(Authz(()), RefusalLog())
        #: Called with (alert id, actor, role, ts) after an acknowledgement.
        self.on_ack: Callable[[str, str, str, float], object] | None = None
        #: When tick_wall next looks at each room (monotonic seconds).
        self._wakes = Wakeups()

    def add_listener(self, listener: AlertListener) -> None:
        self._listeners.append(listener)

    def now(self, room: str | None = None) -> float:
        """``room``'s record time; without one, the latest of any room (or the wall clock).

        A room's time is its newest typed comment's ``ts`` plus the time
        since the room's latest record (of any kind) arrived: a gift stamped
        ahead of the comments does not move the detectors' time.
        """
        if room is not None and room in self._typed and room in self._clocks:
            return self._typed[room] + self._clocks.idle(room)
        return self._clocks.now_or_latest(room, self._wall)

    # -- pipeline output -----------------------------------------------------

    def __call__(self, results: Sequence[Result]) -> list[Publish]:
        out: list[Publish] = []
        newest: dict[str, float] = {}
        tick_at = self._tick_at
        own = self._own
        manager = self.manager
        observe = manager.observe_parts
        floor = math.floor
        no_ts = -math.inf
        for r in results:
            if not isinstance(r, Verdict):
                continue
            c = r.comment
            room = c.room
            ts = c.ts
            if r.lag_s is not None:
                lag_event = self.lag.observe(room, r.lag_s, ts)
                if lag_event is not None:
                    self._lag_alert(lag_event, out)
            if c.kind not in TYPED_KINDS:
                continue
            last = tick_at.get(room)
            if last is None or floor(ts) > last:
                self._advance(room, ts, out)  # (a new second: the others are no-ops)
            if ts > newest.get(room, no_ts):
                newest[room] = ts
            # observe(Observation.from_verdict(r, text=r.normalized.text)), without
            # its lookups, and the Observation made only where a detector takes one.
            events = (own[room].observe_parts if own and room in own else observe)(
                c, r.label, r.sentiment, r.normalized.text, r.tokens
            )
            if events:
                self._emit(events, out)
        self._settle(newest)
        return out

    def _settle(self, newest: dict[str, float]) -> None:
        for room, ts in newest.items():
            self._clocks.advance(room, ts)
            if ts > self._typed.get(room, -math.inf):
                self._typed[room] = ts
            if room not in self._wakes and room in self._tick_at:
                self._plan(room)

    def count_shed(self, counts: Sequence[ShedCount]) -> list[Publish]:
        """Comments shed in degrade mode: in their room's volume and lag watch only."""
        out: list[Publish] = []
        newest: dict[str, float] = {}
        for s in counts:
            if s.lag_max is not None:
                lag_event = self.lag.observe(s.room, s.lag_max, s.newest)
                if lag_event is not None:
                    self._lag_alert(lag_event, out)
            self._advance(s.room, s.newest, out)
            manager = self._own.get(s.room, self.manager)
            self._emit(manager.observe_volume(s.room, s.newest, s.n, s.negatives), out)
            if s.newest > newest.get(s.room, -math.inf):
                newest[s.room] = s.newest
        self._settle(newest)
        return out

    def _advance(self, room: str, now: float, out: list[Publish]) -> None:
        second = math.floor(now)
        last = self._tick_at.get(room)
        if last is None:
            self._tick_at[room] = second
            return
        if second <= last:
            return
        # Once a second of record time, the quiet ones skipped (catch_up).
        events = self._own.get(room, self.manager).catch_up(room, last, second)
        if events:  # (most catch-ups of a sparse room: none)
            self._emit(events, out)
        self._tick_at[room] = second

    def tick_wall(self) -> list[Publish]:
        """In a quiet room, advance its record time by the time since its last record.

        Only after ``_IDLE_S`` of record time without records: while records
        flow, ticks come from their ``ts`` alone, exactly as in a replay of the
        same recording. The time since is wall time times the room's pace.

        Only the rooms whose wake-up has come are looked at (:meth:`_plan`):
        the ticks in between would all have been quiet.
        """
        out: list[Publish] = []
        for room in self._wakes.due(self._clocks.time()):
            if room not in self._tick_at:
                continue
            if room not in self._clocks:
                # Its clock stood still for hours (e.g. a finished replay).
                self._forget(room)
                continue
            if self._clocks.idle(room) >= _IDLE_S:
                self._advance(room, self.now(room), out)
                if not self._own.get(room, self.manager).has_room(room):
                    # The detectors forgot the room (idle for long): so do we
                    # (the clock is shared; it forgets the room on its own).
                    self._forget(room)
                    continue
            self._plan(room)
        self._clocks.prune(_FORGET_S)
        return out

    def _plan(self, room: str) -> None:
        """Wake ``room`` when its record time reaches the next second that may
        need a full tick (at the latest ``_LOOK_S`` on, and never before it
        has been quiet for ``_IDLE_S``); a room whose clock stands still is
        looked at again after ``_RECHECK_S`` of wall time."""
        last = self._tick_at[room]
        manager = self._own.get(room, self.manager)
        due = manager.quiet_through(room, last, last + _LOOK_S) + 1
        ts = self._clocks.ts(room)
        at = None
        if ts is not None:
            # The detectors' time is the newest comment's ts plus the idle
            # time (see :meth:`now`); the shared clock runs ``ahead`` of it
            # when a gift or enter was stamped later than the comments.
            typed = self._typed.get(room, ts)
            ahead = ts - typed
            at = self._clocks.wake_at(room, max(typed + _IDLE_S, float(due)) + ahead)
        if at is None:
            at = self._clocks.time() + _RECHECK_S
        # A hair early: a look that finds nothing due just plans again.
        self._wakes.set(room, at - _EARLY_S)

    def _forget(self, room: str) -> None:
        del self._tick_at[room]
        self._typed.pop(room, None)
        self._wakes.forget(room)

    # -- rooms and their thresholds -------------------------------------------

    def get(self, alert_id: str) -> Alert | None:
        """An open or recently resolved alert of any room."""
        for manager in (self.manager, *self._own.values()):
            found = manager.get(alert_id)
            if found is not None:
                return found
        return None

    def open_alerts(self) -> list[Alert]:
        """Every room's unresolved alerts, oldest first."""
        if not self._own:
            return self.manager.open_alerts()
        alerts = [a for m in (self.manager, *self._own.values()) for a in m.open_alerts()]
        return sorted(alerts, key=lambda a: a.started_at)

    def set_room_config(self, room: str, config: AlertConfig | None) -> None:
        """Run ``room``'s detectors on ``config`` from its next comment on (None:
        the global thresholds). Its open alerts stay open (same ids); its
        running baselines start again under the new thresholds."""
        old = self._own.get(room, self.manager)
        if config is None or config is self.config:
            if old is self.manager:
                return
            new = self.manager
        elif old is not self.manager and old.config == config:
            return
        else:
            new = AlertManager(config)
        moved = old.release_room(room)
        self._own.pop(room, None)
        if new is not self.manager:
            self._own[room] = new
        new.restore(moved)

    def drop_room(self, room: str, now: float | None = None) -> list[Publish]:
        """Forget ``room`` (it was removed): its detectors' state, and its open
        alerts, which resolve (listeners and clients see ``resolve`` events)."""
        at = self.now(room) if now is None else now
        manager = self._own.pop(room, self.manager)
        out: list[Publish] = []
        events = [
            AlertEvent("resolve", replace(a, state="resolved", resolved_at=at, updated_at=at), at)
            for a in manager.release_room(room)
        ]
        self._emit(events, out)
        if room in self._tick_at:
            self._forget(room)
        return out

    def _emit(self, events: Iterable[AlertEvent], out: list[Publish]) -> None:
        for event in events:
            out.append(Publish("alerts", _room_of(event.alert), event.to_dict()))
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:
                    logger.exception("alert listener %r failed", listener)

    def _lag_alert(self, event: LagEvent, out: list[Publish]) -> None:
        source = LAG_SOURCE + event.room
        if event.kind == "high":
            self._emit([self.manager.raise_system(source, event.message, event.at)], out)
        else:
            resolved = self.manager.resolve_system(source, event.at)
            if resolved is not None:
                self._emit([resolved], out)

    def raise_system(self, source: str, message: str, now: float) -> list[Publish]:
        """Alert everyone that roomwatch itself is in trouble (e.g. the disk is full)."""
        out: list[Publish] = []
        self._emit([self.manager.raise_system(source, message, now)], out)
        return out

    def resolve_system(self, source: str, now: float) -> list[Publish]:
        """Close ``source``'s ``system`` alert, if one is open (the trouble is over)."""
        out: list[Publish] = []
        event = self.manager.resolve_system(source, now)
        if event is not None:
            self._emit([event], out)
        return out

    def restore(self, alerts: Iterable[Alert | Mapping[str, Any]]) -> int:
        """Take back open alerts saved before a restart; returns how many."""
        items = list(alerts)
        try:
            rooms = [a.room if isinstance(a, Alert) else a.get("room") for a in items]
            for room, manager in self._own.items():
                manager.restore([a for a, r in zip(items, rooms, strict=True) if r == room])
            self.manager.restore(
                [a for a, r in zip(items, rooms, strict=True) if r not in self._own]
            )
        except AlertError as exc:
            logger.error("could not restore saved alerts: %s", exc)
            return 0
        # A lag alert still open resolves once its room catches up.
        for alert in self.open_alerts():
            if alert.detector == "system" and alert.key.startswith(LAG_SOURCE):
                self.lag.assume_high(alert.key.removeprefix(LAG_SOURCE))
        return len(items)

    # -- hub wiring ----------------------------------------------------------

    def snapshot(self, client: Actor) -> Iterable[dict[str, Any]]:
        alerts = [a.to_dict() for a in self.open_alerts() if client.wants(_room_of(a))]
        yield {"type": "snapshot", "alerts": alerts}

    def handle(self, client: Actor, message: Mapping[str, Any]) -> Handled:
        """Apply one ``ack`` from ``client``: its reply, and the alert's update for everyone."""
        out: list[Publish] = []
        return Handled(self._handle(client, message, out), out)

    def _handle(
        self, client: Actor, message: Mapping[str, Any], out: list[Publish]
    ) -> dict[str, Any]:
        alert_id = ack_action(message)
        if isinstance(alert_id, dict):
            return alert_id
        refusal = self.gate.admit(client.token, "alerts.ack", target=alert_id)
        if refusal is not None:
            return refusal_reply("ack", refusal, client.token.role, detail=False)
        alert = self.get(alert_id)
        if alert is None or not client.wants(_room_of(alert)):
            # Another room's alert is "not found": its id tells nothing.
            return error_reply("ack", "not_found")
        if alert.acked_by is not None:
            # Seen already: said again to this client only, not to everyone
            # (nor to the webhooks), and not audited twice.
            return _ack_reply(alert)
        now = self.now(_room_of(alert))
        try:
            owner = self._own.get(alert.room, self.manager)
            event, audit = owner.acknowledge(alert_id, client.token.label, now)
        except AlertError as exc:
            return error_reply("ack", "bad_request", str(exc))
        self._emit([event], out)
        if self.on_ack is not None:
            self.on_ack(alert_id, client.token.label, client.token.role, audit.ts)
        return _ack_reply(event.alert)


def _ack_reply(alert: Alert) -> dict[str, Any]:
    return {"type": "ack", "action": "ack", "ok": True, "alert": alert.to_dict()}


def _room_of(alert: Alert) -> str | None:
    """The hub room of an alert: alerts about roomwatch itself go to everyone."""
    return None if alert.room == SYSTEM_ROOM else alert.room
