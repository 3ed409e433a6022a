"""The running moderation feature: pipeline output, ``stream`` channel, actions.

:class:`Moderation` ties the sans-I/O parts (:mod:`.review`, :mod:`roomwatch.ratelimit`)
to the store and the outbound interface. It knows no hub: it returns (or,
for actions, emits) :class:`~roomwatch.stages.events.Publish` events, and
the composition root (:mod:`roomwatch.compose`) forwards them, registers
:meth:`Moderation.snapshot` and :meth:`Moderation.handle` on the hub and
calls :meth:`Moderation.publish_stats` from its one ticker:

* as a pipeline output it sees every batch of verdicts and publishes one
  ``batch`` frame per room per pipeline batch on the ``stream`` channel
  (every comment, plus review-queue additions and evictions);
* once a second it publishes each active room's ``stats`` (rate, mood and the
  current mood-chart bucket);
* it answers actions from the dashboard (WebSocket) and from
  ``POST /moderation/actions`` (HTTP) with the same code path: role check,
  per-token rate limit, decision, audit, feedback, outbound delivery
  (:mod:`.actions`). Roles
  and rooms come from :data:`roomwatch.authz.TABLE` (``moderation.*``),
  through the service's :class:`~roomwatch.authz.Gate`; refused attempts are
  counted audit rows (:class:`~roomwatch.authz.RefusalLog`).

Decisions on review items: ``confirm`` (label right; stored as feedback),
``false_positive`` (label wrong; feedback with the corrected label),
``hide``, ``mute`` (``duration_s``), ``ban`` (sent out through
:class:`~roomwatch.moderation.outbound.Outbound`), ``ignore``. Each takes
``room`` and ``ids`` (bulk) or ``id``. ``undo`` takes ``decision`` and applies
the compensating action (unhide, unmute, unban), puts the items back in the
queue and is audited like any other action.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from roomwatch.authz import Gate
from roomwatch.config import Token
from roomwatch.config.moderation import MUTE_DURATIONS, ModerationConfig
from roomwatch.core.result import Result
from roomwatch.core.shed import ShedCount
from roomwatch.core.verdict import Verdict
from roomwatch.metrics import component_families
from roomwatch.moderation.actions import Actions
from roomwatch.moderation.decision import SNAPSHOT_DECISIONS, Decision
from roomwatch.moderation.outbound import Outbound, build_outbound
from roomwatch.moderation.review import (
    LABELS,
    ROW_FIELDS,
    ReviewItem,
    ReviewQueue,
    RoomStats,
    UserHistory,
    compact,
)
from roomwatch.stages.clock import Pace, RoomClocks
from roomwatch.stages.events import Actor, Emit, Handled, Publish
from roomwatch.store import Store

__all__ = ["Moderation"]


class Moderation:
    """Build with :func:`roomwatch.compose.install_moderation` (the service does)."""

    def __init__(
        self,
        config: ModerationConfig,
        *,
        gate: Gate,
        registry: CollectorRegistry,
        clocks: RoomClocks | None = None,
        outbound: Outbound | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        stats_interval_s: float = 1.0,
        pace: Pace | None = None,
        max_review_items: int | None = None,
        max_stats_rooms: int | None = None,
    ) -> None:
        self.config = config
        self.outbound: Outbound = outbound if outbound is not None else build_outbound(config)
        self._clock = clock
        self.stats_interval_s = stats_interval_s
        self.queue = ReviewQueue(config.review_labels, config.queue_max, max_review_items)
        self.history = UserHistory(config.history_per_user, config.history_users)
        self.gate: Gate = gate
        self.gate.set_rate("moderation", config.actions_per_minute)
        #: Room stats, least recently active first (at most ``max_stats_rooms``).
        self.stats: OrderedDict[str, RoomStats] = OrderedDict()
        self.max_stats_rooms = max_stats_rooms
        #: Rooms whose stats frame still changes: new comments, or rate and
        #: mood windows not yet past their last comment. publish_stats visits
        #: only these (and the oldest rooms, to forget quiet ones).
        self._live: dict[str, None] = {}
        #: Rooms publish_stats has looked at, ever (a work count for tests and benchmarks).
        self.stats_visits = 0
        self._settle_s = max(config.rate_window_s, config.mood_window_s) + 1.0
        self._component = component_families(registry).component("transform", "moderation")
        self.recent: deque[tuple[Any, ...]] = deque(maxlen=config.recent)
        # Record time per room, shared with the stages (the root owns it): a
        # record in one room never moves another room's rates.
        self._clocks = clocks if clocks is not None else RoomClocks(monotonic, pace)
        self.actions = Actions(
            queue=self.queue,
            history=self.history,
            gate=gate,
            outbound=self.outbound,
            registry=registry,
            clock=clock,
        )
        self.actions_total = self.actions.actions_total

    @property
    def store(self) -> Store | None:
        """The store actions are written to (set by the composition root once open)."""
        return self.actions.store

    @store.setter
    def store(self, store: Store | None) -> None:
        self.actions.store = store

    @property
    def emit(self) -> Emit:
        return self.actions.emit

    @emit.setter
    def emit(self, emit: Emit) -> None:
        """Where events of actions go (set by the composition root)."""
        self.actions.emit = emit

    @property
    def decisions(self) -> OrderedDict[str, Decision]:
        return self.actions.decisions

    async def act(self, token: Token, message: Mapping[str, Any]) -> dict[str, Any]:
        """Apply one action message for ``token``; returns the ack or error reply."""
        return await self.actions.act(token, message)

    def audit_refused(self, token: Token, action: str, target: str) -> None:
        """Count an attempt refused before it reached :meth:`act` (wrong role over HTTP)."""
        self.actions.audit_refused(token, action, target)

    def now(self, room: str | None = None) -> float:
        """``room``'s record time: its newest ts plus the time since it arrived.

        Without a room (or before its first record): the latest of any room,
        else the wall clock.
        """
        return self._clocks.now_or_latest(room, self._clock)

    # -- pipeline output (sync, never blocks) --------------------------------

    def __call__(self, results: Sequence[Result]) -> list[Publish]:
        frames: dict[str, tuple[list[tuple[Any, ...]], list[dict[str, Any]], list[str]]] = {}
        newest: dict[str, float] = {}
        for r in results:
            if not isinstance(r, Verdict):
                continue
            c = r.comment
            if c.ts > newest.get(c.room, -1.0):
                newest[c.room] = c.ts
            row = compact(r)
            frame = frames.get(c.room)
            if frame is None:
                frame = frames[c.room] = ([], [], [])
            frame[0].append(row)
            self.recent.append(row)
            self._stats_of(c.room).add(c.ts, r.label, r.sentiment)
            uid = c.user.id
            review = self.queue.wants(r)
            previous: list[dict[str, Any]] = []
            if uid:
                if review:
                    previous = self.history.recent(c.room, uid)[:5]
                self.history.add(
                    c.room, uid, {"id": c.id, "ts": c.ts, "text": c.text[:300], "label": r.label}
                )
            if review:
                item = ReviewItem.from_verdict(r, previous)
                frame[2].extend(self.queue.add(item))
                frame[1].append(item.to_dict())
        live = self._live
        for room, ts in newest.items():
            self._clocks.advance(room, ts)
            self.stats.move_to_end(room)
            live[room] = None
        self._cap_stats()
        spilled: dict[str, list[dict[str, Any]]] = {}
        taken = self.queue.take_spilled()
        if taken:
            self._component.discarded("review_total_cap").inc(len(taken))
        for it in taken:
            spilled.setdefault(it.room, []).append(
                {"id": it.id, "reason": "evicted", "cap": "global"}
            )
        out: list[Publish] = []
        for room, (rows, added, evicted) in frames.items():
            message: dict[str, Any] = {"type": "batch", "comments": rows}
            removed = [{"id": i, "reason": "evicted"} for i in evicted]
            if evicted:
                self._component.discarded("review_room_cap").inc(len(evicted))
            removed.extend(spilled.pop(room, ()))
            if added or removed:
                message["review"] = {"added": added, "removed": removed}
            out.append(Publish("stream", room, message))
        # Rooms that lost items to the global cap but had no comment now:
        # their moderators see the items go, as for any eviction.
        for room, removed in spilled.items():
            out.append(Publish("stream", room, {"type": "review", "added": [], "removed": removed}))
        return out

    def _stats_of(self, room: str) -> RoomStats:
        stats = self.stats.get(room)
        if stats is None:
            cfg = self.config
            stats = self.stats[room] = RoomStats(
                rate_window_s=cfg.rate_window_s,
                mood_window_s=cfg.mood_window_s,
                bucket_s=cfg.series_bucket_s,
                minutes=cfg.series_minutes,
            )
        return stats

    def count_shed(self, counts: Sequence[ShedCount]) -> list[Publish]:
        """Comments shed in degrade mode: in their room's rate, mood and series only."""
        newest: dict[str, float] = {}
        for s in counts:
            self._stats_of(s.room).add(s.newest, "chatter", s.sentiment, s.n)
            if s.newest > newest.get(s.room, -1.0):
                newest[s.room] = s.newest
        for room, ts in newest.items():
            self._clocks.advance(room, ts)
            self.stats.move_to_end(room)
            self._live[room] = None
        self._cap_stats()
        return []

    def _cap_stats(self) -> None:
        """Forget the least recently active rooms' charts past ``max_stats_rooms``."""
        cap = self.max_stats_rooms
        if cap is None:
            return
        over = len(self.stats) - cap
        if over <= 0:
            return
        for _ in range(over):
            room, _stats = self.stats.popitem(last=False)
            self._live.pop(room, None)
        self._component.discarded("stats_rooms_cap").inc(over)

    def publish_stats(self) -> list[Publish]:
        """``stats`` frames of the rooms whose stats changed (the ticker calls this once a second).

        A room is visited while it gets comments and until its rate and mood
        windows have passed its last one (its last frame shows rate 0); after
        that its frame would not change, so a quiet room costs nothing. Work
        is proportional to the busy rooms, not to all rooms.
        """
        out: list[Publish] = []
        span = self.config.series_minutes * 60
        for room in tuple(self._live):
            self.stats_visits += 1
            stats = self.stats.get(room)
            if stats is None:
                del self._live[room]
                continue
            now = self.now(room)
            if now - stats.newest > self._settle_s:
                del self._live[room]
            if stats.newest < now - span:
                continue
            out.append(
                Publish(
                    "stream",
                    room,
                    {"type": "stats", "now": now, **stats.summary(now), "series": stats.series(2)},
                )
            )
        self._forget_quiet(span + 3600)
        return out

    def _forget_quiet(self, quiet_s: float) -> None:
        """Forget the charts of rooms quiet for ``quiet_s`` (least recently active first)."""
        while self.stats:
            room, stats = next(iter(self.stats.items()))
            if room in self._live:
                return
            self.stats_visits += 1
            if stats.newest >= self.now(room) - quiet_s:
                return
            # Quiet for 1.5 h: forget the chart (the shared record clock
            # forgets the room on its own).
            del self.stats[room]

    # -- hub wiring ------------------------------------------------------------

    def snapshot(self, client: Actor) -> Iterable[dict[str, Any]]:
        now = self.now()
        rooms = {
            room: {**stats.summary(self.now(room)), "series": stats.series()}
            for room, stats in self.stats.items()
            if client.wants(room)
        }
        review = [
            i.to_dict()
            for room in self.queue.rooms
            if client.wants(room)
            for i in self.queue.items(room)
        ]
        # The newest few this client may see, oldest first; only those are encoded.
        visible = (d for d in reversed(self.decisions.values()) if client.wants(d.room))
        decisions = [d.to_dict() for d in itertools.islice(visible, SNAPSHOT_DECISIONS)]
        decisions.reverse()
        yield {
            "type": "snapshot",
            "now": now,
            "rooms": rooms,
            "review": review,
            "recent": [row for row in self.recent if client.wants(row[1])],
            "decisions": decisions,
            "can_act": self.gate.authz.decide(client.token, "moderation.hide") is None,
            "config": {
                "raid_window_s": self.config.raid_window_s,
                "mute_durations": list(MUTE_DURATIONS),
                "series_bucket_s": self.config.series_bucket_s,
                "series_minutes": self.config.series_minutes,
                "labels": list(LABELS),
                "review_labels": list(self.config.review_labels),
                "outbound": self.outbound.name,
                "row_fields": list(ROW_FIELDS),
            },
        }

    async def handle(self, client: Actor, message: Mapping[str, Any]) -> Handled:
        """The ``stream`` channel's action handler: the reply (events go out through ``emit``)."""
        return Handled(await self.act(client.token, message))

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight outbound deliveries (at most ``timeout`` seconds)."""
        await self.actions.drain(timeout)

    async def aclose(self) -> None:
        """Let in-flight deliveries finish (for a while), then close the outbound interface."""
        await self.actions.aclose()
