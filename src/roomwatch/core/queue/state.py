"""The state every part of one room's queue shares, and the helpers they all call.

:class:`QueueState` holds the items, the fold index, the decay and the top
list; :mod:`~roomwatch.core.queue.actions` (the host's actions) and
:mod:`~roomwatch.core.queue.queue` (feeding and ticking) build on it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from types import MappingProxyType

from roomwatch.core.queue.config import QueueConfig, QueueError
from roomwatch.core.queue.entry import LIVE, Entry
from roomwatch.core.queue.events import ActionResult, AuditRecord, Item, QueueEvent
from roomwatch.core.queue.fold import FoldIndex
from roomwatch.core.queue.rank import Decay, TopList, explain

__all__ = ["QueueState"]


class QueueState:
    """Items, indexes and clock of one room's queue (see :class:`QuestionQueue`)."""

    def __init__(self, room: str, config: QueueConfig | None = None) -> None:
        self.room = room
        self.config = config or QueueConfig()
        self._decay = Decay(self.config.half_life_s)
        self._now = -math.inf
        self._seq = 0
        self._pin_seq = 0
        self._items: dict[str, Entry] = {}
        self._fold = FoldIndex(self.config, self._items)
        # Open, unclaimed, unpinned items by last touch (oldest first): ageing.
        self._ageing: OrderedDict[str, None] = OrderedDict()
        # Closed items by close time: grace expiry and first to evict.
        self._closed: OrderedDict[str, None] = OrderedDict()
        self._dirty: dict[str, None] = {}
        #: While a batch is fed (:meth:`QuestionQueue.add_batch`), asks only
        #: mark their item dirty: its updates go out once, at the batch's end.
        self._deferring = False
        self._ranking = TopList(self.config.top_n, self.config.reorder_interval_s)
        self._anon = 0
        #: Question verdicts that asked the host nothing ("路过看看", "在吗"):
        #: counted, never made into items.
        self.not_asks = 0

    def _advance(self, now: float) -> float:
        if not math.isfinite(now):
            raise QueueError(f"the clock value must be finite, not {now!r}")
        if now > self._now:
            self._now = now
        self._decay.advance(self._now, self._items.values())
        return self._now

    def _emit_update(
        self, entry: Entry, now: float, events: list[QueueEvent], *, force: bool = False
    ) -> None:
        if force or (
            not self._deferring and now >= entry.last_emit + self.config.update_interval_s
        ):
            entry.last_emit = now
            self._dirty.pop(entry.id, None)
            events.append(QueueEvent("updated", self.room, item=self._item(entry, now)))
        else:
            self._dirty[entry.id] = None

    def _bump(self, entry: Entry) -> bool:
        return self._ranking.bump(entry)

    def _rebuild_top(self) -> None:
        self._ranking.rebuild(e for e in self._items.values() if e.state in LIVE)

    def _send_order(self, now: float, events: list[QueueEvent], *, force: bool = False) -> None:
        self._ranking.send_order(self.room, now, events, force=force)

    def _result(
        self,
        action: str,
        item_id: str,
        actor: str,
        now: float,
        entry: Entry | None = None,
        error: str | None = None,
        by: str | None = None,
        *,
        events: Sequence[QueueEvent] = (),
    ) -> ActionResult:
        audit = AuditRecord(
            ts=now,
            room=self.room,
            actor=actor,
            action=action,
            item_id=item_id,
            ok=error is None,
            error=error,
        )
        return ActionResult(
            ok=error is None,
            audit=audit,
            events=tuple(events),
            item=None if entry is None else self._item(entry, now),
            error=error,
            by=by,
        )

    def _item(self, entry: Entry, now: float) -> Item:
        ranked = sorted(entry.wordings.values(), key=lambda slot: slot[0], reverse=True)
        texts: list[str] = []
        for _, raw in ranked:
            if raw not in texts:
                texts.append(raw)
            if len(texts) >= 4:
                break
        score = self._decay.score(entry.mass, now)
        askers = len(entry.askers)
        why, why_en = explain(entry, askers)
        return Item(
            id=entry.id,
            room=self.room,
            text=texts[0] if texts else "",
            wordings=tuple(texts[1:]),
            count=entry.count,
            askers=askers,
            asked_again=entry.asked_again,
            first_seen=entry.first_seen,
            last_seen=entry.last_seen,
            slots=MappingProxyType(dict(entry.slots)),
            intent=entry.intent,
            aspect=entry.aspect,
            state=entry.state,
            score=round(score, 4),
            pinned=entry.pinned,
            claimed_by=entry.claimed_by,
            closed_by=entry.closed_by,
            closed_at=entry.closed_at,
            paid_total=entry.paid_total,
            max_level=entry.max_level,
            why=why,
            why_en=why_en,
        )
