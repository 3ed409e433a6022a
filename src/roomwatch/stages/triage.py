"""The ``triage`` stage: question verdicts folded into each room's queue, on ``host``.

One :class:`~roomwatch.core.queue.QuestionQueue` per room. Question verdicts
are fed in order with their record ``ts`` as the clock; the queue's events go
out on the ``host`` channel. Time is kept per room, so a record in one room
never ages out another room's questions. Between records (a quiet room) a
room's time moves on by the wall time since its last record (times its pace,
see :mod:`roomwatch.stages.clock`), so items still age out.

A batch's questions go to each room's queue with
:meth:`~roomwatch.core.queue.QuestionQueue.add_batch` (one event per item
per batch). The ticker calls :meth:`TriageStage.tick_wall` ten times a
second, and serve's :class:`~roomwatch.compose.host_flush.HostFlush` calls it
again when a held update's hold ends (:meth:`TriageStage.next_wake`); only
rooms whose queue has something due (:meth:`QuestionQueue.next_due`) are
ticked, from a heap of wake-up times (issue #14, item 2): an idle room costs
nothing. What a tick would also have done, move the queue's clock on, is
done lazily and exactly: before a room's clock changes course, and before
its queue is read or fed, the queue's clock is moved to the room's time at
the last ticker call (:meth:`TriageStage._catch_up`). So snapshots, events
and items are exactly those of ticking every room on every call.

The stage knows no hub: it returns :class:`~roomwatch.stages.events.Publish`
events, and the composition root forwards them and registers
:meth:`TriageStage.snapshot` and :meth:`TriageStage.handle` on the hub.

Actions arrive on the same channel as ``{"action": "claim", "room", "id",
"ref"}`` (``claim``, ``unclaim``, ``answer``, ``dismiss``, ``pin``,
``unpin``). Who may act is :data:`roomwatch.authz.TABLE` (``host.*``: helper
and admin; host tokens are read-only), admitted by a :class:`~roomwatch.authz.Gate`
(field lengths, a per-token rate limit). The acting client gets ``ack`` or
``error``; every client sees the resulting events; every attempt that reaches
a queue is audited, and refused ones are counted (:class:`~roomwatch.authz.RefusalLog`).
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Protocol

from roomwatch.authz import Authz, Gate, Refusal, RefusalLog
from roomwatch.core.analyze import TYPED_KINDS
from roomwatch.core.queue import AuditRecord, QuestionQueue, QueueConfig, QueueEvent
from roomwatch.core.queue.queue import Ask
from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.stages.clock import Pace, RoomClocks
from roomwatch.stages.events import Actor, Handled, Publish
from roomwatch.stages.replies import host_action, refusal_reply
from roomwatch.stages.wake import Wakeups

__all__ = ["TriageStage"]

logger = logging.getLogger(__name__)

_QUESTION_KINDS: Final = TYPED_KINDS
#: Wall seconds without a record after which a room's clock is forgotten.
_FORGET_S: Final = 6 * 3600.0
#: Wake a room this many seconds before its deadline (rounding): a look that
#: finds nothing due yet only ticks as every call once did, and plans again.
_EARLY_S: Final = 1e-6


class AuditSink(Protocol):
    """Takes every audit record with the actor's role (the store persists them)."""

    def __call__(self, record: AuditRecord, *, role: str = "") -> object: ...


class TriageStage:
    stage = "triage"

    def __init__(
        self,
        config: QueueConfig | None = None,
        *,
        clocks: RoomClocks | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        audit: AuditSink | None = None,
        gate: Gate | None = None,
        pace: Pace | None = None,
        config_for: Callable[[str], QueueConfig] | None = None,
    ) -> None:
        # The queues import the slot extractor on first use (its regexes cost
        # ~20 ms; classify never folds): a stage that will fold loads it now,
        # not at a room's first question.
        import roomwatch.core.slots  # noqa: F401

        self.config = config if config is not None else QueueConfig()
        #: A room's queue settings, asked once when its queue is made (per-room
        #: sections, :class:`roomwatch.config.rooms.RoomBook`); else :attr:`config`.
        self._config_for = config_for
        self._queues: dict[str, QuestionQueue] = {}
        #: Where audit records go besides ``audit_log`` (set by the service).
        self.audit_sink = audit
        self.audit_log: deque[AuditRecord] = deque(maxlen=10_000)
        #: Record time per room, shared with the other stages (the root owns it).
        self._clocks = clocks if clocks is not None else RoomClocks(monotonic, pace)
        self._wall = time.time
        self.gate = gate if gate is not None else Gate(Authz(()), RefusalLog())
        #: When each room's queue next has something due (monotonic seconds).
        self._wakes = Wakeups()
        #: Ticker calls so far, and the monotonic time of the latest.
        self._epoch = 0
        self._ticked_at: float | None = None
        #: Rooms whose clock changed course (or whose queue was made) since
        #: ticker call number ``epoch``: not yet "ticked" on their new course.
        self._fresh: dict[str, int] = {}
        #: Rooms to plan again (and to forget, if their clock went) at the next call.
        self._replan: dict[str, None] = {}
        #: Queue creation order: rooms are ticked in it, as they always were.
        self._order: dict[str, int] = {}
        self._seq = 0
        self._clocks.watch(self._clock_changing)

    def queue(self, room: str) -> QuestionQueue:
        q = self._queues.get(room)
        if q is None:
            config = self.config if self._config_for is None else self._config_for(room)
            q = self._queues[room] = QuestionQueue(room, config)
            self._fresh[room] = self._epoch
            self._order[room] = self._seq = self._seq + 1
            self._replan[room] = None
        else:
            self._catch_up(room, q)
            # The caller may feed it or act on it: plan it again.
            self._replan[room] = None
        return q

    @property
    def rooms(self) -> tuple[str, ...]:
        return tuple(self._queues)

    def now(self, room: str | None = None) -> float:
        """``room``'s record time now: its newest ts plus the time since it arrived.

        Without a room (or before its first record): the latest of any room,
        else the wall clock.
        """
        return self._clocks.now_or_latest(room, self._wall)

    # -- pipeline output ---------------------------------------------------

    def __call__(self, results: Sequence[Result]) -> list[Publish]:
        out: list[Publish] = []
        asks: dict[str, list[Ask]] = {}
        newest: dict[str, float] = {}
        for r in results:
            if not isinstance(r, Verdict):
                continue
            c = r.comment
            if c.ts > newest.get(c.room, -math.inf):
                newest[c.room] = c.ts
            if r.label != "question" or c.kind not in _QUESTION_KINDS:
                continue
            ask = (c, r.normalized.text, r.tokens, r.scores.get("question", 0.0), c.ts)
            room_asks = asks.get(c.room)
            if room_asks is None:
                asks[c.room] = [ask]
            else:
                room_asks.append(ask)
        # A batch's asks to one item go out as one event at the batch's end
        # (QuestionQueue.add_batch): no ask waits for the update hold behind
        # another ask of the same batch.
        touched = {room: self.queue(room) for room in asks}
        for room, q in touched.items():
            out.extend(_host(q.add_batch(asks[room])))
        for room, ts in newest.items():
            self._clocks.advance(room, ts)
        for room, q in touched.items():
            out.extend(_host(q.tick(newest[room])))
            self._replan[room] = None
        self._settle()
        return out

    def next_wake(self) -> float | None:
        """When (monotonic seconds) some room's queue next has something due:
        a held update, an item ageing out... (None: nothing planned).

        The ticker calls :meth:`tick_wall` every 0.1 s; a caller that wants a
        held update sent the moment its hold ends calls it at this time too.
        """
        return self._wakes.next()

    def wake_in(self) -> float | None:
        """Seconds from now until :meth:`next_wake` (None: nothing planned).

        A timer set with this needs no clock of its own: the stage's clock
        may be injected (``build_pipeline(monotonic=...)``).
        """
        at = self._wakes.next()
        return None if at is None else at - self._clocks.time()

    def tick_wall(self) -> list[Publish]:
        """Move the queues with something due on to their room's record time now.

        The others are moved on lazily (see the module docstring): the
        result is that of ticking every room, at the cost of the due ones.
        """
        out: list[Publish] = []
        self._settle()
        at = self._clocks.time()
        self._epoch += 1
        self._ticked_at = at
        due = self._wakes.due(at)
        due.sort(key=self._order.__getitem__)
        for room in due:
            q = self._queues[room]
            if room in self._clocks:
                out.extend(_host(q.tick(self._clocks.now(room, at=at))))
            self._plan(room, q)
        self._clocks.prune(_FORGET_S)
        self._settle()
        return out

    def _settle(self) -> None:
        """Plan the rooms that changed; forget those whose clock went and queue emptied.

        Rooms with no record for hours (a finished replay, a room that
        closed): their clock is forgotten (by whichever stage pruned the
        shared clock first), and their queue once it is empty, so many rooms
        over a long run don't pile up state.
        """
        replan, self._replan = self._replan, {}
        for room in replan:
            q = self._queues.get(room)
            if q is None:
                continue
            if room not in self._clocks and not q:
                del self._queues[room]
                del self._order[room]
                self._fresh.pop(room, None)
                self._wakes.forget(room)
            else:
                self._plan(room, q)

    def _plan(self, room: str, q: QuestionQueue) -> None:
        """Wake ``room`` when its record time reaches its queue's next deadline."""
        due = q.next_due()
        at = None
        if due is not None and room in self._clocks:
            # Due by the queue's own time (which a question or an action may
            # have set ahead of the room's): at the next call.
            now = self._clocks.time()
            at = now if due < q.clock else self._clocks.wake_at(room, due)
            if at is None and self._clocks.now(room, at=now) >= due:
                at = now  # a room whose time stands still, already past it
        if at is None:
            # Nothing pending, or the room's time stands still (or is gone):
            # a change of either plans it again.
            self._wakes.forget(room)
        else:
            self._wakes.set(room, at - _EARLY_S)

    def _clock_changing(self, room: str) -> None:
        """``room``'s record time is about to change course (see :meth:`RoomClocks.watch`)."""
        q = self._queues.get(room)
        if q is not None:
            self._catch_up(room, q)
            self._fresh[room] = self._epoch
            self._replan[room] = None

    def _catch_up(self, room: str, q: QuestionQueue) -> None:
        """Move ``q``'s clock to where ticking it at the last ticker call would have.

        Only if the room's clock has run on its present course since before
        that call (else that call saw an earlier course, caught up already
        when it changed): then its time at that call is this course's.
        """
        at = self._ticked_at
        if at is not None and self._fresh.get(room) != self._epoch and room in self._clocks:
            q.advance(self._clocks.now(room, at=at))

    def drop_room(self, room: str, reason: str = "room_removed") -> list[Publish]:
        """Forget ``room``'s queue (its settings changed, or the room was removed).

        Clients are told each item is ``removed`` with ``reason``; the room's
        next question makes a new queue with the settings in force then.
        """
        q = self._queues.pop(room, None)
        if q is None:
            return []
        self._order.pop(room, None)
        self._fresh.pop(room, None)
        self._replan.pop(room, None)
        self._wakes.forget(room)
        events = [
            QueueEvent("removed", room, item_id=item.id, reason=reason)
            for item in q.snapshot(include_closed=True)
        ]
        events.append(QueueEvent("reordered", room))
        return list(_host(events))

    # -- hub wiring --------------------------------------------------------

    def snapshot(self, client: Actor) -> Iterable[dict[str, Any]]:
        for room, q in self._queues.items():
            if client.wants(room):
                self._catch_up(room, q)
                yield {
                    "type": "snapshot",
                    "room": room,
                    "items": [item.to_dict() for item in q.snapshot(include_closed=True)],
                    "order": list(q.top_ids()),
                }

    def handle(self, client: Actor, message: Mapping[str, Any]) -> Handled:
        """Apply one action message from ``client``: its reply, and the queue's events."""
        return Handled(*self._handle(client, message))

    def _handle(
        self, client: Actor, message: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[Publish]]:
        checked = host_action(message)
        if isinstance(checked, dict):
            return checked, []
        action, room, item_id = checked
        token = client.token
        refusal = self.gate.admit(token, f"host.{action}", room=room, target=item_id)
        if refusal is None and room not in self._queues:
            refusal = Refusal("no_room", "no questions in that room")
            self.gate.refuse(token, action, refusal, room=room, target=item_id)
        if refusal is not None:
            return refusal_reply(action, refusal, token.role), []
        q = self.queue(room)
        result = getattr(q, action)(item_id, client.token.label, self.now(room))
        self._replan[room] = None
        self._audit(result.audit, client.token.role)
        reply = {"type": "ack" if result.ok else "error", "action": action}
        reply.update(result.to_dict())
        return reply, list(_host(result.events))

    def _audit(self, record: AuditRecord, role: str) -> None:
        self.audit_log.append(record)
        logger.info(
            "audit: %s %s %s/%s ok=%s",
            record.actor,
            record.action,
            record.room,
            record.item_id,
            record.ok,
        )
        if self.audit_sink is not None:
            self.audit_sink(record, role=role)


def _host(events: Iterable[QueueEvent]) -> Iterator[Publish]:
    for event in events:
        yield Publish("host", event.room, event.to_dict())
