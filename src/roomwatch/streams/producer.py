"""The gateway's entry point for records: what sources and ``/ingest`` hand comments to.

It takes the place of the pipeline in ``serve`` (same ``admit``/``offer``/
``put``/``reject``): the time guard bounds each record, the recorder tap sees
it, and it is added to its room's input shard (through the
:class:`~roomwatch.streams.spool.Spool`). A record whose ``(room, id)`` it
took within the last ``pipeline.dedupe_window`` records is a ``duplicate``,
as ``serve``'s pipeline answers (so ``POST /ingest`` reports the same
counts); it is not sent on. Flood checks run in the workers, where the
room's state is.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomwatch.core.dedupe import IdWindow
from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.metrics import Metrics, StreamMetrics
from roomwatch.sources.timebound import Guard, guarded
from roomwatch.stages.clock import Pace
from roomwatch.streams.cancel import cancel_and_wait
from roomwatch.streams.layout import Keys, dumps, encode_entry, fields_of, shard_of
from roomwatch.streams.spool import Spool, SpoolFull

__all__ = ["StreamProducer"]

logger = logging.getLogger(__name__)

_SEND_BATCH = 500


class StreamProducer:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        spool: Spool,
        *,
        metrics: Metrics,
        streams: StreamMetrics,
        pace: Pace,
        guard: Guard | None,
        dedupe_window: int = 0,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.spool = spool
        self._metrics = metrics
        self._m = streams
        self._pace = pace
        self.guard = guard
        self._taps: list[Callable[[Comment], None]] = []
        self._dedupe = IdWindow(dedupe_window) if dedupe_window > 0 else None
        self._run = uuid.uuid4().hex[:12]
        self._seq = itertools.count()
        self._waiting = asyncio.Event()
        self._room = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        #: Records added to Redis so far.
        self.processed = 0
        #: Records accepted so far (spooled, or already in Redis).
        self.accepted = 0
        #: Whether Redis answered the last send.
        self.redis_up = True
        streams.spool.set_function(lambda: float(len(self.spool)))
        streams.redis_up.set(1)

    # -- what the web app and the sources call -------------------------------------

    @property
    def degraded(self) -> bool:
        return not self.redis_up

    @property
    def queued(self) -> int:
        return len(self.spool)

    def add_tap(self, tap: Callable[[Comment], None]) -> None:
        self._taps.append(tap)

    def admit(self, comment: Comment, source: str) -> Comment | RecordError:
        return guarded(self.guard, comment, source)

    async def put(self, comment: Comment, source: str, *, trusted: bool = False) -> bool:
        """A source's record: waits while the spool is full (backpressure), never drops it."""
        while self.spool.full:
            async with self._room:
                await self._room.wait()
        return await self.offer(comment, source, trusted=trusted) == "accepted"

    async def offer(
        self, comment: Comment, source: str, *, admitted: bool = False, trusted: bool = False
    ) -> str:
        """``accepted``, ``rejected`` or ``duplicate``; raises :class:`SpoolFull`
        (counted) when full."""
        checked = guarded(self.guard, comment, source, admitted=admitted, trusted=trusted)
        if isinstance(checked, RecordError):
            await self.reject(checked, source)
            return "rejected"
        comment = checked
        if self.spool.full:
            self._m.spool_refused.inc()
            raise SpoolFull(f"the gateway's spool holds {self.spool.max_entries} records")
        self._metrics.accepted(source)
        # As serve's pipeline: taps (the recorder) see duplicates too, so a
        # replay of the recording drops the same ones.
        for tap in self._taps:
            tap(comment)
        dedupe = self._dedupe
        if comment.id is not None and dedupe is not None and dedupe.seen(comment.room, comment.id):
            self._metrics.pipeline.discarded("duplicate").inc()
            return "duplicate"
        key = f"{self._run}:{next(self._seq)}"
        line = encode_entry(comment, source, trusted, self._pace.rate(comment.room), key)
        self.spool.push(shard_of(comment.room, self.keys.shards), line)
        self.accepted += 1
        self._waiting.set()
        return "accepted"

    def control(self, room: str, entry: dict[str, Any]) -> None:
        """A client's action (:mod:`roomwatch.streams.actions`), ordered with the room's records."""
        if self.spool.full:
            self._m.spool_refused.inc()
            raise SpoolFull(f"the gateway's spool holds {self.spool.max_entries} records")
        self.spool.push(shard_of(room, self.keys.shards), dumps(entry))
        self._waiting.set()

    async def reject(self, error: RecordError, source: str, where: str = "") -> None:
        self._metrics.rejected(source, error.reason)

    # -- the sender ----------------------------------------------------------------

    def start(self) -> None:
        for line in self.spool.load():
            obj = json.loads(line)
            room = str(obj["r"]["room"] if "r" in obj else obj["room"])
            self.spool.push(shard_of(room, self.keys.shards), line)
        if len(self.spool):
            self._waiting.set()
        self._task = asyncio.create_task(self._send_loop(), name="stream-producer")

    async def drain(self, timeout: float) -> bool:
        """Wait (up to ``timeout``) until everything spooled is in Redis."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.spool) and loop.time() < end:
            async with self._room:
                with_timeout = max(0.01, end - loop.time())
                try:
                    await asyncio.wait_for(self._room.wait(), with_timeout)
                except TimeoutError:
                    break
        return not len(self.spool)

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
        self.spool.close()

    async def _send_loop(self) -> None:
        backoff = 0.05
        while True:
            if not len(self.spool):
                self._waiting.clear()
                await self._waiting.wait()
            batch = self.spool.peek(_SEND_BATCH)
            try:
                pipe = self.redis.pipeline(transaction=False)
                for shard, line in batch:
                    pipe.xadd(self.keys.input(shard), fields_of(line))  # type: ignore[arg-type]
                await pipe.execute()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self.redis_up:
                    logger.error(
                        "gateway: Redis is unreachable (%r); spooling records (%d held)",
                        exc,
                        len(self.spool),
                    )
                self.redis_up = False
                self._m.redis_up.set(0)
                self.spool.persist()
                await asyncio.sleep(backoff)
                backoff = min(1.0, backoff * 2)
                continue
            backoff = 0.05
            if not self.redis_up:
                logger.warning(
                    "gateway: Redis is back; draining %d spooled records", len(self.spool)
                )
            self.redis_up = True
            self._m.redis_up.set(1)
            self.spool.pop(len(batch))
            self.processed += len(batch)
            counts: dict[int, int] = {}
            for shard, _ in batch:
                counts[shard] = counts.get(shard, 0) + 1
            for shard, n in counts.items():
                self._m.appended.labels(self.keys.input(shard)).inc(n)
            async with self._room:
                self._room.notify_all()

    def health(self) -> dict[str, Any]:
        return {
            "up": self.redis_up,
            "spooled": len(self.spool),
            "spool_max": self.spool.max_entries,
        }
