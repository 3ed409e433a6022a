"""Ranking: each item's decaying mass, the incrementally kept top list, and why.

Every distinct asker adds ``confidence ** weight_confidence × level factor ×
paid factor`` to the item's mass, and the mass decays with half-life
``half_life_s``. Because every item decays at the same rate, the order only
changes when an item gains an ask, so the top ``top_n`` list is maintained
incrementally (:class:`TopList`); the mass is stored scaled by
``exp(λ (t - t0))`` (:class:`Decay`) and shown as ``score``. Pinned items rank
first, newest pin on top.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from typing import Final

from roomwatch.core.queue.entry import Entry
from roomwatch.core.queue.events import QueueEvent

__all__ = ["MAX_EXPONENT", "Decay", "TopList", "explain", "rank"]

# Rebase the stored masses before exp(λ (t - t0)) grows past this exponent.
MAX_EXPONENT: Final = 400.0


def rank(entry: Entry) -> tuple[int, int, float, int]:
    return (1 if entry.pinned else 0, entry.pin_seq, entry.mass, -entry.seq)


class Decay:
    """The shared exponential decay: masses are stored scaled by ``exp(λ (t - t0))``."""

    def __init__(self, half_life_s: float) -> None:
        self.lam = math.log(2) / half_life_s
        self.t0: float | None = None

    def advance(self, now: float, entries: Iterable[Entry]) -> None:
        """Start at the first clock value; rebase ``entries`` before the scale overflows."""
        if self.t0 is None:
            self.t0 = now
        elif self.lam * (now - self.t0) > MAX_EXPONENT:
            factor = math.exp(-self.lam * (now - self.t0))
            for entry in entries:
                entry.mass *= factor
            self.t0 = now

    def rebase_at(self) -> float | None:
        """The clock value past which :meth:`advance` rebases (None before it starts)."""
        return None if self.t0 is None else self.t0 + MAX_EXPONENT / self.lam

    def scale(self, now: float) -> float:
        """What a gain at ``now`` is multiplied by before it is added to a stored mass."""
        assert self.t0 is not None
        return math.exp(self.lam * (now - self.t0))

    def score(self, mass: float, now: float) -> float:
        """A stored mass decayed to ``now``."""
        assert self.t0 is not None
        return mass * math.exp(-self.lam * (now - self.t0))


class TopList:
    """The top ``top_n`` live entries, best first, and the last order sent."""

    def __init__(self, top_n: int, reorder_interval_s: float) -> None:
        self._top_n = top_n
        self._reorder_interval_s = reorder_interval_s
        self.entries: list[Entry] = []
        self._order: tuple[str, ...] = ()
        self._order_at = -math.inf
        #: An order change held back by ``reorder_interval_s``.
        self.pending = False

    def ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.entries)

    def bump(self, entry: Entry) -> bool:
        """Place a live entry whose rank rose; true if the top list changed."""
        top = self.entries
        key = rank(entry)
        if entry.in_top:
            i = top.index(entry)
            j = i
            while j > 0 and rank(top[j - 1]) < key:
                j -= 1
            if j == i:
                return False
            del top[i]
            top.insert(j, entry)
            return True
        if len(top) >= self._top_n:
            if key <= rank(top[-1]):
                return False
            top.pop().in_top = False
        j = len(top)
        while j > 0 and rank(top[j - 1]) < key:
            j -= 1
        top.insert(j, entry)
        entry.in_top = True
        return True

    def rebuild(self, live: Iterable[Entry]) -> None:
        for entry in self.entries:
            entry.in_top = False
        self.entries = heapq.nlargest(self._top_n, live, key=rank)
        for entry in self.entries:
            entry.in_top = True

    def send_order(
        self, room: str, now: float, events: list[QueueEvent], *, force: bool = False
    ) -> None:
        """Append ``reordered`` if the order changed (held back if too soon, unless ``force``)."""
        order = self.ids()
        if order == self._order:
            self.pending = False
            return
        if not force and now < self._order_at + self._reorder_interval_s:
            self.pending = True
            return
        self._order = order
        self._order_at = now
        self.pending = False
        events.append(QueueEvent("reordered", room, order=order))

    def due_at(self) -> float | None:
        """When a held-back order change may be sent (None if none is held back)."""
        return self._order_at + self._reorder_interval_s if self.pending else None

    def due(self, now: float) -> bool:
        """A held-back order change may be sent now."""
        return self.pending and now >= self._order_at + self._reorder_interval_s


def explain(entry: Entry, askers: int) -> tuple[str, str]:
    minutes = max(1, math.ceil((entry.last_seen - entry.first_seen) / 60))
    zh = [f"{askers} 人问", f"{minutes} 分钟内"]
    en = [f"{askers} asker{'s' if askers != 1 else ''}", f"within {minutes} min"]
    if entry.count > askers:
        zh.insert(1, f"共 {entry.count} 次")
        en.insert(1, f"{entry.count} asks")
    if entry.paid_total > 0:
        zh.append(f"含付费 ¥{entry.paid_total:g}")
        en.append(f"incl. paid ¥{entry.paid_total:g}")
    if entry.max_level >= 20:
        zh.append(f"最高 Lv.{entry.max_level}")
        en.append(f"top level {entry.max_level}")
    if entry.pinned:
        zh.insert(0, "置顶")
        en.insert(0, "pinned")
    if entry.asked_again:
        label = "回答" if entry.state == "answered" else "处理"
        zh.append(f"{label}后又问 {entry.asked_again} 次")
        en.append(f"asked again {entry.asked_again}× since {entry.state}")
    return " · ".join(zh), " · ".join(en)
