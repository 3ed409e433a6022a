"""The ``replay`` source: recordings read back, at their original pace or faster.

``speed`` 1 keeps the original timing, 10 runs ten times faster and 0 runs
flat out. Files are JSON Lines (plain or gzip) or anything the importers read
(see :mod:`roomwatch.recordings`). A record without ``ts`` takes the previous
record's ``ts``, so a replay never depends on the wall clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from roomwatch.core.record import Comment, parse_json
from roomwatch.errors import RecordError
from roomwatch.recordings import RecordingError, iter_records
from roomwatch.sources import CommentSink

__all__ = ["ReplaySource", "ReplayStats"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ReplayStats:
    records: int = 0
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)


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

    async def run(self, sink: CommentSink) -> ReplayStats:
        """Feed every record of every file to ``sink``; return what happened."""
        stats = ReplayStats()
        while True:
            for path in self.paths:
                await self._one(path, sink, stats)
            if not self.loop:
                return stats

    async def _one(
        self, path: str | os.PathLike[str], sink: CommentSink, stats: ReplayStats
    ) -> None:
        name = os.fspath(path)

        def warn(message: str) -> None:
            logger.warning("%s", message)
            stats.warnings.append(message)

        first_ts: float | None = None
        started = self.monotonic()
        last_ts = 0.0
        n = 0
        try:
            for pos, raw in iter_records(path, room=self.room, on_warning=warn):
                n += 1
                try:
                    if isinstance(raw, bytes):
                        comment = parse_json(raw, received_at=last_ts)
                    else:
                        comment = Comment.from_dict(raw, received_at=last_ts)
                except RecordError as err:
                    stats.rejected += 1
                    logger.warning("%s:%d: record rejected: %s", name, pos, err)
                    await sink.reject(err, self.name, f"{name}:{pos}")
                    continue
                last_ts = comment.ts
                if self.speed > 0:
                    if first_ts is None:
                        first_ts = comment.ts
                    due = started + (comment.ts - first_ts) / self.speed
                    delay = due - self.monotonic()
                    if delay > 0.001:
                        await self.sleep(delay)
                elif n % 512 == 0:
                    # Flat out: still let the loop breathe between chunks.
                    await asyncio.sleep(0)
                stats.records += 1
                if self.on_record is not None:
                    self.on_record()
                await sink.put(comment, self.name)
        except RecordingError as exc:
            warn(str(exc))
            raise
