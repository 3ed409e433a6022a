"""End-to-end lag per room, and when it deserves an alert (pure).

A live verdict carries its lag: the wall time it left the pipeline minus
its record's ``ts``. :class:`LagWatch` is fed each lag with the room and the
time (both passed in) and says when a room's lag has gone past the
threshold, and when it is back. One late record (a fetcher catching up on a
backlog, a viewer's clock) is no alarm: the lag must exceed the threshold
on :data:`CONFIRM` verdicts in a row, and it counts as recovered after as
many verdicts in a row under half the threshold.

Only rooms with something to remember are kept (a streak under way or an
open alert), so a room that stays healthy costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["BACKFILL_S", "CONFIRM", "LagEvent", "LagWatch"]

#: Verdicts in a row that confirm a room's lag is high, or low again.
CONFIRM: Final = 3
#: A record older than this when it leaves the pipeline is a backfill (an old
#: recording or an export posted to /ingest), not a fetcher falling behind:
#: it neither raises nor clears a lag alert (comms staff got a critical
#: "roomwatch is at fault: lag 32,519,470 s" for posting last year's log).
BACKFILL_S: Final = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class LagEvent:
    """A room's lag went past the threshold (``high``) or came back (``normal``)."""

    kind: Literal["high", "normal"]
    room: str
    lag_s: float
    threshold_s: float
    at: float

    @property
    def message(self) -> str:
        if self.kind == "high":
            return (
                f"房间 {self.room} 的端到端延迟 {self.lag_s:.1f} 秒，"
                f"超过阈值 {self.threshold_s:g} 秒"
            )
        return f"房间 {self.room} 的端到端延迟已恢复（{self.lag_s:.1f} 秒）"


@dataclass(slots=True)
class _Room:
    over: int = 0
    under: int = 0
    high: bool = False


class LagWatch:
    """Per-room lag streaks against ``threshold_s`` (0 or less: never alerts)."""

    __slots__ = ("_rooms", "threshold_s")

    def __init__(self, threshold_s: float) -> None:
        self.threshold_s = threshold_s
        self._rooms: dict[str, _Room] = {}

    @property
    def high_rooms(self) -> tuple[str, ...]:
        """Rooms whose lag is high now."""
        return tuple(room for room, state in self._rooms.items() if state.high)

    def assume_high(self, room: str) -> None:
        """Take ``room`` as lagging (its alert was restored after a restart), so
        that its recovery resolves the alert."""
        self._rooms[room] = _Room(high=True)

    def observe(self, room: str, lag_s: float, now: float) -> LagEvent | None:
        """Feed one verdict's lag; an event when the room changes state."""
        threshold = self.threshold_s
        if threshold <= 0 or lag_s > BACKFILL_S:
            return None
        state = self._rooms.get(room)
        if lag_s > threshold:
            if state is None:
                state = self._rooms[room] = _Room()
            state.under = 0
            state.over += 1
            if not state.high and state.over >= CONFIRM:
                state.high = True
                return LagEvent("high", room, lag_s, threshold, now)
            return None
        if state is None:
            return None
        state.over = 0
        if not state.high:
            del self._rooms[room]
            return None
        if lag_s < threshold / 2:
            state.under += 1
            if state.under >= CONFIRM:
                del self._rooms[room]
                return LagEvent("normal", room, lag_s, threshold, now)
        else:
            state.under = 0
        return None
