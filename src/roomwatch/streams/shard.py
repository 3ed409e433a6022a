"""One input shard as a worker holds it: its own graph, its output, its dedupe window.

Each shard a worker owns gets its own graph (pipeline and stages, built by
the composition root), so the per-room state of a shard can be dropped and
rebuilt on its own when the shard changes hands. :meth:`ShardRun.process`
runs one batch of entries through the graph and returns what the batch
produced: the verdicts, the stage events, the alert events and the views
(snapshots) of the rooms it touched, as the output stream carries them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from roomwatch.config import Token
from roomwatch.core.alerts import AlertEvent
from roomwatch.core.queue import AuditRecord
from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.stages.events import Publish
from roomwatch.stages.replies import error_reply
from roomwatch.streams.actions import Control, ForwardedActor
from roomwatch.streams.layout import Entry

if TYPE_CHECKING:
    from roomwatch.compose.graph import Graph

__all__ = ["KeyWindow", "ShardRun"]

logger = logging.getLogger(__name__)

#: Views (snapshots) of the rooms a shard's batches touched go out at most this
#: often (the ticker sends what is left). The gateway keeps its views current
#: from the events in between; these only set them right. A busy room's
#: snapshot costs more than its batch: every 0.25 s, they were the Redis
#: path's p99 at 2,000 comments/s (bench/scale_bench.py).
VIEWS_EVERY_S = 5.0

_VIEWER = Token(token="-", role="admin", name="stream-worker")


class KeyWindow:
    """Remembers at least the last ``size`` acceptance keys (two generations)."""

    __slots__ = ("_old", "_size", "_young")

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._young: set[str] = set()
        self._old: set[str] = set()

    def seen(self, key: str) -> bool:
        if key in self._young or key in self._old:
            return True
        self._young.add(key)
        if len(self._young) >= self._size:
            self._old, self._young = self._young, set()
        return False


@dataclass(slots=True)
class _Rooms:
    """An actor that sees a given set of rooms (to take per-room snapshots)."""

    rooms: set[str]
    token: Token = _VIEWER

    def wants(self, room: str | None) -> bool:
        return room is not None and room in self.rooms


@dataclass(slots=True)
class _Collector:
    """What the graph produced since the last :meth:`take` (nothing while rebuilding)."""

    keys: dict[int, str] = field(default_factory=dict)
    verdicts: list[list[Any]] = field(default_factory=list)
    events: list[list[Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    #: Client actions applied: ``[key, reply]``, and their audit rows (``Store.submit_audit``).
    replies: list[list[Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    rooms: set[str] = field(default_factory=set)
    suppress: bool = False

    def output(self, results: Sequence[Result]) -> None:
        if self.suppress:
            return
        for r in results:
            if isinstance(r, Verdict):
                key = self.keys.get(id(r.comment), "")
                self.verdicts.append([key, r.to_dict()])

    def publish(self, events: Iterable[Publish]) -> None:
        for e in events:
            if not self.suppress:
                self.events.append([e.channel, e.room, e.message])
                if e.room is not None:
                    self.rooms.add(e.room)

    def alert(self, event: AlertEvent) -> None:
        if not self.suppress:
            self.alerts.append(event.to_dict())

    def queue_audit(self, record: AuditRecord, *, role: str = "") -> None:
        """As ``Store.submit_queue_audit`` words a host-queue action."""
        if not self.suppress:
            self.audit.append(
                {
                    "ts": record.ts,
                    "actor": record.actor,
                    "role": role,
                    "action": record.action,
                    "target_kind": "queue_item",
                    "target_id": record.item_id,
                    "room": record.room,
                    "ok": record.ok,
                    "error": record.error,
                }
            )


class ShardRun:
    """A shard's graph and bookkeeping, for as long as this worker owns the shard."""

    def __init__(self, shard: int, graph: Graph, collector: _Collector, window: int) -> None:
        self.shard = shard
        self.graph = graph
        self._out = collector
        self.keys = KeyWindow(window)
        #: The id of the last input entry whose output is written ("0-0": none).
        self.done = "0-0"
        #: Entries seen again and skipped since the last batch (for the metric).
        self.redelivered = 0
        #: Rooms whose views changed since they were last sent, and when that was.
        self._dirty: set[str] = set()
        self._views_at = 0.0

    @classmethod
    def build(cls, shard: int, make_graph: Any, window: int) -> ShardRun:
        """``make_graph(output, alert_listener)`` builds the shard's graph."""
        collector = _Collector()
        graph: Graph = make_graph(collector.output, collector.alert)
        graph.sink = collector.publish
        if graph.triage is not None:
            graph.triage.audit_sink = collector.queue_audit
        alerts = graph.alerts
        if alerts is not None:

            def audit_ack(alert_id: str, actor: str, role: str, ts: float) -> None:
                if collector.suppress:
                    return
                a = alerts.get(alert_id)
                collector.audit.append(
                    {
                        "ts": ts,
                        "actor": actor,
                        "role": role,
                        "action": "ack",
                        "target_kind": "alert",
                        "target_id": alert_id,
                        "room": a.room if a else "",
                    }
                )

            alerts.on_ack = audit_ack
        return cls(shard, graph, collector, window)

    async def process(
        self, entries: Sequence[Entry | Control], *, rebuild: bool = False
    ) -> dict[str, Any]:
        """Run ``entries`` (in stream order) through the graph; what they produced.

        A control entry (a client's action) is applied after the records
        before it have gone through, through the stage's own ``handle``.

        ``rebuild``: only the state moves (a new owner catching up on the
        shard's history); nothing is returned for output.
        """
        out = self._out
        out.suppress = rebuild
        pipeline = self.graph.pipeline
        # A rebuild re-runs records already counted once, when they were live.
        pipeline.counting = not rebuild
        pace = self.graph.pace
        now = time.monotonic()
        try:
            for e in entries:
                if self.keys.seen(e.key):
                    self.redelivered += 1
                    continue
                if isinstance(e, Control):
                    await pipeline.process_queued()
                    self._apply(e)
                    continue
                room = e.comment.room
                if pace.rate(room) != e.pace:
                    pace.set(room, e.pace)
                pace.arrived(room, now)
                out.keys[id(e.comment)] = e.key
                out.rooms.add(room)
                await pipeline.offer(e.comment, e.source, admitted=True, trusted=e.trusted)
                if pipeline.queued >= 256:
                    await pipeline.process_queued()
            await pipeline.process_queued()
        finally:
            out.keys.clear()
            out.suppress = False
            pipeline.counting = True
        if rebuild:
            # The rebuilt rooms' views go out with the next output: the old
            # owner's last ones may be up to VIEWS_EVERY_S behind the state
            # rebuilt here, and a room with no new records would keep them.
            self._dirty |= out.rooms
            out.rooms = set()
            return {}
        return self.take()

    def _apply(self, c: Control) -> None:
        g = self.graph
        stage = g.triage if c.channel == "host" else g.alerts
        action = c.message.get("action") if isinstance(c.message.get("action"), str) else None
        if stage is None:
            reply = error_reply(action, "no_actions", f"channel {c.channel!r} takes no actions")
        else:
            try:
                handled = stage.handle(ForwardedActor.of(c), c.message)
                g.forward(handled.events)
                reply = handled.reply
            except Exception:
                logger.exception("shard %d: action %s failed", self.shard, c.id)
                reply = error_reply(action, "internal_error", "the action failed; see the log")
        if not self._out.suppress:
            self._out.replies.append([c.key, reply])

    def tick(self, stats: bool) -> dict[str, Any]:
        """Move quiet rooms' time on (and publish moderation stats); what it produced."""
        self.graph.tick()
        if stats:
            self.graph.publish_stats()
        return self.take()

    def take(self) -> dict[str, Any]:
        """The output since the last call; with the views of the rooms touched
        since the last views, at most every :data:`VIEWS_EVERY_S` (a busy
        room's snapshot costs more than its batch)."""
        out = self._out
        self._dirty |= out.rooms
        out.rooms = set()
        now = time.monotonic()
        views_due = bool(self._dirty) and now - self._views_at >= VIEWS_EVERY_S
        if not (out.verdicts or out.events or out.alerts or out.replies or views_due):
            return {}
        payload: dict[str, Any] = {"shard": self.shard}
        if out.verdicts:
            payload["verdicts"] = out.verdicts
        if out.events:
            payload["events"] = out.events
        if out.alerts:
            payload["alerts"] = out.alerts
        if out.replies:
            payload["replies"] = out.replies
        if out.audit:
            payload["audit"] = out.audit
        if views_due:
            payload["views"] = self.views(self._dirty)
            self._dirty = set()
            self._views_at = now
        out.verdicts, out.events, out.alerts = [], [], []
        out.replies, out.audit = [], []
        return payload

    def views(self, rooms: set[str]) -> dict[str, dict[str, Any]]:
        """The host and alerts snapshots of ``rooms``, per room (the gateway serves these).

        The moderator channel's snapshot is only the room's latest flagged
        verdicts, which the gateway keeps from the events themselves
        (:class:`roomwatch.streams.fanout.Views`): sending it with every
        batch cost more than the verdicts.
        """
        actor = _Rooms(rooms)
        g = self.graph
        views: dict[str, dict[str, Any]] = {}
        if g.triage is not None:
            host = {m["room"]: m for m in g.triage.snapshot(actor)}
            views["host"] = {room: host.get(room) for room in rooms}
        if g.alerts is not None:
            by_room: dict[str, list[Any]] = {room: [] for room in rooms}
            for m in g.alerts.snapshot(actor):
                for a in m.get("alerts", ()):
                    by_room.setdefault(a.get("room") or "", []).append(a)
            views["alerts"] = by_room
        return views
