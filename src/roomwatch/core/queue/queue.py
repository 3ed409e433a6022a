"""One room's question queue: feeding questions in, ticking, and reading items out.

See :mod:`roomwatch.core.queue` for the whole behaviour; folding is in
:mod:`~roomwatch.core.queue.fold`, ranking in :mod:`~roomwatch.core.queue.rank`
and the host's actions in :mod:`~roomwatch.core.queue.actions`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from roomwatch.core.queue.actions import HostActions
from roomwatch.core.queue.config import QueueError
from roomwatch.core.queue.entry import CLOSED, LIVE, Entry
from roomwatch.core.queue.events import Item, QueueEvent
from roomwatch.core.queue.fold import accepts
from roomwatch.core.queue.rank import rank
from roomwatch.core.record import Comment

if TYPE_CHECKING:  # (see fold.py: the slots' regexes compile on first use)
    from roomwatch.core.slots import QuestionFeatures

__all__ = ["Ask", "QuestionQueue"]

#: One question for :meth:`QuestionQueue.add_batch`: the comment, its normalised
#: text, its tokens, its question probability and the clock value (its ``ts``).
Ask = tuple[Comment, str, Sequence[str], float, float]


class QuestionQueue(HostActions):
    """The question queue of one room. Not thread-safe; feed it from one task."""

    # ------------------------------------------------------------------ feed

    def add(
        self,
        comment: Comment,
        text: str,
        tokens: Sequence[str],
        confidence: float,
        now: float,
    ) -> list[QueueEvent]:
        """Fold one question into the queue; returns the events it caused."""
        if comment.room != self.room:
            raise QueueError(
                f"comment for room {comment.room!r} fed to the queue of room {self.room!r}"
            )
        cfg = self.config
        confidence = min(max(confidence, 0.0), 1.0) if math.isfinite(confidence) else 0.0
        if confidence < cfg.min_confidence:
            return []
        now = self._advance(now)
        key = text.strip() or comment.text.strip()
        events: list[QueueEvent] = []
        entry: Entry | None = None
        known = self._fold.exact.get(key)
        if known is not None:
            candidate = self._items.get(known)
            if candidate is not None and accepts(candidate, now, self.config):
                entry = candidate
        if entry is None:
            feats = self._fold.features(key, tokens)
            if not feats.ask:
                self.not_asks += 1
                return events
            entry = self._fold.match(feats, now)
            if entry is None:
                entry = self._create(feats, now, events)
            else:
                self._fold.learn_topic(entry, feats)
        self._record(entry, comment, key, confidence, now, events)
        return events

    def add_batch(self, asks: Iterable[Ask]) -> list[QueueEvent]:
        """Fold a batch of questions in order, as :meth:`add` would each, but with
        one event per item for the whole batch.

        Each ask is ``(comment, text, tokens, confidence, now)``. An item asked
        several times in the batch is not updated ask by ask (the first update
        sent, the rest held for ``update_interval_s``): the batch's asks are
        all in one ``updated`` sent at its end (held only if the item's
        previous update, from an earlier batch, is too recent), and an item
        the batch created goes out once, as its ``added`` with every ask of
        the batch counted. Items, order and clock end as with :meth:`add`.
        """
        events: list[QueueEvent] = []
        added: dict[str, int] = {}  # item id -> index of its "added" event
        self._deferring = True
        try:
            for comment, text, tokens, confidence, now in asks:
                start = len(events)
                events.extend(self.add(comment, text, tokens, confidence, now))
                for k in range(start, len(events)):
                    event = events[k]
                    if event.type == "added" and event.item is not None:
                        added[event.item.id] = k
        finally:
            self._deferring = False
        now = self._now
        for item_id, k in added.items():
            entry = self._items.get(item_id)
            if entry is not None and item_id in self._dirty:
                # Asked again in the batch that made it: one "added", up to date.
                del self._dirty[item_id]
                entry.last_emit = now
                events[k] = QueueEvent("added", self.room, item=self._item(entry, now))
        cfg = self.config
        for item_id in list(self._dirty):
            entry = self._items[item_id]
            if now >= entry.last_emit + cfg.update_interval_s:
                self._emit_update(entry, now, events, force=True)
        return events

    def tick(self, now: float) -> list[QueueEvent]:
        """Age items out, end grace periods and send held updates."""
        now = self._advance(now)
        cfg = self.config
        events: list[QueueEvent] = []
        # Each test has the very sum next_due() reports, so a tick at that
        # value always acts (a difference can round the other way).
        while self._ageing:
            entry = self._items[next(iter(self._ageing))]
            if entry.touched + cfg.idle_expire_s > now:
                break
            self._remove(entry, "idle", events)
        while self._closed:
            entry = self._items[next(iter(self._closed))]
            assert entry.closed_at is not None
            if entry.closed_at + cfg.grace_s >= now:
                break
            self._remove(entry, entry.state, events)
        for item_id in list(self._dirty):
            entry = self._items[item_id]
            if now >= entry.last_emit + cfg.update_interval_s:
                self._emit_update(entry, now, events, force=True)
        if self._ranking.due(now):
            self._send_order(now, events, force=True)
        return events

    @property
    def clock(self) -> float:
        """The queue's time: the latest ``now`` it was fed, ticked or moved to."""
        return self._now

    def advance(self, now: float) -> None:
        """Move the queue's clock on to ``now`` without ticking (no events).

        For a caller that ticks only when :meth:`next_due` says so: the clock
        still reads what a tick at ``now`` would have left (item scores are
        shown decayed to it, and a later question never goes back before it).
        """
        self._advance(now)

    def next_due(self) -> float | None:
        """The earliest clock value at which :meth:`tick` may do more than move the clock.

        An item ageing out, a grace period ending, a held-back update or
        order change coming due, or the decay's rebase; None when nothing is
        pending (an empty queue, or only claimed and pinned items). A tick
        before it changes nothing but the clock (see :meth:`advance`).
        """
        cfg = self.config
        due: list[float] = []
        if self._ageing:
            due.append(self._items[next(iter(self._ageing))].touched + cfg.idle_expire_s)
        if self._closed:
            closed_at = self._items[next(iter(self._closed))].closed_at
            assert closed_at is not None
            # tick() ends a grace period once the clock is past its end.
            due.append(math.nextafter(closed_at + cfg.grace_s, math.inf))
        if self._dirty:
            last = min(self._items[i].last_emit for i in self._dirty)
            due.append(last + cfg.update_interval_s)
        order = self._ranking.due_at()
        if order is not None:
            due.append(order)
        rebase = self._decay.rebase_at()  # even when empty: it moves t0
        if rebase is not None:
            due.append(rebase)
        return min(due, default=None)

    # ----------------------------------------------------------------- reads

    def snapshot(self, *, include_closed: bool = False) -> list[Item]:
        """Open and claimed items, best first; closed ones (in grace) last."""
        now = self._now
        live = sorted((e for e in self._items.values() if e.state in LIVE), key=rank, reverse=True)
        items = [self._item(e, now) for e in live]
        if include_closed:
            closed = [self._items[i] for i in reversed(self._closed)]
            items.extend(self._item(e, now) for e in closed)
        return items

    def get(self, item_id: str) -> Item | None:
        entry = self._items.get(item_id)
        return None if entry is None else self._item(entry, self._now)

    def top_ids(self) -> tuple[str, ...]:
        """Ids of the top ``top_n`` live items, best first."""
        return self._ranking.ids()

    def __len__(self) -> int:
        return len(self._items)

    # -------------------------------------------------------------- internals

    def _create(self, feats: QuestionFeatures, now: float, events: list[QueueEvent]) -> Entry:
        if len(self._items) >= self.config.max_items:
            self._evict(events)
        self._seq += 1
        entry = Entry(self._seq, feats, now, self.config)
        self._items[entry.id] = entry
        self._ageing[entry.id] = None
        self._fold.index_entry(entry, feats.words)
        return entry

    def _record(
        self,
        entry: Entry,
        comment: Comment,
        key: str,
        confidence: float,
        now: float,
        events: list[QueueEvent],
    ) -> None:
        cfg = self.config
        new_item = entry.count == 0
        entry.count += 1
        entry.last_seen = now
        self._fold.add_wording(entry, key, comment.text)
        asker = comment.user_key
        if asker is None:
            self._anon += 1
            asker = f"\x00anon{self._anon}"
        first_ask = entry.askers.add(asker)
        amount = comment.amount if comment.paid and comment.amount else 0.0
        entry.paid_total += amount
        level = comment.user.level or 0
        if level > entry.max_level:
            entry.max_level = level
        if entry.state in CLOSED:
            entry.asked_again += 1
            self._emit_update(entry, now, events)
            return
        weight = confidence**cfg.weight_confidence
        weight *= 1.0 + cfg.weight_level * min(max(level, 0), cfg.level_cap) / max(cfg.level_cap, 1)
        paid = cfg.weight_paid * math.log1p(amount)
        gain = weight * (1.0 + paid) if first_ask else weight * paid
        if gain > 0:
            entry.mass += gain * self._decay.scale(now)
        if entry.id in self._ageing:
            entry.touched = now
            self._ageing.move_to_end(entry.id)
        if new_item:
            entry.last_emit = now
            events.append(QueueEvent("added", self.room, item=self._item(entry, now)))
        else:
            self._emit_update(entry, now, events)
        if gain > 0 and self._bump(entry):
            self._send_order(now, events)

    def _remove(self, entry: Entry, reason: str, events: list[QueueEvent]) -> None:
        del self._items[entry.id]
        self._fold.forget(entry)
        self._ageing.pop(entry.id, None)
        self._closed.pop(entry.id, None)
        self._dirty.pop(entry.id, None)
        events.append(QueueEvent("removed", self.room, item_id=entry.id, reason=reason))
        if entry.in_top:
            self._rebuild_top()
            self._send_order(self._now, events)

    def _evict(self, events: list[QueueEvent]) -> None:
        if self._closed:
            self._remove(self._items[next(iter(self._closed))], "evicted", events)
            return
        victim: Entry | None = None
        for n, item_id in enumerate(self._ageing):
            if n >= self.config.eviction_sample:
                break
            entry = self._items[item_id]
            if victim is None or entry.mass < victim.mass:
                victim = entry
        if victim is None:
            # Everything is claimed or pinned: drop the lowest-ranked anyway.
            victim = min(self._items.values(), key=rank)
        self._remove(victim, "evicted", events)
