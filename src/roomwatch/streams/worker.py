"""The worker role's engine: leases, consumer-group reads, fenced commits, hand-over.

A worker holds a lease on some input shards (``SET lease NX PX``, renewed
every third of ``lease_ttl_s``). It aims at an even share: live workers beat
into a sorted set, and each takes ``ceil(shards / live)``; one with more
gives the extra shards back between batches. For each shard it holds it
reads new entries through the consumer group (``XREADGROUP``), runs them
through the shard's graph (:class:`~roomwatch.streams.shard.ShardRun`) and
commits the output, the shard's "last processed" id and the ``XACK`` in one
fenced script (:data:`~roomwatch.streams.scripts.COMMIT`).

Taking a shard over (its owner died, its lease ran out, or it gave it back):

1. rebuild: the retained history up to the last processed id is run through
   a fresh graph with its output suppressed, so per-room state is what the
   old owner had;
2. claim: the entries the old owner read but did not commit are claimed
   (``XAUTOCLAIM``) once idle for ``claim_idle_s``, and processed in order
   before anything new.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomwatch.config import StreamsSettings
from roomwatch.core.errors import RecordError
from roomwatch.metrics import Metrics, StreamMetrics
from roomwatch.streams.actions import Control
from roomwatch.streams.layout import (
    GROUP,
    Entry,
    Keys,
    decode_entry,
    dump_bytes,
    dumps,
    id_le,
)
from roomwatch.streams.prefetch import Read, ReadAhead
from roomwatch.streams.scripts import APPEND, COMMIT, RELEASE, RENEW
from roomwatch.streams.shard import ShardRun
from roomwatch.streams.trim import trim_shard

__all__ = ["GraphFactory", "StreamWorker", "worker_name"]

logger = logging.getLogger(__name__)

#: ``factory(verdict_output, alert_listener)`` -> a fresh graph for one shard.
GraphFactory = Callable[..., Any]

_READ_COUNT = 1000


def worker_name(settings: StreamsSettings) -> str:
    return settings.worker_name or f"{socket.gethostname()}-{os.getpid()}"


class LeaseLost(Exception):
    """The shard's lease is no longer ours: drop its state, write nothing."""


class StreamWorker:
    def __init__(
        self,
        redis: Redis,
        settings: StreamsSettings,
        factory: GraphFactory,
        *,
        metrics: Metrics,
        streams: StreamMetrics,
        window: int,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.keys = Keys(settings.prefix, settings.shards)
        self.name = worker_name(settings)
        self._factory = factory
        self._metrics = metrics
        self._m = streams
        self._window = window
        self.owned: dict[int, ShardRun] = {}
        #: Shards whose lease this worker holds: the owned ones and those being taken over.
        self._held: set[int] = set()
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._commit = redis.register_script(COMMIT)
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)
        self._append = redis.register_script(APPEND)
        self._ttl_ms = int(settings.lease_ttl_s * 1000)
        self.processed = 0
        # gaps: a control entry is applied only if this check passes (its
        # signature, streams/actions.ControlCheck); else it is a dead letter.
        self.check_control: Callable[[Control], Control | RecordError] = _refuse_unchecked
        self._reads = ReadAhead(
            redis,
            GROUP,
            self.name,
            self.keys.input,
            count=settings.batch_max,
            block_ms=settings.block_ms,
        )
        #: Shards being given back: no longer read, released once no read holds them.
        self._leaving: set[int] = set()

    # -- the loops ---------------------------------------------------------------

    async def run(self) -> None:
        """Run until :meth:`stop`: leases, reads, ticks, trimming, gauges."""
        tasks = [
            asyncio.create_task(
                self._forever("leases", self.settings.lease_ttl_s / 3, self._renew_all)
            ),
            asyncio.create_task(
                self._forever("balance", self.settings.lease_ttl_s / 3, self._balance)
            ),
            asyncio.create_task(self._read_loop(), name="stream-reads"),
            asyncio.create_task(self._forever("ticks", 0.1, self._tick)),
            asyncio.create_task(self._forever("trim", self.settings.trim_interval_s, self._trim)),
            asyncio.create_task(self._forever("pending", 1.0, self._gauges)),
        ]
        try:
            await self._stopping.wait()
        finally:
            for t in tasks:
                t.cancel()
            # Every loop also checks the stop flag, in case a library swallowed
            # the cancellation (seen with a Redis that had gone away).
            _, stuck = await asyncio.wait(tasks, timeout=5.0)
            if stuck:
                logger.warning("worker %s: %d loops did not stop", self.name, len(stuck))

    def stop(self) -> None:
        self._stopping.set()

    async def release_all(self) -> None:
        """Give every shard back (a clean shutdown: the others take over at once)."""
        async with self._lock:
            for shard in sorted(self._held):
                with contextlib.suppress(RedisError, OSError):
                    await self._release(keys=[self.keys.lease(shard)], args=[self.name])
                self._drop(shard)

    async def _forever(self, what: str, every: float, step: Callable[[], Any]) -> None:
        failing = False
        while not self._stopping.is_set():
            try:
                await step()
                if failing:
                    logger.info("worker %s: %s works again", self.name, what)
                failing = False
                self._m.redis_up.set(1)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._m.redis_up.set(0)
                if not failing:
                    logger.warning("worker %s: %s failed: %r; retrying", self.name, what, exc)
                failing = True
            except Exception:
                logger.exception("worker %s: %s failed", self.name, what)
            await asyncio.sleep(every)

    async def _read_loop(self) -> None:
        """Read the owned shards and process their batches, the next read under way meanwhile."""
        reads = self._reads
        backoff = 0.05
        try:
            while not self._stopping.is_set():
                if not reads.issued and not reads.issue(self._readable()):
                    await asyncio.sleep(0.05)
                    continue
                try:
                    read = await reads.take()
                    try:
                        if not reads.backlog and read.full:
                            # A backlog: the next XREADGROUP goes out before these are
                            # processed. Not otherwise: it would return the first entry
                            # to arrive, and each batch of a few entries pays a whole
                            # batch's costs (streams/prefetch.py).
                            reads.issue(self._readable())
                        await self._process_read(read)
                    finally:
                        reads.done(read)
                    backoff = 0.05
                    self._m.redis_up.set(1)
                except asyncio.CancelledError:
                    raise
                except (RedisError, OSError) as exc:
                    self._m.redis_up.set(0)
                    logger.warning("worker %s: reading failed: %r", self.name, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(2.0, backoff * 2)
        finally:
            await reads.close()

    def _readable(self) -> dict[int, ShardRun]:
        """The shards to read next: the owned ones, less those being given back."""
        return {k: run for k, run in self.owned.items() if k not in self._leaving}

    async def _process_read(self, read: Read) -> None:
        """Process one read's batches, shard by shard, each only if still read for its owner."""
        batches = [(_shard_of(stream), entries) for stream, entries in read.reply]
        for i, (shard, entries) in enumerate(batches):
            async with self._lock:
                # A shard that changed hands since the read (lease lost, given back, taken
                # over again) is skipped: its entries stay pending for its owner's claim.
                run = self.owned.get(shard)
                if run is None or read.runs.get(shard) is not run:
                    continue
                try:
                    await self._batch(run, entries)
                except LeaseLost as lost:
                    logger.warning(
                        "worker %s: lost the lease of shard %s mid-batch", self.name, lost
                    )
                except Exception:
                    # The read's later batches were delivered to this worker but will not
                    # be processed: drop their shards, so they are taken over (their state
                    # rebuilt, those entries claimed) rather than left pending here. (On a
                    # stop, release_all gives every shard back and the next owners claim.)
                    for later, _ in batches[i + 1 :]:
                        if later in read.runs and self.owned.get(later) is read.runs[later]:
                            self._drop(later)
                    raise

    # -- batches -----------------------------------------------------------------

    async def _batch(self, run: ShardRun, raw: Sequence[Any]) -> None:
        """Process one batch of a shard and commit it; a lost lease drops the shard."""
        shard = run.shard
        started = time.perf_counter()
        entries, dead = _decode(raw, self.check_control)
        ids = [_text(i) for i, _ in raw]
        fresh = [e for e in entries if not id_le(e.id, run.done)]
        if len(fresh) < len(entries):
            self._m.redelivered.labels(self.keys.input(shard)).inc(len(entries) - len(fresh))
        payload: dict[str, Any] = {}
        if fresh:
            payload = await run.process(fresh)
        if run.redelivered:
            self._m.redelivered.labels(self.keys.input(shard)).inc(run.redelivered)
            run.redelivered = 0
        for _, error in dead:
            self._metrics.rejected("stream", error.reason)
        last = max(ids, key=_id_key) if ids else run.done
        if id_le(last, run.done):
            last = run.done
        try:
            await self._write(shard, last, payload, dead, ids)
        except (LeaseLost, RedisError, OSError):
            # Whether it was written is unknown, or it must not be: start over.
            if self.owned.get(shard) is run:
                self._drop(shard)
            raise
        run.done = last
        self.processed += len(fresh)
        self._m.batch_seconds.observe(time.perf_counter() - started)

    async def _write(
        self,
        shard: int,
        last: str,
        payload: dict[str, Any],
        dead: list[tuple[dict[str, Any], RecordError]],
        ids: list[str],
    ) -> None:
        keys = self.keys
        # Bytes, as Redis takes them: no str in between (a batch's entry is ~300 kB).
        out = dump_bytes(payload) if payload else b""
        dead_rows = [dumps({**fields, "error": err.to_dict()}) for fields, err in dead]
        args: list[Any] = [
            self.name,
            GROUP,
            last,
            self.settings.out_max_len,
            out,
            len(dead_rows),
            *dead_rows,
            *ids,
        ]
        lease, done, inp = keys.lease(shard), keys.done(shard), keys.input(shard)
        acked = await self._commit(keys=[lease, done, inp, keys.output, keys.dead], args=args)
        if int(acked) < 0:
            raise LeaseLost(shard)
        if out:
            self._m.appended.labels(keys.output).inc()
        if dead_rows:
            self._m.appended.labels(keys.dead).inc(len(dead_rows))
            logger.warning(
                "worker %s: %d malformed entries moved to %s", self.name, len(dead_rows), keys.dead
            )

    # -- leases and hand-over ----------------------------------------------------

    async def _renew_all(self) -> None:
        """Beat, and renew every lease held; a lease that is gone drops its shard."""
        r, keys = self.redis, self.keys
        now_ms = int(time.time() * 1000)
        await r.zadd(keys.workers, {self.name: now_ms})
        await r.zremrangebyscore(keys.workers, "-inf", now_ms - 3 * self._ttl_ms)
        for shard in sorted(self._held):
            if not await self._renew(keys=[keys.lease(shard)], args=[self.name, self._ttl_ms]):
                logger.warning("worker %s: lost the lease of shard %d", self.name, shard)
                async with self._lock:
                    self._drop(shard)

    async def _balance(self) -> None:
        """Hold ``ceil(shards / live workers)`` shards: give extra ones back, take free ones."""
        r, keys = self.redis, self.keys
        now_ms = int(time.time() * 1000)
        await r.zadd(keys.workers, {self.name: now_ms})
        live = max(1, int(await r.zcount(keys.workers, now_ms - 2 * self._ttl_ms, "+inf")))
        target = math.ceil(self.settings.shards / live)
        while len(self.owned) > target:
            shard = max(self.owned)
            await self._give_back(shard)
            logger.info("worker %s: handed shard %d back (%d live workers)", self.name, shard, live)
        free = [k for k in range(self.settings.shards) if k not in self._held]
        random.shuffle(free)
        for shard in free:
            if len(self._held) >= target or self._stopping.is_set():
                break
            if await r.set(keys.lease(shard), self.name, nx=True, px=self._ttl_ms):
                self._held.add(shard)
                try:
                    await self._take_over(shard)
                except LeaseLost:
                    logger.warning(
                        "worker %s: lost shard %d while taking it over", self.name, shard
                    )
                    self._drop(shard)
                except BaseException:
                    self._drop(shard)
                    raise

    async def _give_back(self, shard: int) -> None:
        """Stop reading ``shard``, let the reads that hold it be processed, then release it."""
        self._leaving.add(shard)
        try:
            try:
                await asyncio.wait_for(self._reads.settled(shard), self.settings.lease_ttl_s)
            except TimeoutError:  # released anyway: the new owner claims what is left pending
                logger.warning("worker %s: shard %d given back with a read held", self.name, shard)
            async with self._lock:
                await self._release(keys=[self.keys.lease(shard)], args=[self.name])
                self._drop(shard)
        finally:
            self._leaving.discard(shard)

    async def _take_over(self, shard: int) -> None:
        """Rebuild the shard's state from its history, then process what was left pending.

        The lease is renewed meanwhile (:meth:`_renew_all`); the shard is
        read (``XREADGROUP``) only once this is done, so its order holds.
        """
        r, keys = self.redis, self.keys
        stream = keys.input(shard)
        with contextlib.suppress(RedisError):
            await r.xgroup_create(stream, GROUP, id="0", mkstream=True)
        run = ShardRun.build(shard, self._factory, self._window)
        try:
            await self._catch_up(shard, run)
        except BaseException:
            await run.graph.pipeline.close()
            raise

    async def _catch_up(self, shard: int, run: ShardRun) -> None:
        r, keys = self.redis, self.keys
        stream = keys.input(shard)
        done = _text(await r.get(keys.done(shard)) or b"0-0")
        started = time.perf_counter()
        replayed = 0
        cursor = "-"
        while done != "0-0":
            chunk = await r.xrange(stream, cursor, done, count=_READ_COUNT)
            if not chunk:
                break
            entries, _ = _decode(chunk, self.check_control)
            await run.process(entries, rebuild=True)
            replayed += len(chunk)
            last = _text(chunk[-1][0])
            if last == done or len(chunk) < _READ_COUNT:
                break
            cursor = "(" + last
            if shard not in self._held:
                raise LeaseLost(shard)
        run.done = done
        # No read issued for an earlier run of this shard may deliver after the claim.
        await self._reads.settled(shard)
        claimed = await self._claim(shard, run)
        async with self._lock:
            if shard not in self._held:
                raise LeaseLost(shard)
            self.owned[shard] = run
            self._m.owned_shards.set(len(self.owned))
        logger.info(
            "worker %s: took shard %d over (rebuilt from %d entries in %.2f s, claimed %d)",
            self.name,
            shard,
            replayed,
            time.perf_counter() - started,
            claimed,
        )

    async def _claim(self, shard: int, run: ShardRun) -> int:
        """Claim the shard's pending entries (once idle long enough) and process them in order."""
        r, stream = self.redis, self.keys.input(shard)
        idle_ms = int(self.settings.claim_idle_s * 1000)
        claimed: dict[str, Any] = {}
        while True:
            cursor = "0-0"
            while True:
                res = await r.xautoclaim(
                    stream, GROUP, self.name, idle_ms, cursor, count=_READ_COUNT
                )
                cursor = _text(res[0])
                for entry_id, fields in res[1]:
                    if fields is not None:
                        claimed[_text(entry_id)] = (entry_id, fields)
                gone = res[2] if len(res) > 2 else []
                if gone:  # pending entries trimmed away: nothing to process, acknowledge them
                    await r.xack(stream, GROUP, *gone)
                if cursor == "0-0":
                    break
            # Done once every pending entry is among those claimed here: the old owner's,
            # and this worker's own from reads it skipped (the shard had changed hands).
            summary = await r.xpending(stream, GROUP)
            if int(summary.get("pending") or 0) <= len(claimed):
                break
            if shard not in self._held or self._stopping.is_set():
                raise LeaseLost(shard)
            await asyncio.sleep(self.settings.claim_idle_s / 4)
        if claimed:
            self._m.claimed.labels(stream).inc(len(claimed))
            ordered = [claimed[k] for k in sorted(claimed, key=_id_key)]
            for i in range(0, len(ordered), self.settings.batch_max):
                await self._batch(run, ordered[i : i + self.settings.batch_max])
        return len(claimed)

    def _drop(self, shard: int) -> None:
        self._held.discard(shard)
        run = self.owned.pop(shard, None)
        if run is not None:
            asyncio.get_running_loop().create_task(run.graph.pipeline.close())
        self._m.owned_shards.set(len(self.owned))
        # Its pending gauge is the new owner's to report now.
        with contextlib.suppress(KeyError):
            self._m.pending.remove(self.keys.input(shard), GROUP)

    # -- ticks, trimming, gauges -------------------------------------------------

    async def _tick(self) -> None:
        stats = int(time.monotonic()) != int(time.monotonic() - 0.1)
        for shard, run in list(self.owned.items()):
            async with self._lock:
                if self.owned.get(shard) is not run:
                    continue
                payload = run.tick(stats)
                if not payload:
                    continue
                # Fenced like a batch's commit: a worker that stalled past its lease
                # must not append views older than the new owner's. (Not capped here:
                # the gateway trims the output, streams/trim.py.)
                keys = [self.keys.lease(shard), self.keys.output]
                try:
                    appended = int(await self._append(keys=keys, args=[self.name, dumps(payload)]))
                except (RedisError, OSError):
                    # The tick's output left the shard's buffers; whether it landed is
                    # unknown. As after a failed commit: drop the shard, and whoever
                    # takes it next rebuilds it (views and all) from the stream.
                    self._drop(shard)
                    raise
                if appended < 0:
                    logger.warning("worker %s: lost the lease of shard %d", self.name, shard)
                    self._drop(shard)
                    continue
                self._m.appended.labels(self.keys.output).inc()

    async def _trim(self) -> None:
        s = self.settings
        for shard, run in list(self.owned.items()):
            n = await trim_shard(
                self.redis,
                self.keys.input(shard),
                done=run.done,
                retain_ms=int(s.retain_s * 1000),
                max_len=s.max_len,
                now_ms=int(time.time() * 1000),
            )
            if n:
                self._m.trimmed.labels(self.keys.input(shard)).inc(n)

    async def _gauges(self) -> None:
        for shard in list(self.owned):
            stream = self.keys.input(shard)
            summary = await self.redis.xpending(stream, GROUP)
            self._m.pending.labels(stream, GROUP).set(int(summary.get("pending") or 0))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _shard_of(stream: Any) -> int:
    return int(_text(stream).rsplit(":", 1)[1])


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _refuse_unchecked(c: Control) -> RecordError:
    """No check configured: no control entry is applied (gaps)."""
    return RecordError("unsigned", f"control entry {c.id}: this worker checks no signatures")


def _decode(
    raw: Sequence[Any],
    check: Callable[[Control], Control | RecordError],
) -> tuple[list[Entry | Control], list[tuple[dict[str, Any], RecordError]]]:
    entries: list[Entry | Control] = []
    dead: list[tuple[dict[str, Any], RecordError]] = []
    for entry_id, fields in raw:
        eid = _text(entry_id)
        data = fields.get(b"e") if fields and len(fields) == 1 else None
        try:
            if data is not None:  # the one field, as Redis returns it: no text decoding first
                e = decode_entry(eid, {"e": data})
            else:
                e = decode_entry(eid, _fields_text(fields))
        except Exception as exc:  # a field that is not text: never a worker crash
            e = RecordError("malformed_entry", f"stream entry {eid}: {exc!r}")
        if isinstance(e, Control):
            e = check(e)  # gaps: a signed action, or a dead letter
        if isinstance(e, RecordError):
            dead.append(({"id": eid, "fields": _fields_text(fields)}, e))
        else:
            entries.append(e)
    return entries, dead


def _fields_text(fields: Any) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in (fields or {}).items()}
