"""Read-ahead for a worker's consumer-group reads.

A worker's loop was serial: ``XREADGROUP``, wait for the reply, process the
batches, commit them, and only then ask for more. :class:`ReadAhead` keeps
the next ``XREADGROUP`` under way while the batches of the previous one are
processed, so the round trip to Redis and the server's work on it overlap
the stages. Only while there is a backlog (a read came back full): below
saturation a read issued ahead returns as soon as one entry arrives, and
batches of one or two entries each pay the per-batch costs (a thread hop
for the analysis, a commit script, a pipeline pass), while the serial loop
lets each batch gather what arrived during the last one.

What it must not change (``docs/streams.md``):

* **Order per shard.** Reads are issued one at a time, each after the
  previous one answered, and their batches are processed in the order the
  reads were issued; ``>`` hands each entry out once, so a shard's entries
  are processed in stream order.
* **Fencing.** A read remembers the :class:`~roomwatch.streams.shard.ShardRun`
  each of its shards was read for. When the batches come to be processed,
  a shard whose run is no longer the worker's current one (lease lost, given
  back, taken over again) is skipped: nothing is processed or committed for
  it, and its entries stay pending for the shard's owner to claim
  (``XAUTOCLAIM``). The commit script still checks the lease, as before.
* **Nothing stranded.** A read whose reply is lost (a timeout, a dropped
  connection) may still have been delivered: its entries are then pending
  under this consumer. The next reads fetch this consumer's own pending
  entries (``0``), one at a time, until there are none, then new ones again.
* **Clean hand-over.** :meth:`ReadAhead.settled` waits until no read that
  holds a shard is in flight or unprocessed, so a worker that gives a shard
  back stops reading it first and releases it with nothing of it held
  (the new owner need not wait ``claim_idle_s`` for those entries).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

if TYPE_CHECKING:
    from roomwatch.streams.shard import ShardRun

__all__ = ["Read", "ReadAhead"]


@dataclass(slots=True)
class Read:
    """One ``XREADGROUP`` over some shards: the run each shard was read for, and the reply."""

    runs: dict[int, ShardRun]
    task: asyncio.Task[Any]
    #: ``>`` (new entries) or ``0`` (this consumer's pending ones).
    at: str = ">"
    reply: list[Any] = field(default_factory=list)
    #: Some shard gave as many entries as were asked for: more are waiting.
    full: bool = False


class ReadAhead:
    """At most one ``XREADGROUP`` under way ahead of the batches being processed."""

    def __init__(
        self,
        redis: Redis,
        group: str,
        consumer: str,
        stream_of: Callable[[int], str],
        *,
        count: int,
        block_ms: int,
    ) -> None:
        self._redis = redis
        self._group = group
        self._consumer = consumer
        self._stream_of = stream_of
        self._count = count
        self._block_ms = block_ms
        self._next: Read | None = None
        #: Reads issued and not yet processed (or dropped) that hold each shard.
        self._held: Counter[int] = Counter()
        self._changed = asyncio.Event()
        #: Read this consumer's own pending entries (``0``) before new ones (``>``).
        self.backlog = False

    @property
    def issued(self) -> bool:
        """Whether a read is under way (or answered and not yet taken)."""
        return self._next is not None

    def issue(self, runs: Mapping[int, ShardRun]) -> bool:
        """Start reading ``runs``' shards (new entries, ``>``); False if there are none."""
        if self._next is not None:
            raise RuntimeError("a read is already under way")
        if not runs:
            return False
        at = "0" if self.backlog else ">"
        streams = {self._stream_of(k): at for k in sorted(runs)}
        task = asyncio.ensure_future(
            self._redis.xreadgroup(
                self._group,
                self._consumer,
                streams,  # type: ignore[arg-type]
                count=self._count,
                block=self._block_ms,
            )
        )
        self._next = Read(dict(runs), task, at)
        self._held.update(runs.keys())
        return True

    async def take(self) -> Read:
        """The read issued last, once Redis answered it; the caller then :meth:`done` it."""
        read, self._next = self._next, None
        if read is None:
            raise RuntimeError("no read was issued")
        try:
            read.reply = list(await read.task or ())
        except BaseException:
            self.done(read)
            # Redis may have delivered the entries and the reply been lost: they
            # are pending under this consumer, and only a read of ``0`` finds them.
            self.backlog = True
            raise
        read.full = any(len(entries) >= self._count for _, entries in read.reply)
        if read.at == "0" and not any(entries for _, entries in read.reply):
            self.backlog = False
        return read

    def done(self, read: Read) -> None:
        """``read``'s batches are processed (or skipped): its shards are no longer held."""
        self._held.subtract(read.runs.keys())
        self._held += Counter()  # drop the zeros
        self._changed.set()
        self._changed = asyncio.Event()

    def holding(self, shard: int) -> int:
        """How many reads in flight or unprocessed hold ``shard``."""
        return self._held[shard]

    async def settled(self, shard: int) -> None:
        """Wait until no read in flight or unprocessed holds ``shard``."""
        while self._held[shard] > 0:
            await self._changed.wait()

    async def close(self) -> None:
        """Drop the read under way, if any (what it delivered stays pending)."""
        read, self._next = self._next, None
        if read is None:
            return
        read.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await read.task
        self.done(read)
