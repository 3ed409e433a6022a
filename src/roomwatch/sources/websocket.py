"""The ``websocket`` source: a client of an upstream that sends comment records.

The upstream sends JSON text frames, each holding one record, a JSON array of
records, or NDJSON; or, with a ``field_map``, a fetcher's own JSON messages
(:mod:`roomwatch.sources.mapping`). Malformed records are counted and skipped; the connection
stays up. When the connection fails or closes, the source reconnects with
jittered exponential backoff (the shared :class:`roomwatch.retry.RetryPolicy`),
forever, logging every failure: it never gives up silently. ``close()`` stops
it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import websockets
from websockets.asyncio.client import ClientConnection, connect

from roomwatch.core.errors import RecordError
from roomwatch.core.log_throttle import LogThrottle
from roomwatch.core.mapping import FieldMap
from roomwatch.core.payload import parse_many
from roomwatch.core.token_bucket import TokenBucket
from roomwatch.metrics import Metrics
from roomwatch.retry import RetryPolicy
from roomwatch.sources.mapping import parse_mapped
from roomwatch.sources.protocol import CommentSink
from roomwatch.sources.reconnect import Ended, Reconnects, mark_restarting, run_session
from roomwatch.sources.supervise import SourceState
from roomwatch.sources.timebound import UNSTAMPED

__all__ = ["MAX_FRAME_BYTES", "Backoff", "WebSocketSource"]

#: Largest frame read from an upstream; a larger one closes the connection
#: with 1009 (message too big), which is counted, and the source reconnects.
MAX_FRAME_BYTES: Final = 4 * 1024 * 1024

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Backoff:
    """How the source waits between connections: the shared retry policy, forever.

    The wait before reconnect ``n`` is ``min(maximum, initial * 2**(n-1))``
    times a random factor in ``[0.1, 1]``: full jitter, with a floor of a
    tenth of the ceiling so a storm of clients that all drew ~0 can't hammer
    a recovering upstream. A frame from the upstream starts ``n`` again at 1.
    """

    initial: float = 0.5
    maximum: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=None, base_delay=self.initial, max_delay=self.maximum, jitter=0.9
        )


@dataclass(slots=True)
class WebSocketSource:
    url: str
    metrics: Metrics
    name: str = "websocket"
    headers: Mapping[str, str] = field(default_factory=dict)
    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    #: Frames read per second at most (a second's worth in a burst); past
    #: it the source waits before reading on, so TCP slows the upstream and
    #: nothing is lost. None: no limit.
    frames_per_s: float | None = None
    #: Connections made so far (for tests and logs).
    connections: int = 0
    #: Where ``/healthz`` reads this source's state (set by the service): an
    #: unexpected error marks it ``restarting`` until a frame arrives again.
    health: SourceState | None = None
    #: Maps a fetcher's own JSON shape to records; None: records as they are.
    field_map: FieldMap | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _reconnects: Reconnects = field(init=False)
    #: Rejected records are logged at WARNING once a minute per reason.
    _reject_log: LogThrottle = field(default_factory=lambda: LogThrottle(60.0))

    def __post_init__(self) -> None:
        self._reconnects = Reconnects(self.name, self.url, logger)

    async def run(self, sink: CommentSink) -> None:
        """Connect, read, reconnect; returns only after :meth:`close`."""
        self._reconnects.health = self.health
        await self._reconnects.run(
            self.backoff.policy,
            self.backoff.rng.random,
            lambda: self._connect(sink),
            stopping=self._stopping,
            pause=self._pause,
        )

    async def _connect(self, sink: CommentSink) -> None:
        """One connection, read to its end: returns when closing, else raises :class:`Ended`."""
        if self._stopping.is_set():
            return
        connected = self.metrics.source_connected.labels(self.name)
        try:
            async with connect(
                self.url,
                additional_headers=dict(self.headers),
                max_size=MAX_FRAME_BYTES,
                open_timeout=10,
            ) as ws:
                self.connections += 1
                connected.set(1)
                self._reconnects.connected()
                logger.info("%s: connected to %s", self.name, self.url)
                await run_session(ws, self._read(ws, sink))
                reason = "upstream closed the connection"
        except asyncio.CancelledError:
            raise
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            self.metrics.source(self.name).errors(type(exc).__name__).inc()
            sent = getattr(exc, "sent", None)
            if getattr(sent, "code", None) == 1009:  # a frame over MAX_FRAME_BYTES
                self.metrics.limit_exceeded.labels("source_frame_bytes").inc()
        except Exception as exc:
            # Never die silently: whatever broke, log it with its
            # traceback, count it, and reconnect like any other failure.
            logger.exception("%s: unexpected error", self.name)
            reason = f"{type(exc).__name__}: {exc}"
            self.metrics.source(self.name).errors(type(exc).__name__).inc()
            self.metrics.source_restarts.labels(self.name).inc()
            mark_restarting(self.health, reason)
        finally:
            connected.set(0)
        if self._stopping.is_set():
            return
        raise Ended(reason)

    async def _pause(self, delay: float) -> None:
        """Wait ``delay`` seconds before reconnecting, or less if the source is closed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)

    async def _read(self, ws: ClientConnection, sink: CommentSink) -> None:
        stop = asyncio.ensure_future(self._stopping.wait())
        recv: asyncio.Future[Any] | None = None
        rate = self.frames_per_s
        bucket = TokenBucket.full(rate, max(1, int(rate)), time.monotonic()) if rate else None
        try:
            while True:
                if bucket is not None and not bucket.take(time.monotonic()):
                    self.metrics.limit_exceeded.labels("source_frames_per_s").inc()
                    await self.sleep(bucket.wait_time())
                    bucket.take(time.monotonic())
                recv = asyncio.ensure_future(ws.recv())
                done, _ = await asyncio.wait({recv, stop}, return_when=asyncio.FIRST_COMPLETED)
                if stop in done:
                    recv.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await recv
                    return
                try:
                    frame = recv.result()
                except websockets.exceptions.ConnectionClosedOK:
                    return
                # A frame arrived, so the upstream is healthy again: the next
                # reconnect waits as if it were the first.
                self._reconnects.data_arrived()
                # A record without ts is stamped with its room's time by the pipeline.
                fmap = self.field_map
                items = (
                    parse_many(frame, received_at=UNSTAMPED)
                    if fmap is None
                    else parse_mapped(frame, fmap)
                )
                for item in items:
                    if isinstance(item, RecordError):
                        self._log_reject(item)
                        await sink.reject(item, self.name, "")
                    else:
                        await sink.put(item, self.name)
        finally:
            stop.cancel()
            # Cancelled from outside (the service shutting down) while waiting:
            # a pending recv would outlive the connection and fail unobserved.
            if recv is not None and not recv.done():
                recv.cancel()

    def _log_reject(self, err: RecordError) -> None:
        """Say why the upstream's records are refused (the metric only counts
        them): the first of each reason at once, then once a minute."""
        held = self._reject_log.due(err.reason, time.monotonic())
        if held is None:
            logger.debug("%s: record rejected: %s", self.name, err)
            return
        more = f" ({held} more {err.reason} since the last report)" if held else ""
        logger.warning("%s: record rejected: %s%s", self.name, err, more)

    def close(self) -> None:
        """Ask :meth:`run` to stop. Idempotent."""
        self._stopping.set()
