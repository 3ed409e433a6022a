"""The ``ts`` bound: a record's time must be near the time it was received.

A record carries its own ``ts``, and every stage keeps time from it. One
record with ``"ts": 1e30`` (or a bridge sending microseconds) would set its
room's clock tens of thousands of years ahead, so records are checked at the
source boundary, before they enter the pipeline (and before they are
recorded), against the record's **receive time**:

* **live** (``http``, ``websocket``): a ``ts`` more than
  ``ts_max_future_s`` (default 300 s) ahead of the receive time (the wall
  clock, or the room's record time if that is later), or more than
  ``ts_max_past_s`` (default 7 days) behind the room's record time (its
  newest ``ts`` plus the time since it arrived), is **rejected** with reason
  ``ts_out_of_range``. A room's first record has no lower bound, so old
  recordings can still be posted for analysis. A record without ``ts`` gets
  its room's record time (the wall clock for a room's first record), so
  posting one into a room fed by a replay never moves that room a year
  ahead.
* **replay**: the receive time is the record time. The first record of a
  file is only held to :data:`MAX_TS`; each later one may be at most
  ``replay_max_gap_s`` (default 1 day) after the newest earlier record of
  its file (see :class:`ReplayBound` for how a file re-anchors after a real
  jump). Records from the past are kept: they move no clock, and a
  recording replays what its live run accepted.

Every record, live or replayed, must also lie in ``[0, MAX_TS]`` (up to
2100-01-01), which keeps every date printable (``roomwatch report``).
Rejected records are counted as discarded events of their source (``reason=
"ts_out_of_range"``, see :mod:`roomwatch.metrics`); rejecting, not clamping,
keeps a record's ``ts`` as sent (clamping would invent a time).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Final, Protocol

from roomwatch.config import PipelineSettings
from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.stages.clock import Pace, RoomClocks

__all__ = [
    "MAX_TS",
    "REASON",
    "UNSTAMPED",
    "Guard",
    "ReplayBound",
    "TimeGuard",
    "Trusted",
    "check_ts",
    "guarded",
]

#: The latest ``ts`` accepted anywhere: 2100-01-01T00:00:00Z.
MAX_TS: Final = 4_102_444_800.0
#: The ``reason`` a rejected ``ts`` is discarded with (a metric label).
REASON: Final = "ts_out_of_range"
#: What live sources pass as ``received_at``: a record without ``ts`` comes
#: out of the parser with this (NaN) and :class:`TimeGuard` stamps it.
UNSTAMPED: Final = math.nan
#: ``guard(comment, source, trusted)``: :meth:`TimeGuard.admit`, as a sink holds it.
Guard = Callable[[Comment, str, bool], Comment | RecordError]
#: Wall seconds without a record after which a room's receive clock is forgotten.
_FORGET_S: Final = 6 * 3600.0
_PRUNE_EVERY: Final = 4096


def _when(ts: float) -> str:
    return f"{ts:.3f}" if abs(ts) < 1e15 else f"{ts:.3g}"


def check_ts(
    ts: float,
    reference: float | None,
    *,
    max_ahead: float,
    max_behind: float | None,
    behind_of: float | None = None,
) -> RecordError | None:
    """The error for a ``ts`` out of bounds around ``reference``, else None.

    ``reference`` None checks only the absolute bounds; ``max_behind`` None
    leaves the lower bound open. The lower bound is measured from
    ``behind_of`` if given, else from ``reference``.
    """
    if not 0.0 <= ts <= MAX_TS:
        return RecordError(
            REASON,
            f"field 'ts' is {_when(ts)}, outside 0..{MAX_TS:.0f} (1970 to 2100); "
            "Unix epoch seconds (or milliseconds above 1e11) are expected",
            field="ts",
        )
    if reference is None:
        return None
    if ts > reference + max_ahead:
        return RecordError(
            REASON,
            f"field 'ts' is {ts - reference:.0f} s ahead of its receive time "
            f"{_when(reference)}; at most {max_ahead:.0f} s are allowed",
            field="ts",
        )
    floor = reference if behind_of is None else behind_of
    if max_behind is not None and ts < floor - max_behind:
        return RecordError(
            REASON,
            f"field 'ts' is {floor - ts:.0f} s behind its room's time "
            f"{_when(floor)}; at most {max_behind:.0f} s are allowed",
            field="ts",
        )
    return None


def guarded(
    guard: Guard | None,
    comment: Comment,
    source: str,
    *,
    admitted: bool = False,
    trusted: bool = False,
    clock: Callable[[], float] = time.time,
) -> Comment | RecordError:
    """The admission step of a sink (the pipeline, the gateway's producer).

    ``comment`` as ``guard`` admits it (stamped if it had no ``ts``), or the
    error to reject it with (the sink counts it with
    ``Metrics.rejected(source, error.reason)``). ``admitted``: the sink's
    ``admit`` checked it already (``/ingest`` answers per record), so it is
    not checked twice. An unstamped record not checked here gets the wall
    clock.
    """
    if guard is not None and not admitted:
        return guard(comment, source, trusted)
    if math.isnan(comment.ts):
        return dataclasses.replace(comment, ts=clock())
    return comment


class TimeGuard:
    """Bounds and stamps the ``ts`` of live records, per room (see the module doc).

    Records a trusted source sends (a replay, which bounds its own files
    with :class:`ReplayBound`) are not checked but still move their room's
    receive clock. Trust belongs to the source object, not to its name: the
    composition root hands a replay a :class:`Trusted` sink, so a live
    source that happens to share the replay's name is still checked.
    """

    def __init__(
        self,
        settings: PipelineSettings,
        *,
        pace: Pace | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_future = settings.ts_max_future_s
        self.max_past = settings.ts_max_past_s
        self._clock = clock
        self._monotonic = monotonic
        self._pace = pace
        # Arrivals are noted here, so they must not count for this clock:
        # a record's own arrival would make its room never idle, and every
        # stamp the room's newest ts however long ago that came.
        self._clocks = RoomClocks(monotonic, pace, since_arrival=False)
        self._seen = 0

    def receive_time(self, room: str) -> float:
        """``room``'s record time now, or the wall clock before its first record."""
        if room in self._clocks:
            return self._clocks.now(room)
        return self._clock()

    def admit(self, comment: Comment, source: str, trusted: bool = False) -> Comment | RecordError:
        """The record to accept (stamped if it had no ``ts``), or why it is rejected.

        ``trusted``: the record comes through a :class:`Trusted` sink, so
        its ``ts`` is not checked here.
        """
        room = comment.room
        # Each clock is read at most once per record: every step below sees
        # the same instant, and a busy source pays for one reading.
        mono = self._monotonic()
        known = room in self._clocks
        if math.isnan(comment.ts):
            # A stamp is the receive time itself: it never moves the room's clock.
            self._arrived(room, mono)
            stamp = self._clocks.now(room, at=mono) if known else self._clock()
            return dataclasses.replace(comment, ts=stamp)
        if not trusted:
            wall = self._clock()
            room_now = self._clocks.now(room, at=mono) if known else wall
            error = check_ts(
                comment.ts,
                max(wall, room_now),
                max_ahead=self.max_future,
                max_behind=self.max_past if known else None,
                behind_of=room_now,
            )
            if error is not None:
                return error  # never enters the pipeline: not an arrival
        self._arrived(room, mono)
        self._clocks.advance(room, comment.ts, at=mono)
        self._seen += 1
        if self._seen % _PRUNE_EVERY == 0:
            self._clocks.prune(_FORGET_S, at=mono)
            if self._pace is not None:
                self._pace.forget_arrivals(mono - _FORGET_S)
        return comment

    def _arrived(self, room: str, mono: float) -> None:
        """Note that a record of ``room`` is entering the pipeline (see :meth:`Pace.arrived`)."""
        if self._pace is not None:
            self._pace.arrived(room, mono)


class ReplayBound:
    """The ``ts`` bound of one recording file: receive time is record time.

    A record may be at most ``replay_max_gap_s`` after the newest accepted
    record of its file (any amount before it: a record in the past moves no
    clock). A record beyond that is rejected, unless the record just before
    it was rejected too and the two agree (within the gap of each other):
    then the recording really moved on, and the file re-anchors there. So a
    lone outlier is dropped, and a real jump costs one record, not the rest
    of the file (a first record that is the odd one out included).
    """

    __slots__ = ("max_gap", "newest", "previous")

    def __init__(self, settings: PipelineSettings | None = None) -> None:
        self.max_gap = (settings or PipelineSettings()).replay_max_gap_s
        self.newest: float | None = None
        self.previous: float | None = None  # the last record, if it was rejected

    def check(self, ts: float) -> RecordError | None:
        """Check the next record's ``ts``; an accepted one moves the file's clock."""
        newest = self.newest
        if 0.0 <= ts <= MAX_TS and (newest is None or ts <= newest + self.max_gap):
            # Within bounds (what check_ts finds, without its call: once a
            # record): accepted, as below.
            self.previous = None
            if newest is None or ts > newest:
                self.newest = ts
            return None
        error = check_ts(ts, self.newest, max_ahead=self.max_gap, max_behind=None)
        agrees = self.previous is not None and abs(ts - self.previous) <= self.max_gap
        if error is not None and agrees and 0.0 <= ts <= MAX_TS:
            self.newest = None  # re-anchor
            error = None
        if error is None:
            self.previous = None
            if self.newest is None or ts > self.newest:
                self.newest = ts
        elif 0.0 <= ts <= MAX_TS:
            self.previous = ts  # an absurd ts anchors nothing
        return error


class _TrustingSink(Protocol):
    async def put(self, comment: Comment, source: str, *, trusted: bool = False) -> bool: ...

    async def reject(self, error: RecordError, source: str, where: str = "") -> None: ...


class Trusted:
    """The sink one trusted source writes to: its records skip the guard's ts check.

    Handed to a replay source (which bounds its files' ts itself with
    :class:`ReplayBound`) instead of the pipeline. Only records put through
    this object are trusted, whatever the source is called.
    """

    __slots__ = ("_sink",)

    def __init__(self, sink: _TrustingSink) -> None:
        self._sink = sink

    async def put(self, comment: Comment, source: str) -> bool:
        return await self._sink.put(comment, source, trusted=True)

    async def reject(self, error: RecordError, source: str, where: str = "") -> None:
        await self._sink.reject(error, source, where)
