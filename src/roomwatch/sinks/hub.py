"""The WebSocket hub: fan-out of pipeline messages to browser and bot clients.

Channels are ``host`` (the ranked question queue), ``moderator`` (flagged
verdicts), ``alerts`` and ``stream`` (the moderator dashboard: every comment
in per-batch frames, the review queue, room stats and moderation decisions).
Every published message gets a per-channel sequence number and is encoded at
most once, and only if some client needs it. Each client owns a bounded buffer and one relay
task, so a slow client never slows the pipeline: when its buffer is full it
loses its oldest messages (or is disconnected, by config) and the drop is
counted.

Wire protocol (all frames are JSON text):

* server → client, first: ``{"type": "hello", "channel", "seq", "epoch", "rooms", "role",
  "user", "resumed"}``
* then either the missed messages (``resumed`` true: the client asked to resume
  with ``?since=SEQ`` and the hub still holds them; it keeps its state) or a snapshot
  (``{"type": "snapshot", "seq", "room", ...}`` one per room, from the
  channel's snapshot provider), then live messages, each with ``seq``.
* client → server: ``{"action": ..., "ref": ...}`` handled by the channel's
  action handler; the reply (``{"type": "ack"|"error", "ref": ...}``) goes to
  that client only.
* ``{"type": "dropped", "count": N}`` tells a slow client it lost messages;
  it should reconnect with ``since`` or take the next snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from roomwatch.config import HubSettings, Token
from roomwatch.core.token_bucket import TokenBucket
from roomwatch.metrics import Metrics
from roomwatch.stages.replies import error_reply

__all__ = ["CHANNELS", "ActionHandler", "Client", "Hub", "SnapshotProvider"]

logger = logging.getLogger(__name__)

CHANNELS: Final = ("host", "moderator", "alerts", "stream")
#: Seconds a closed connection's relay may take to finish the send in flight.
_RELAY_GRACE_S: Final = 2.0

#: Returns the snapshot messages (without ``seq``) for the rooms a client sees.
SnapshotProvider = Callable[["Client"], Iterable[dict[str, Any]]]
#: Handles one client message; returns the reply (``type`` ack or error).
ActionHandler = Callable[["Client", Mapping[str, Any]], Awaitable[dict[str, Any]]]


def _dumps(message: Mapping[str, Any]) -> str:
    # orjson encodes a frame about 10x faster than json (5 µs instead of 50 µs
    # for a 20-comment stream batch), with the same compact output. It
    # refuses integers beyond 64 bits; json takes those.
    try:
        return orjson.dumps(message).decode()
    except orjson.JSONEncodeError:
        return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def _release(request: web.Request, ws: web.WebSocketResponse) -> None:
    """Let reference counting free a finished connection at once.

    Two reference cycles kept every closed connection's response, request
    and protocol alive until a full ``gc`` pass, and with clients that
    reconnect all day they piled up faster than the collector reached them
    (docs/reliability.md, the soak):

    - aiohttp 3.14 leaves the response's heartbeat reset
      (``_on_data_received``) on the protocol after the connection is lost;
    - the exception that ended the connection (kept as ``ws.exception()``,
      e.g. ``ClientConnectionResetError`` with an ``EofStream`` as its
      context) has a traceback whose frames hold the response.

    The hub is done with the connection here, so drop both links.
    ``tests/sinks/test_hub_release.py`` fails if an aiohttp upgrade brings a
    cycle back in another shape.
    """
    protocol = request.protocol
    if getattr(protocol, "_data_received_cb", None) is not None:
        protocol._data_received_cb = None
    exc = ws.exception()
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = None
        exc = exc.__context__


@dataclass(eq=False)
class Client:
    """One connected WebSocket client of one channel."""

    channel: str
    token: Token
    #: Rooms the client asked for (``None`` = every room its token allows).
    rooms: frozenset[str] | None
    maxlen: int
    ws: web.WebSocketResponse | None = None
    queue: deque[str] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: int = 0
    closing: bool = False
    #: The connection ended: the relay stops after the send in flight.
    ended: bool = False

    def wants(self, room: str | None) -> bool:
        if room is None:
            return True
        if not self.token.allows_room(room):
            return False
        return self.rooms is None or room in self.rooms

    def push(self, frame: str) -> bool:
        """Buffer ``frame``; return False if the buffer was full."""
        full = len(self.queue) >= self.maxlen
        self.queue.append(frame)
        if full:
            self.queue.popleft()
            self.dropped += 1
        self.wakeup.set()
        return not full


#: A published message: (seq, room, JSON text). A plain tuple of plain
#: values, which the garbage collector stops tracking (see _Channel).
_Frame = tuple[int, str | None, str]


class _Channel:
    __slots__ = ("buffer", "clients", "handler", "name", "seq", "snapshot")

    def __init__(self, name: str, resume: int) -> None:
        self.name = name
        self.seq = 0
        # Frames wait here for a client resuming with ?since=. They are kept
        # encoded, as plain tuples: message dicts and lists, or frame
        # objects, would be walked by every full garbage collection, which
        # stops the loop for ~1 us per tracked object; encoding costs a few
        # microseconds once.
        self.buffer: deque[_Frame] = deque(maxlen=resume)
        self.clients: set[Client] = set()
        self.snapshot: SnapshotProvider | None = None
        self.handler: ActionHandler | None = None

    def client_count(self) -> float:
        return len(self.clients)

    def buffered(self) -> float:
        return sum(len(c.queue) for c in self.clients)


class Hub:
    """Channels of sequenced messages and the clients that follow them."""

    def __init__(self, settings: HubSettings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._channels = {name: _Channel(name, settings.resume_buffer) for name in CHANNELS}
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._closed = False
        #: This process's id in every hello: a client resumes with ?since= only
        #: together with it (?epoch=), sequence numbers being per process.
        self.epoch = secrets.token_hex(4)
        #: Messages a client may send per second, and in a burst; past it
        #: the connection is closed with 1008 (limits.client_messages_*).
        self.message_rate: tuple[float, int] | None = None
        #: Awaited before an ``ack`` reply is sent (the service sets it to the
        #: store's flush), so an acknowledged action survives a crash.
        self.durable: Callable[[], Awaitable[None]] | None = None
        self._messages = {name: metrics.hub(name).received for name in CHANNELS}
        for ch in self._channels.values():
            metrics.hub_clients.labels(ch.name).set_function(ch.client_count)
            metrics.hub_client_queue_depth.labels(ch.name).set_function(ch.buffered)

    # -- wiring -----------------------------------------------------------

    def set_snapshot(self, channel: str, provider: SnapshotProvider) -> None:
        self._channels[channel].snapshot = provider

    def set_handler(self, channel: str, handler: ActionHandler) -> None:
        self._channels[channel].handler = handler

    def seq(self, channel: str) -> int:
        return self._channels[channel].seq

    def clients(self, channel: str) -> int:
        return len(self._channels[channel].clients)

    # -- publishing (sync, never blocks) ----------------------------------

    def publish(self, channel: str, room: str | None, message: dict[str, Any]) -> int:
        """Send ``message`` to every client of ``channel`` that sees ``room``.

        Adds ``seq`` and ``channel`` to the message; returns the sequence number.
        """
        ch = self._channels[channel]
        ch.seq += 1
        message["seq"] = ch.seq
        message["channel"] = channel
        if room is not None and "room" not in message:
            message["room"] = room
        text = _dumps(message)
        ch.buffer.append((ch.seq, room, text))
        self._messages[channel].inc()
        for client in tuple(ch.clients):
            if client.wants(room):
                self._deliver(client, text)
        return ch.seq

    def _deliver(self, client: Client, frame: str) -> None:
        if client.closing:
            return
        if len(client.queue) >= client.maxlen and self._settings.slow_client == "disconnect":
            client.closing = True
            self._metrics.hub(client.channel).discarded("disconnected").inc(len(client.queue) + 1)
            client.wakeup.set()
            return
        if not client.push(frame):
            self._metrics.hub(client.channel).discarded("oldest_dropped").inc()

    # -- serving one client -----------------------------------------------

    async def serve(
        self,
        request: web.Request,
        channel: str,
        token: Token,
        *,
        rooms: frozenset[str] | None,
        since: int | None,
        epoch: str | None = None,
    ) -> web.WebSocketResponse:
        """Upgrade ``request`` and relay ``channel`` to it until it closes.

        ``since`` from another process (``epoch`` not this hub's) is no place
        to resume from: sequence numbers start again in every process."""
        ch = self._channels[channel]
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
        await ws.prepare(request)
        if self._closed:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
            return ws
        client = Client(channel, token, rooms, self._settings.client_queue, ws=ws)
        self._sockets.add(ws)
        # From here to ch.clients.add there is no await, so no message can
        # slip between the snapshot (or the resumed backlog) and live frames.
        hello: dict[str, Any] = {
            "type": "hello",
            "channel": channel,
            "seq": ch.seq,
            "epoch": self.epoch,
            "role": token.role,
            "user": token.label,
            # Never echo a room the token can't see.
            "rooms": (
                sorted(r for r in rooms if token.allows_room(r))
                if rooms is not None
                else list(token.rooms)
            ),
        }
        if epoch is not None and epoch != self.epoch:
            since = None
        backlog = self._backlog(ch, client, since)
        # A resumed client keeps what it has: only the missed frames follow,
        # and its place stays at since until they arrive (were the connection
        # to drop before, it resumes from there again, missing nothing).
        hello["resumed"] = backlog is not None
        if backlog and since is not None:  # (none for its rooms: it is up to date)
            hello["seq"] = since
        client.queue.append(_dumps(hello))
        if backlog is None:
            for snap in ch.snapshot(client) if ch.snapshot else ():
                snap.setdefault("type", "snapshot")
                snap["seq"] = ch.seq
                snap["channel"] = channel
                client.queue.append(_dumps(snap))
        else:
            client.queue.extend(backlog)
        ch.clients.add(client)
        client.wakeup.set()
        relay = asyncio.create_task(self._relay(client, ws), name=f"hub-relay-{channel}")
        bucket = (
            TokenBucket.full(*self.message_rate, time.monotonic())
            if self.message_rate is not None
            else None
        )
        try:
            async for msg in ws:
                if bucket is not None and not bucket.take(time.monotonic()):
                    self._metrics.limit_exceeded.labels("client_messages_per_s").inc()
                    await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many messages")
                    break
                if msg.type == WSMsgType.ERROR:
                    # aiohttp has closed it with 1009; msg.data is the WebSocketError.
                    if getattr(msg.data, "code", None) == WSCloseCode.MESSAGE_TOO_BIG:
                        self._metrics.limit_exceeded.labels("client_frame_bytes").inc()
                    break
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(ch, client, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await ws.send_str(
                        _dumps({"type": "error", "error": "binary frames are not accepted"})
                    )
        finally:
            ch.clients.discard(client)
            # Let the relay finish its send rather than cancel it: aiohttp
            # sends a large compressed frame in a shielded task, and cancelling
            # the relay mid-send leaves that task to fail unobserved ("Task
            # exception was never retrieved") once the socket is gone.
            client.ended = True
            client.wakeup.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({relay}, timeout=_RELAY_GRACE_S)
            if not relay.done():
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay
            _release(request, ws)
        return ws

    def _backlog(self, ch: _Channel, client: Client, since: int | None) -> list[str] | None:
        """Frames after ``since`` for this client, or None if a snapshot is needed."""
        if since is None or since > ch.seq:
            return None
        if since == ch.seq:
            return []
        if not ch.buffer or ch.buffer[0][0] > since + 1:
            return None
        return [text for seq, room, text in ch.buffer if seq > since and client.wants(room)]

    async def _on_text(self, ch: _Channel, client: Client, data: str) -> None:
        try:
            message = json.loads(data)
            if not isinstance(message, dict):
                raise ValueError("a message must be a JSON object")
        except (ValueError, RecursionError) as exc:
            client.push(_dumps(error_reply(None, "bad_request", f"bad message: {exc}")))
            return
        ref = message.get("ref")
        action = message.get("action") if isinstance(message.get("action"), str) else None
        if ch.handler is None:
            reply = error_reply(action, "no_actions", f"channel {ch.name!r} takes no actions")
        else:
            try:
                reply = await ch.handler(client, message)
            except Exception:
                logger.exception("action handler for %s failed", ch.name)
                reply = error_reply(
                    action, "internal_error", "the action failed; see the server log"
                )
        if reply.get("type") == "ack" and self.durable is not None:
            try:
                await self.durable()
            except Exception:
                logger.exception("action on %s not made durable", ch.name)
                reply = error_reply(
                    reply.get("action"), "not_stored", "the action could not be saved"
                )
        if ref is not None:
            reply["ref"] = ref
        client.push(_dumps(reply))

    async def _relay(self, client: Client, ws: web.WebSocketResponse) -> None:
        reported = 0
        sent = self._metrics.hub(client.channel).sent
        try:
            while True:
                await client.wakeup.wait()
                client.wakeup.clear()
                if client.ended:
                    return
                if client.closing:
                    await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"client too slow")
                    return
                if client.dropped != reported:
                    await ws.send_str(
                        _dumps({"type": "dropped", "count": client.dropped - reported})
                    )
                    reported = client.dropped
                while client.queue and not client.ended:
                    await ws.send_str(client.queue.popleft())
                    sent.inc()
        except (ConnectionResetError, RuntimeError):
            # The peer went away mid-send; serve() notices and cleans up.
            return

    # -- shutdown ---------------------------------------------------------

    async def close(self, timeout: float = 5.0) -> None:
        """Close every client with GOING_AWAY, all at once, in at most ``timeout`` s. Idempotent.

        A client that stopped reading can't take the close frame (a send to it
        blocks); after ``timeout`` its connection is dropped instead.
        """
        if self._closed:
            return
        self._closed = True

        async def close_one(ws: web.WebSocketResponse) -> None:
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")

        closing = [asyncio.ensure_future(close_one(ws)) for ws in tuple(self._sockets)]
        if not closing:
            return
        _done, stuck = await asyncio.wait(closing, timeout=timeout)
        for task in stuck:
            task.cancel()
        if stuck:
            logger.warning("%d WebSocket clients did not take GOING_AWAY in time", len(stuck))
