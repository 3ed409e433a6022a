"""How long a feed went without data, pure: times in, decisions out.

The client tells :class:`GapWatch` when data arrives (:meth:`GapWatch.data`)
and when the connection is lost (:meth:`GapWatch.lost`); :meth:`GapWatch.due`
says when a gap still going on has grown past the alert threshold. The gap
is the time from the last data before the loss to the first data after it,
so a connection that is up but silent (its heartbeats unanswered) counts
from its last packet, not from when it was given up on.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Gap", "GapWatch"]


@dataclass(frozen=True, slots=True)
class Gap:
    """A gap that just ended: its length, and whether it had raised an alert."""

    seconds: float
    alerted: bool


@dataclass(slots=True)
class GapWatch:
    #: A gap this long (seconds) is worth an alert.
    alert_after_s: float
    #: When data last arrived (or the watch started).
    last_data: float = 0.0
    #: Whether a gap is under way (the connection was lost since the last data).
    broken: bool = False
    #: Whether the gap under way has raised its alert.
    alerted: bool = False

    def start(self, now: float) -> None:
        """The source starts: a feed that never delivers is a gap from here."""
        self.last_data = now
        self.broken = True
        self.alerted = False

    def data(self, now: float) -> Gap | None:
        """Data arrived; the gap it ends, if one was under way."""
        ended = None
        if self.broken:
            ended = Gap(max(0.0, now - self.last_data), self.alerted)
        self.last_data = now
        self.broken = False
        self.alerted = False
        return ended

    def lost(self) -> None:
        """The connection failed or closed: a gap is under way since the last data."""
        self.broken = True

    def due(self, now: float) -> float | None:
        """The gap so far, the first time a gap under way reaches the threshold; else None."""
        if not self.broken or self.alerted:
            return None
        gap = now - self.last_data
        if gap < self.alert_after_s:
            return None
        self.alerted = True
        return gap
