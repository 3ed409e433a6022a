"""The ``replay`` source: recordings read back, at their original pace or faster.

``speed`` 1 keeps the original timing, 10 runs ten times faster and 0 runs
flat out. Files are JSON Lines (plain or gzip) or anything the importers read
(see :mod:`roomwatch.recordings`). A record without ``ts`` takes the previous
record's ``ts``, so a replay never depends on the wall clock.

In a replay the receive time is the record time: each file's ``ts`` are
bounded by :class:`~roomwatch.sources.timebound.ReplayBound` (a record out of
bounds is rejected as ``ts_out_of_range``).

With a :class:`~roomwatch.stages.clock.Pace`, the source tells the stages how
fast its rooms' time runs between records: ``speed`` record seconds per wall
second (0 when flat out), and 0 once the replay has ended, so the end of a
recording is never taken for a feed outage.

With ``loop``, pass *n* (from 0) adds *n* times the recording's span (plus
one second) to every ``ts`` and appends ``~n`` to every id, so each pass is
new to the de-duplication window and time keeps running forward.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from roomwatch.config import PipelineSettings
from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment, parse_json
from roomwatch.recordings import RecordingError, iter_records
from roomwatch.sources.protocol import CommentSink
from roomwatch.sources.timebound import ReplayBound
from roomwatch.stages.clock import Pace

__all__ = ["ReplaySource", "ReplayStats"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ReplayStats:
    records: int = 0
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    #: Lines or elements of the files that could not be read, by reason
    #: (``bad_ts``, ``too_long``...): never records, so never verdicts.
    unreadable: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class ReplaySource:
    paths: Sequence[str | os.PathLike[str]]
    speed: float = 0.0
    name: str = "replay"
    loop: bool = False
    room: str | None = None
    #: Called with each record as it is read (e.g. a progress bar).
    on_record: Callable[[], None] | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    #: Where this source's rooms' pace goes (the service's stages read it).
    pace: Pace | None = None
    #: The ts bounds (``replay_max_gap_s``, ``ts_max_past_s``).
    settings: PipelineSettings | None = None
    _pass: int = field(default=0, init=False)
    _offset: float = field(default=0.0, init=False)
    _span: tuple[float, float] | None = field(default=None, init=False)
    _rooms: set[str] = field(default_factory=set, init=False)

    async def run(self, sink: CommentSink) -> ReplayStats:
        """Feed every record of every file to ``sink``; return what happened."""
        stats = ReplayStats()
        try:
            while True:
                for path in self.paths:
                    await self._one(path, sink, stats)
                if not self.loop or self._span is None:
                    return stats
                first, last = self._span
                self._pass += 1
                self._offset = self._pass * (last - first + 1.0)
        finally:
            # The recording has ended: that is no outage, so its rooms' time
            # stops running on its own.
            if self.pace is not None:
                for room in self._rooms:
                    self.pace.set(room, 0.0)

    async def _one(
        self, path: str | os.PathLike[str], sink: CommentSink, stats: ReplayStats
    ) -> None:
        name = os.fspath(path)

        def warn(message: str) -> None:
            logger.warning("%s", message)
            stats.warnings.append(message)

        def skip(reason: str) -> None:
            stats.unreadable[reason] += 1

        first_ts: float | None = None
        started = self.monotonic()
        last_ts = 0.0
        n = 0
        bound = ReplayBound(self.settings)
        # A pipeline takes a record without a coroutine when it has room;
        # flat out, an inline one takes the records between rejects at once
        # (up to 512, between the loop's breaths).
        offer = getattr(sink, "offer_nowait", None)
        offer_many = getattr(sink, "offer_many", None) if self.speed <= 0 else None
        pending: list[Comment] = []

        def flush() -> None:
            if pending and offer_many is not None:
                offer_many(pending[:], self.name)
                pending.clear()

        try:
            for pos, raw in iter_records(path, room=self.room, on_warning=warn, on_skip=skip):
                n += 1
                try:
                    if isinstance(raw, bytes):
                        comment = parse_json(raw, received_at=last_ts)
                    else:
                        comment = Comment.from_dict(raw, received_at=last_ts)
                    bad_ts = bound.check(comment.ts)
                    if bad_ts is not None:
                        raise bad_ts
                except RecordError as err:
                    flush()  # (the records before it first)
                    stats.rejected += 1
                    logger.warning("%s:%d: record rejected: %s", name, pos, err)
                    await sink.reject(err, self.name, f"{name}:{pos}")
                    continue
                last_ts = comment.ts
                if self.loop and self._pass == 0:  # (the span is for looping only)
                    lo, hi = self._span or (last_ts, last_ts)
                    self._span = (min(lo, last_ts), max(hi, last_ts))
                if self.speed > 0:
                    if first_ts is None:
                        first_ts = comment.ts
                    due = started + (comment.ts - first_ts) / self.speed
                    delay = due - self.monotonic()
                    if delay > 0.001:
                        await self.sleep(delay)
                elif n % 512 == 0:
                    # Flat out: still let the loop breathe between chunks.
                    flush()
                    await asyncio.sleep(0)
                stats.records += 1
                if self.on_record is not None:
                    self.on_record()
                if self.pace is not None and comment.room not in self._rooms:
                    self._rooms.add(comment.room)
                    self.pace.set(comment.room, self.speed)
                if self._pass:
                    comment = replace(
                        comment,
                        ts=comment.ts + self._offset,
                        id=None if comment.id is None else f"{comment.id}~{self._pass}",
                    )
                if offer_many is not None:
                    pending.append(comment)
                elif offer is None or offer(comment, self.name) is None:
                    await sink.put(comment, self.name)
        except RecordingError as exc:
            # Kept with the warnings, not logged: whoever catches it reports it
            # (the command line's error, serve's source supervisor).
            stats.warnings.append(str(exc))
            raise
        finally:
            # The records read before the file ended, however it ended (a read
            # error too): one by one, each was offered as it was read.
            flush()
