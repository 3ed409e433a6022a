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

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["LIVE", "Pace", "RoomClocks"]

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

    __slots__ = ("_arrivals", "_rates")

    def __init__(self) -> None:
        self._rates: dict[str, float] = {}
        self._arrivals: dict[str, float] = {}

    def arrived(self, room: str, at: float) -> None:
        """A record of ``room`` entered the pipeline at ``at`` (monotonic seconds)."""
        self._arrivals[room] = at

    def arrived_at(self, room: str) -> float | None:
        return self._arrivals.get(room)

    def forget_arrivals(self, before: float) -> None:
        """Forget arrivals older than ``before`` (monotonic seconds)."""
        for room in [r for r, at in self._arrivals.items() if at < before]:
            del self._arrivals[room]

    def rate(self, room: str) -> float:
        return self._rates.get(room, LIVE)

    def set(self, room: str, rate: float) -> None:
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

    __slots__ = ("_clocks", "_monotonic", "_pace", "_since_arrival")

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
            self._clocks[room] = _Clock(newest, self._monotonic() if at is None else at)
        elif newest > clock.ts:
            clock.ts = newest
            clock.at = self._monotonic() if at is None else at

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
        self._clocks.pop(room, None)

    def prune(self, idle_wall_s: float, *, at: float | None = None) -> int:
        """Forget rooms with no record for ``idle_wall_s`` wall seconds; returns how many."""
        horizon = (self._monotonic() if at is None else at) - idle_wall_s
        old = [room for room, c in self._clocks.items() if c.at < horizon]
        for room in old:
            del self._clocks[room]
        return len(old)

    def __len__(self) -> int:
        return len(self._clocks)
