"""Record time per room: each room's newest ``ts`` plus the time since it arrived.

Stages keep time from the records they see, so a replay decides exactly
like its live run. Time is kept **per room**: a record only moves its own
room's clock, so no record and no room can move another room's time (a
far-future ``ts`` in one room cannot expire every other room's host queue).

Between records (a quiet room) the clock moves on by the wall time since
the newest record arrived, times the room's :class:`Pace`: 1 for a live
feed, the replay speed for a replay running at ``speed`` S, and 0 for a
replay running flat out or one that has ended. So a recording's end is not
an outage, and a gap inside a fast replay is judged in record time.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["LIVE", "Pace", "RoomClocks", "Watcher"]

#: Called with a room just before its clock changes (see :meth:`RoomClocks.watch`).
Watcher = Callable[[str], object]

#: Record seconds per wall second of a live feed.
LIVE = 1.0


class Pace:
    """How fast record time runs between records, per room (shared by the stages).

    Rooms are live (1.0) unless a replay source says otherwise; only rooms a
    replay feeds are stored, so this stays as small as the recordings.

    It also notes when each room's latest record crossed the source boundary
    (:meth:`arrived`): a room whose records are still on their way through
    the pipeline is not idle, however long a batch takes (which matters in
    a fast replay, where a wall second is many record seconds).
    """

    __slots__ = ("_arrivals", "_rates", "_watchers")

    def __init__(self) -> None:
        self._rates: dict[str, float] = {}
        self._arrivals: dict[str, float] = {}
        self._watchers: list[Watcher] = []

    def watch(self, watcher: Watcher) -> None:
        """Call ``watcher(room)`` just before ``room``'s pace or arrival changes."""
        self._watchers.append(watcher)

    def _changing(self, room: str) -> None:
        for watcher in self._watchers:
            watcher(room)

    def arrived(self, room: str, at: float) -> None:
        """A record of ``room`` entered the pipeline at ``at`` (monotonic seconds)."""
        if self._watchers and self._arrivals.get(room) != at:
            self._changing(room)
        self._arrivals[room] = at

    def arrived_at(self, room: str) -> float | None:
        return self._arrivals.get(room)

    def forget_arrivals(self, before: float) -> None:
        """Forget arrivals older than ``before`` (monotonic seconds)."""
        for room in [r for r, at in self._arrivals.items() if at < before]:
            self._changing(room)
            del self._arrivals[room]

    def rate(self, room: str) -> float:
        return self._rates.get(room, LIVE)

    def set(self, room: str, rate: float) -> None:
        if self._watchers and self.rate(room) != (rate if rate == LIVE else max(0.0, rate)):
            self._changing(room)
        if rate == LIVE:
            self._rates.pop(room, None)
        else:
            self._rates[room] = max(0.0, rate)


@dataclass(slots=True)
class _Clock:
    ts: float  # the room's newest record ts
    at: float  # monotonic() when it arrived


class RoomClocks:
    """One record clock per room.

    ``since_arrival`` False ignores :meth:`Pace.arrived` (only the pace's
    rates count): for the clock that stamps records at the source boundary,
    where the arrival being noted is the very record being stamped.
    """

    __slots__ = ("_by_at", "_clocks", "_monotonic", "_pace", "_since_arrival", "_watchers")

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        pace: Pace | None = None,
        *,
        since_arrival: bool = True,
    ) -> None:
        self._monotonic = monotonic
        self._pace = pace
        self._since_arrival = since_arrival
        self._clocks: dict[str, _Clock] = {}
        #: (arrival, room), oldest first, for :meth:`prune`; an entry whose
        #: arrival is no longer the room's is stale and skipped.
        self._by_at: list[tuple[float, str]] = []
        self._watchers: list[Watcher] = []

    def watch(self, watcher: Watcher) -> None:
        """Call ``watcher(room)`` just before ``room``'s record time changes course.

        That is: before a newer record moves it, before the room is forgotten
        (or pruned), and before its pace or latest arrival changes (the
        watcher is registered on the :class:`Pace` too). In between, the
        room's time runs on by one formula (see :meth:`now`).
        """
        self._watchers.append(watcher)
        if self._pace is not None:
            self._pace.watch(watcher)

    def _changing(self, room: str) -> None:
        for watcher in self._watchers:
            watcher(room)

    def _note(self, room: str, at: float) -> None:
        by_at = self._by_at
        heapq.heappush(by_at, (at, room))
        if len(by_at) > 2 * len(self._clocks) + 64:
            # Drop the stale entries, so the heap stays as small as the rooms.
            self._by_at = [(c.at, r) for r, c in self._clocks.items()]
            heapq.heapify(self._by_at)

    def __contains__(self, room: object) -> bool:
        return room in self._clocks

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._clocks))

    def advance(self, room: str, newest: float, *, at: float | None = None) -> None:
        """Note a record ``ts`` of ``room`` (a no-op unless it is the room's newest).

        ``at`` is the monotonic time now, for a caller that has read it
        already (every method here takes it; by default they read it).
        """
        clock = self._clocks.get(room)
        if clock is None:
            if self._watchers:
                self._changing(room)
            clock = self._clocks[room] = _Clock(newest, self._monotonic() if at is None else at)
        elif newest > clock.ts:
            if self._watchers:
                self._changing(room)
            clock.ts = newest
            clock.at = self._monotonic() if at is None else at
        else:
            return
        self._note(room, clock.at)

    def rate(self, room: str) -> float:
        return LIVE if self._pace is None else self._pace.rate(room)

    def idle(self, room: str, *, at: float | None = None) -> float:
        """Record seconds since ``room``'s newest record arrived (0 for an unknown room).

        Counted from the later of its arrival here and the room's latest
        arrival at the source boundary (see :meth:`Pace.arrived`).
        """
        clock = self._clocks.get(room)
        if clock is None:
            return 0.0
        since = clock.at
        if self._pace is not None and self._since_arrival:
            arrived = self._pace.arrived_at(room)
            if arrived is not None and arrived > since:
                since = arrived
        now = self._monotonic() if at is None else at
        return max(0.0, now - since) * self.rate(room)

    def time(self) -> float:
        """The monotonic clock these record clocks run on (seconds)."""
        return self._monotonic()

    def wake_at(self, room: str, record_ts: float) -> float | None:
        """The monotonic time at which ``room``'s record time reaches ``record_ts``.

        None while the room's clock stands still (pace 0, or an unknown room);
        the time itself if it is already there.
        """
        clock = self._clocks.get(room)
        rate = self.rate(room)
        if clock is None or rate <= 0:
            return None
        since = clock.at
        if self._pace is not None and self._since_arrival:
            arrived = self._pace.arrived_at(room)
            if arrived is not None and arrived > since:
                since = arrived
        return since + max(0.0, record_ts - clock.ts) / rate

    def ts(self, room: str) -> float | None:
        """The newest ``ts`` seen in ``room`` (None before its first record)."""
        clock = self._clocks.get(room)
        return None if clock is None else clock.ts

    def now(self, room: str, default: float = 0.0, *, at: float | None = None) -> float:
        """``room``'s record time now; ``default`` before its first record."""
        clock = self._clocks.get(room)
        if clock is None:
            return default
        return clock.ts + self.idle(room, at=at)

    def latest(self, default: float = 0.0) -> float:
        """The latest record time of any room (for things that belong to no room)."""
        return max((self.now(room) for room in self._clocks), default=default)

    def now_or_latest(self, room: str | None, wall: Callable[[], float]) -> float:
        """``room``'s record time now; for no room (or one not seen yet) the
        latest of any room, and ``wall()`` before the first record of all.

        What a stage's ``now(room=None)`` answers.
        """
        if room is not None and room in self._clocks:
            return self.now(room)
        return self.latest() if self._clocks else wall()

    def forget(self, room: str) -> None:
        if room in self._clocks:
            self._changing(room)
            del self._clocks[room]

    def prune(self, idle_wall_s: float, *, at: float | None = None) -> int:
        """Forget rooms with no record for ``idle_wall_s`` wall seconds; returns how many.

        Costs the rooms it forgets (and stale entries), not every room.
        """
        horizon = (self._monotonic() if at is None else at) - idle_wall_s
        by_at, clocks = self._by_at, self._clocks
        pruned = 0
        while by_at and by_at[0][0] < horizon:
            when, room = heapq.heappop(by_at)
            clock = clocks.get(room)
            if clock is not None and clock.at == when:
                self._changing(room)
                del clocks[room]
                pruned += 1
        return pruned

    def __len__(self) -> int:
        return len(self._clocks)
