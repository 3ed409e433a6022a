"""When to look at a quiet room next: a heap of per-room wake-up times.

The ticker calls the stages ten times a second. Looking at every room on
each call costs rooms x calls, most of it on rooms where nothing can happen
(issue #14, item 2). :class:`Wakeups` keeps one wake-up time per room
(monotonic seconds) in a heap, so a call only touches the rooms that are due;
an idle room costs one look per planned wake-up, not one per call.
"""

from __future__ import annotations

import heapq
import itertools

__all__ = ["Wakeups"]


class Wakeups:
    """One pending wake-up per room; :meth:`due` pops those that have come."""

    __slots__ = ("_at", "_heap", "_order", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        #: The wake-up that counts for each room (older heap entries are stale).
        self._at: dict[str, float] = {}
        #: Rooms in the order they were first planned (the order ticks are sent in).
        self._order: dict[str, int] = {}
        self._seq = itertools.count()

    def __contains__(self, room: object) -> bool:
        return room in self._at

    def __len__(self) -> int:
        return len(self._at)

    def set(self, room: str, at: float) -> None:
        """Wake ``room`` at ``at`` (replacing its pending wake-up)."""
        if self._at.get(room) == at:
            return
        self._at[room] = at
        if room not in self._order:
            self._order[room] = next(self._seq)
        heap = self._heap
        heapq.heappush(heap, (at, room))
        if len(heap) > 2 * len(self._at) + 64:
            # A room planned again leaves its old entry behind until that
            # time comes; a busy room is planned on every batch, so without
            # this the heap held every plan of the last idle_expire_s (in a
            # soak of 1,000 rooms: hundreds of thousands of entries, 25 MB).
            self._heap = [(when, r) for r, when in self._at.items()]
            heapq.heapify(self._heap)

    def next(self) -> float | None:
        """The earliest pending wake-up (None: none)."""
        heap, at = self._heap, self._at
        while heap and at.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)  # stale: the room was planned again or forgotten
        return heap[0][0] if heap else None

    def due(self, now: float) -> list[str]:
        """The rooms whose wake-up is at or before ``now``, in first-planned order.

        Each is popped: plan it again with :meth:`set` or let it go.
        """
        heap, at = self._heap, self._at
        rooms: list[str] = []
        while heap and heap[0][0] <= now:
            when, room = heapq.heappop(heap)
            if at.get(room) == when:
                del at[room]
                rooms.append(room)
        rooms.sort(key=self._order.__getitem__)
        return rooms

    def forget(self, room: str) -> None:
        """Drop ``room`` (its pending wake-up, if any, and its place in the order)."""
        self._at.pop(room, None)
        self._order.pop(room, None)
