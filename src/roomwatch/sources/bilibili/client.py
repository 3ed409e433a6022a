"""The ``bilibili`` source: a client of Bilibili's live danmaku WebSocket server.

One connection: send the enter-room packet (room id, optional uid/key/buvid,
protover 3) and wait for its reply, whose ``code`` must be 0; then send a
heartbeat every ``heartbeat_s`` seconds, whose reply carries the room's
popularity, and read command packets. The framing (:mod:`.codec`) and the
command mapping (:mod:`.commands`) are pure; this module only moves bytes.

* Mapped commands become records and go to the pipeline: malformed ones are
  rejected there (counted by reason, like any source's). Other commands,
  heartbeat and auth replies, malformed and unknown packets are counted in
  ``roomwatch_source_packets_total{source,outcome}``; malformed ones are
  logged too, and also counted as the source's errors. Nothing a server sends
  ends the source.
* The connection is given up on when it fails or closes, when the enter-room
  reply is refused or late, or when a heartbeat gets no reply before the next
  one is due; the source then reconnects under the shared
  :class:`~roomwatch.retry.RetryPolicy` (jittered exponential backoff,
  forever), like the ``websocket`` source.
* With ``api_url`` set (:mod:`.api`): the room id is resolved to the real
  one once (a short id such as 1 works; a failure is logged, counted as
  ``RoomNotResolved``, shown on ``/healthz`` and retried under the same
  policy), and before every connection the room's danmaku hosts and a fresh
  key are fetched (keys expire). The source stays on a host while it works
  and moves to the next one after a connection to it failed; when the API
  fails (``DanmuInfoError``), the configured ``url`` and ``key`` are used.
* The time without data (:mod:`.gap`) is observed in
  ``roomwatch_source_data_gap_seconds`` when data flows again; a gap that
  reaches ``gap_alert_s`` calls ``on_gap_alert`` (the composition root raises
  a ``system`` alert) and, when data is back, ``on_gap_resolved``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State

from roomwatch.config import BilibiliSourceSettings
from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.metrics import Metrics
from roomwatch.sources.bilibili.api import LiveApi
from roomwatch.sources.bilibili.codec import (
    MAX_PACKET_BYTES,
    Decoder,
    Op,
    Packet,
    PacketError,
    auth_code,
    auth_packet,
    heartbeat_packet,
)
from roomwatch.sources.bilibili.commands import Ignored, Malformed, to_record
from roomwatch.sources.bilibili.endpoints import ApiError, HostRing, scheme_and_path
from roomwatch.sources.bilibili.gap import Gap, GapWatch
from roomwatch.sources.protocol import CommentSink
from roomwatch.sources.reconnect import Ended, Reconnects, mark_restarting, run_session
from roomwatch.sources.supervise import SourceState
from roomwatch.sources.timebound import UNSTAMPED
from roomwatch.sources.websocket import Backoff

__all__ = [
    "OUTCOMES",
    "BilibiliSource",
    "EnterRoomRefused",
    "EnterRoomTimeout",
    "HeartbeatTimeout",
    "RoomNotResolved",
]

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: The ``outcome`` label values of ``roomwatch_source_packets_total``.
OUTCOMES: Final = (
    "record",
    "ignored",
    "heartbeat_reply",
    "auth_reply",
    "malformed",
    "unknown_operation",
    "truncated",
)
#: Largest WebSocket frame read (a frame holds whole packets, or pieces of one).
MAX_FRAME_BYTES: Final = MAX_PACKET_BYTES


class EnterRoomRefused(Ended):
    """The enter-room reply's code was not 0 (counted under this name)."""


class EnterRoomTimeout(Ended):
    """No enter-room reply within ``auth_timeout_s``."""


class HeartbeatTimeout(Ended):
    """A heartbeat still had no reply when the next one was due."""


class RoomNotResolved(Ended):
    """The API could not say which room ``room_id`` is (retried like a lost connection)."""


@dataclass(slots=True)
class BilibiliSource:
    settings: BilibiliSourceSettings
    metrics: Metrics
    backoff: Backoff | None = None
    #: Called with a message when a gap in the feed reaches ``gap_alert_s``.
    on_gap_alert: Callable[[str], None] | None = None
    #: Called when data flows again after a gap that raised an alert.
    on_gap_resolved: Callable[[], None] | None = None
    #: Where ``/healthz`` reads this source's state (set by the wiring).
    health: SourceState | None = None
    #: The wall clock, for the gap (seconds; injected in tests).
    clock: Callable[[], float] = time.monotonic
    #: Connections made, and the room's popularity from the last heartbeat reply.
    connections: int = 0
    popularity: int | None = None
    #: The room's real id, once resolved (``room_id`` itself without the API).
    real_room_id: int | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _gap: GapWatch = field(init=False)
    _reconnects: Reconnects = field(init=False)
    _api: LiveApi | None = field(init=False, default=None)
    _hosts: HostRing = field(init=False, default_factory=HostRing)
    #: Whether the connection under way has received data (a host that never
    #: did is given up for the next one).
    _got_data: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        s = self.settings
        self._gap = GapWatch(s.gap_alert_s)
        where = f"room {s.room_id}'s danmaku hosts" if s.api_url else s.url
        self._reconnects = Reconnects(self.name, where, logger)
        if s.api_url:
            self._api = LiveApi(s.api_url, s.api_timeout_s, s.cookie)
        else:
            self.real_room_id = s.room_id
        if self.backoff is None:
            self.backoff = Backoff(
                self.settings.backoff_initial_s, self.settings.backoff_max_s, random.Random()
            )

    @property
    def name(self) -> str:
        return self.settings.source_name

    @property
    def room(self) -> str:
        return self.settings.room_name

    # -- the reconnect loop ------------------------------------------------------

    async def run(self, sink: CommentSink) -> None:
        """Connect, read, reconnect; returns only after :meth:`close`."""
        assert self.backoff is not None
        self._gap.start(self.clock())
        try:
            self._reconnects.health = self.health
            await self._reconnects.run(
                self.backoff.policy,
                self.backoff.rng.random,
                lambda: self._connect(sink),
                stopping=self._stopping,
                pause=self._pause,
            )
        finally:
            if self._api is not None:
                await self._api.close()

    def close(self) -> None:
        """Ask :meth:`run` to stop. Idempotent."""
        self._stopping.set()

    async def _pause(self, delay: float) -> None:
        """Wait ``delay`` seconds before reconnecting (less if closed), watching the gap."""
        loop = asyncio.get_running_loop()
        end = loop.time() + delay
        while not self._stopping.is_set():
            self._check_gap()
            left = end - loop.time()
            if left <= 0:
                return
            # Wake up in time to raise the gap alert while still waiting.
            until_alert = self._gap.last_data + self.settings.gap_alert_s - self.clock()
            step = left if self._gap.alerted or until_alert <= 0 else min(left, until_alert)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), max(step, 0.001))

    # -- one connection ----------------------------------------------------------

    async def _connect(self, sink: CommentSink) -> None:
        """One connection, read to its end: returns when closing, else raises :class:`Ended`."""
        if self._stopping.is_set():
            return
        try:
            target = await self._target()
        except RoomNotResolved:
            self._check_gap()
            raise
        if target is None:  # closed while asking the API
            return
        connected = self.metrics.source_connected.labels(self.name)
        decoder = Decoder()
        self._got_data = False
        try:
            async with connect(
                target.url,
                max_size=MAX_FRAME_BYTES,
                open_timeout=10,
                compression=None,
            ) as ws:
                self.connections += 1
                connected.set(1)
                logger.info("%s: connected to %s", self.name, target.url)
                await run_session(ws, self._session(ws, decoder, sink, target))
                reason = "the server closed the connection"
        except asyncio.CancelledError:
            raise
        except Ended as exc:
            reason = str(exc)
            self._error(type(exc).__name__)
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            self._error(type(exc).__name__)
        except Exception as exc:
            # Never die silently: log with the traceback, count, reconnect.
            logger.exception("%s: unexpected error", self.name)
            reason = f"{type(exc).__name__}: {exc}"
            self._error(type(exc).__name__)
            self.metrics.source_restarts.labels(self.name).inc()
            mark_restarting(self.health, reason)
        finally:
            connected.set(0)
            if decoder.pending:
                # The connection dropped inside a packet: that packet is lost.
                self._count("truncated")
                logger.warning(
                    "%s: connection ended inside a packet (%d bytes dropped)",
                    self.name,
                    decoder.pending,
                )
        if target.from_api and not self._got_data:
            self._hosts.failed()  # the next connection tries the API's next host
        self._gap.lost()
        self._check_gap()
        if self._stopping.is_set():
            return
        raise Ended(reason)

    async def _session(
        self, ws: ClientConnection, decoder: Decoder, sink: CommentSink, target: _Target
    ) -> None:
        """Enter the room, then read and beat until the connection ends or the source closes."""
        loop = asyncio.get_running_loop()
        s = self.settings
        await ws.send(auth_packet(target.room_id, uid=s.uid, key=target.key, buvid=s.buvid))
        state = _Session(deadline=loop.time() + s.auth_timeout_s)
        stop = asyncio.ensure_future(self._stopping.wait())
        recv: asyncio.Future[Any] | None = None
        try:
            while True:
                if recv is None:
                    recv = asyncio.ensure_future(ws.recv())
                timeout = max(0.0, state.deadline - loop.time())
                done, _ = await asyncio.wait(
                    {recv, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if stop in done:
                    return
                got_frame = recv in done
                if got_frame:
                    try:
                        frame = recv.result()
                    except websockets.exceptions.ConnectionClosedOK:
                        return
                    recv = None
                    for packet in self._decode(frame, decoder):
                        await self._handle(packet, state, sink)
                        if state.beat_now:
                            state.beat_now = False
                            await _send(ws, heartbeat_packet())
                            state.deadline = loop.time() + s.heartbeat_s
                # Past the deadline, act once the frames already received are
                # read (one may be the late reply), or a whole interval late.
                now = loop.time()
                if now >= state.deadline and (
                    not got_frame or now >= state.deadline + s.heartbeat_s
                ):
                    if not state.entered:
                        raise EnterRoomTimeout(f"no enter-room reply within {s.auth_timeout_s:g} s")
                    if state.awaiting_reply:
                        raise HeartbeatTimeout(f"no heartbeat reply within {s.heartbeat_s:g} s")
                    await _send(ws, heartbeat_packet())
                    state.awaiting_reply = True
                    state.deadline = loop.time() + s.heartbeat_s
        finally:
            stop.cancel()
            if recv is not None and not recv.done():
                recv.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await recv

    def _decode(self, frame: str | bytes, decoder: Decoder) -> list[Packet | PacketError]:
        if isinstance(frame, str):
            return [PacketError("not_binary", "a text frame; the protocol is binary")]
        return decoder.feed(frame)

    async def _handle(
        self, packet: Packet | PacketError, state: _Session, sink: CommentSink
    ) -> None:
        if isinstance(packet, PacketError):
            self._malformed(packet.reason, str(packet))
            return
        # Commands and heartbeat replies are the feed's data (a quiet room
        # still answers heartbeats); an enter-room reply alone is not.
        if packet.op == Op.COMMAND:
            self._data()
            await self._command(packet, sink)
        elif packet.op == Op.HEARTBEAT_REPLY:
            self._data()
            self._count("heartbeat_reply")
            state.awaiting_reply = False
            self.popularity = packet.popularity()
        elif packet.op == Op.AUTH_REPLY:
            self._count("auth_reply")
            code = auth_code(packet)
            if code != 0:
                raise EnterRoomRefused(
                    f"the server refused to enter room {self.real_room_id} (code {code})"
                )
            if not state.entered:
                state.entered = True
                state.beat_now = True  # the first heartbeat goes at once
                state.awaiting_reply = True
                logger.info("%s: entered room %s", self.name, self.real_room_id)
        else:
            self._count("unknown_operation")
            logger.debug("%s: packet with unknown operation %d ignored", self.name, packet.op)

    async def _command(self, packet: Packet, sink: CommentSink) -> None:
        try:
            body = packet.json()
        except ValueError as exc:
            self._malformed("bad_json", f"a command that is not JSON: {exc}")
            return
        # Old servers sent an array of commands in one packet.
        for command in body if isinstance(body, list) else [body]:
            mapped = to_record(command, self.room)
            if isinstance(mapped, Ignored):
                self._count("ignored")
                continue
            if isinstance(mapped, Malformed):
                self._malformed("bad_command", mapped.message)
                continue
            self._count("record")
            try:
                comment = Comment.from_dict(mapped, received_at=UNSTAMPED)
            except RecordError as error:
                logger.debug("%s: record rejected: %s", self.name, error)
                await sink.reject(error, self.name, "")
                continue
            await sink.put(comment, self.name)

    # -- where to connect ---------------------------------------------------------

    async def _target(self) -> _Target | None:
        """Where the next connection goes and with which key; None if closed meanwhile."""
        s = self.settings
        if self._api is None:
            return _Target(s.url, s.key, s.room_id)
        room_id = await self._resolved_room(self._api)
        if room_id is None:
            return None
        scheme, path = scheme_and_path(s.url)
        try:
            info = await self._unless_closed(self._api.danmu_info(room_id, scheme, path))
        except ApiError as exc:
            self._error("DanmuInfoError")
            logger.warning(
                "%s: no danmaku hosts from the API (%s); connecting to %s", self.name, exc, s.url
            )
            return _Target(s.url, s.key, room_id)
        if info is None:
            return None
        # The API's key belongs to whoever asked: without the account's cookie
        # that is an anonymous visitor, whose key a logged-in uid can't use.
        key = info.token if s.cookie or not s.uid or not s.key else s.key
        return _Target(self._hosts.pick(info.urls), key, room_id, from_api=True)

    async def _resolved_room(self, api: LiveApi) -> int | None:
        """The room's real id: asked once, then remembered."""
        if self.real_room_id is not None:
            return self.real_room_id
        s = self.settings
        if not s.resolve_room:
            self.real_room_id = s.room_id
            return s.room_id
        try:
            real = await self._unless_closed(api.room_id(s.room_id))
        except ApiError as exc:
            reason = f"cannot resolve room {s.room_id}: {exc}"
            self._error("RoomNotResolved")
            logger.error("%s: %s", self.name, reason)
            if self.health is not None:
                self.health.enter("restarting", reason)
            raise RoomNotResolved(reason) from None
        if real is None:
            return None
        self.real_room_id = real
        if real != s.room_id:
            logger.info("%s: room %d is room %d", self.name, s.room_id, real)
        return real

    async def _unless_closed(self, work: Awaitable[T]) -> T | None:
        """``work``'s result, or None as soon as the source is closed."""
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        return None if task.cancelled() else task.result()

    # -- counting ----------------------------------------------------------------

    def _count(self, outcome: str) -> None:
        self.metrics.source_packets.labels(self.name, outcome).inc()

    def _error(self, error_type: str) -> None:
        self.metrics.source(self.name).errors(error_type).inc()

    def _malformed(self, reason: str, message: str) -> None:
        self._count("malformed")
        self._error("PacketError")
        logger.warning("%s: malformed packet skipped (%s): %s", self.name, reason, message[:300])

    def _data(self) -> None:
        """Data arrived: the upstream is healthy (the next reconnect waits as if it were
        the first); a gap under way ends."""
        self._got_data = True
        self._reconnects.data_arrived()
        ended = self._gap.data(self.clock())
        if ended is not None:
            self._gap_ended(ended)

    def _gap_ended(self, gap: Gap) -> None:
        self.metrics.source_gap_seconds.labels(self.name).observe(gap.seconds)
        if gap.seconds >= 1.0:
            logger.info("%s: data flows again after %.1f s without", self.name, gap.seconds)
        if gap.alerted and self.on_gap_resolved is not None:
            self.on_gap_resolved()

    def _check_gap(self) -> None:
        seconds = self._gap.due(self.clock())
        if seconds is None:
            return
        message = (
            f"{self.name}: no data from room {self.settings.room_id} for {seconds:.1f} s "
            "(reconnecting)"
        )
        logger.error("%s", message)
        if self.on_gap_alert is not None:
            self.on_gap_alert(message)


async def _send(ws: ClientConnection, data: bytes) -> None:
    """Send, unless the connection is closing: frames that arrived before the close are
    still read (the next ``recv`` drains them, then reports the close)."""
    if ws.state is not State.OPEN:
        # (send() on a closing connection would wait for it to close.)
        return
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
        await ws.send(data)


@dataclass(frozen=True, slots=True)
class _Target:
    """One connection's server, key and (real) room id."""

    url: str
    key: str
    room_id: int
    #: From the API's host list (a failure moves on to its next host).
    from_api: bool = False


@dataclass(slots=True)
class _Session:
    """Where one connection stands: entered the room, a heartbeat in flight, when to act next."""

    deadline: float
    entered: bool = False
    awaiting_reply: bool = False
    beat_now: bool = False
