"""The gateway's side of the output stream: to clients, webhooks and the store.

The gateway reads ``<prefix>:out`` through its own consumer group
(``gateway``) and acknowledges an entry once it has handed it on: stage
events go to :meth:`Hub.publish` exactly as ``serve``'s graph sends them,
alert events to the alert listeners (webhooks, the store), client actions'
audit rows to the store and their replies to the clients that wait for them
(:mod:`roomwatch.streams.actions`), and the rooms'
views replace what :class:`Views` serves as each channel's snapshot to a
client that connects.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from typing import Any, Final

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomwatch.core.alerts import Alert, AlertEvent
from roomwatch.core.queue.entry import LIVE
from roomwatch.sinks.hub import Client, Hub

__all__ = ["OUT_GROUP", "Fanout", "Views"]

logger = logging.getLogger(__name__)

OUT_GROUP: Final = "gateway"
#: Alerts whose room the gateway remembers after they resolve (to route an ack).
ALERT_ROOMS_KEPT: Final = 10_000


class Views:
    """What a client that connects gets as each channel's snapshot.

    Kept from the events the gateway publishes (so it is never behind
    them), and replaced by the snapshots the workers send now and then
    (``views`` in an output entry), which set it right if an event was
    missed: ``host`` (a room's live queue items and order), ``alerts`` (a
    room's open alerts) and ``moderator`` (a room's latest ``backlog``
    flagged verdicts, as the flag stage keeps them).
    """

    def __init__(self, backlog: int = 200) -> None:
        self._host: dict[str, tuple[dict[str, dict[str, Any]], list[str]]] = {}
        self._alerts: dict[str, dict[str, dict[str, Any]]] = {}
        self._backlog = backlog
        self._flagged: dict[str, deque[dict[str, Any]]] = {}
        self._alert_rooms: OrderedDict[str, str] = OrderedDict()

    def event(self, channel: str, room: str | None, message: dict[str, Any]) -> None:
        if room is None:
            return
        kind = message.get("type")
        if channel == "moderator" and kind == "verdict":
            recent = self._flagged.get(room)
            if recent is None:
                recent = self._flagged[room] = deque(maxlen=self._backlog)
            recent.append(message["verdict"])
        elif channel == "host":
            items, order = self._host.setdefault(room, ({}, []))
            if kind in ("added", "updated") and isinstance(message.get("item"), dict):
                item = message["item"]
                if item.get("state") in LIVE:
                    items[item["id"]] = item
                else:
                    items.pop(item["id"], None)
            elif kind == "removed":
                items.pop(str(message.get("id")), None)
            elif kind == "reordered":
                order[:] = list(message.get("order", ()))
        elif channel == "alerts" and isinstance(message.get("alert"), dict):
            alert = message["alert"]
            held = self._alerts.setdefault(room, {})
            self._seen_alert(str(alert.get("id")), room)
            if kind == "resolve":
                held.pop(alert.get("id"), None)
            else:
                held[alert["id"]] = alert

    def alert_room(self, alert_id: str) -> str | None:
        """The room of an alert the gateway has seen (where its ack goes).

        Resolved alerts too (the last :data:`ALERT_ROOMS_KEPT`): ``serve``
        takes an ack of a recently resolved alert, and the worker that owns
        the room decides, as the stage does there.
        """
        room = self._alert_rooms.get(alert_id)
        if room is not None:
            return room
        for room, held in self._alerts.items():
            if alert_id in held:
                return room
        return None

    def _seen_alert(self, alert_id: str, room: str) -> None:
        rooms = self._alert_rooms
        rooms[alert_id] = room
        rooms.move_to_end(alert_id)
        if len(rooms) > ALERT_ROOMS_KEPT:
            rooms.popitem(last=False)

    def restore_alerts(self, alerts: Iterable[dict[str, Any]]) -> int:
        """Hold ``alerts`` (the store's open ones) until a room's view replaces them."""
        n = 0
        for a in alerts:
            room = str(a.get("room", ""))
            alert_id = a.get("id")
            if room and alert_id and alert_id not in self._alerts.get(room, {}):
                self._alerts.setdefault(room, {})[alert_id] = a
                self._seen_alert(str(alert_id), room)
                n += 1
        return n

    def update(self, views: dict[str, dict[str, Any]]) -> None:
        for room, view in views.get("host", {}).items():
            if view:
                items = {i["id"]: i for i in view.get("items", ())}
                self._host[room] = (items, list(view.get("order", ())))
            else:
                self._host.pop(room, None)
        for room, alerts in views.get("alerts", {}).items():
            self._alerts[room] = {a["id"]: a for a in alerts or ()}
            for a in alerts or ():
                self._seen_alert(a["id"], room)

    def host(self, client: Client) -> Iterable[dict[str, Any]]:
        return [
            {"type": "snapshot", "room": room, "items": list(items.values()), "order": list(order)}
            for room, (items, order) in sorted(self._host.items())
            if items and client.wants(room)
        ]

    def moderator(self, client: Client) -> Iterable[dict[str, Any]]:
        return [
            {"type": "snapshot", "room": room, "verdicts": list(recent)}
            for room, recent in self._flagged.items()
            if client.wants(room)
        ]

    def alerts(self, client: Client) -> Iterable[dict[str, Any]]:
        alerts = [
            a
            for room, held in sorted(self._alerts.items())
            if client.wants(room)
            for a in held.values()
        ]
        return [{"type": "snapshot", "alerts": alerts}]

    def attach(self, hub: Hub) -> None:
        hub.set_snapshot("host", self.host)
        hub.set_snapshot("moderator", self.moderator)
        hub.set_snapshot("alerts", self.alerts)


class Fanout:
    def __init__(
        self,
        redis: Redis,
        stream: str,
        hub: Hub,
        views: Views,
        alert_listeners: list[Callable[[AlertEvent], object]],
        *,
        consumer: str = "gateway",
    ) -> None:
        self.redis = redis
        self.stream = stream
        self.hub = hub
        self.views = views
        self.alert_listeners = alert_listeners
        self.consumer = consumer
        #: Audit rows of the client actions workers applied (``Store.submit_audit``'s keywords).
        self.audit_listeners: list[Callable[..., object]] = []
        #: Who reads each entry's verdicts (``[key, verdict dict]`` rows): the
        #: moderation stage at the gateway (:mod:`roomwatch.streams.review`).
        self.verdict_listeners: list[Callable[[list[Any]], object]] = []
        #: Where a worker's reply to a client action goes (``ActionForwarder.resolve``).
        self.on_reply: Callable[[str, dict[str, Any]], None] | None = None
        #: Verdicts handed on so far.
        self.verdicts = 0
        self.entries = 0

    async def run(self) -> None:
        backoff = 0.05
        created = False
        pending_first = True
        while True:
            try:
                if not created:
                    try:
                        await self.redis.xgroup_create(
                            self.stream, OUT_GROUP, id="0", mkstream=True
                        )
                    except RedisError as exc:
                        if "BUSYGROUP" not in str(exc):
                            raise
                    created = True
                got = await self.redis.xreadgroup(
                    OUT_GROUP,
                    self.consumer,
                    {self.stream: "0" if pending_first else ">"},
                    count=200,
                    block=None if pending_first else 500,
                )
                entries = got[0][1] if got else []
                if pending_first and not entries:
                    pending_first = False
                    continue
                ids = []
                for entry_id, fields in entries:
                    ids.append(entry_id)
                    if fields:
                        self.handle(fields.get(b"d") or fields.get("d"))
                if ids:
                    await self.redis.xack(self.stream, OUT_GROUP, *ids)
                backoff = 0.05
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                created = "NOGROUP" not in str(exc) and created
                pending_first = True
                logger.warning("gateway: reading %s failed: %r", self.stream, exc)
                await asyncio.sleep(backoff)
                backoff = min(2.0, backoff * 2)

    def handle(self, data: bytes | str | None) -> None:
        """Hand one output entry on; a malformed one is logged and skipped."""
        try:
            payload = orjson.loads(data or "{}")
            events = payload.get("events", ())
            alerts = payload.get("alerts", ())
            views = payload.get("views", {})
            audit = payload.get("audit", ())
            replies = payload.get("replies", ())
            verdicts = payload.get("verdicts", ())
        except (ValueError, AttributeError, orjson.JSONDecodeError) as exc:
            logger.error("gateway: a malformed output entry: %r", exc)
            return
        self.entries += 1
        self.verdicts += len(verdicts)
        publish = self.hub.publish
        note = self.views.event
        for channel, room, message in events:
            publish(channel, room, message)
            note(channel, room, message)
        # After the stages' events, as serve's pipeline feeds moderation last.
        if verdicts:
            for read in self.verdict_listeners:
                try:
                    read(verdicts)
                except Exception:
                    logger.exception("verdict listener %r failed", read)
        for raw in alerts:
            event = AlertEvent(
                kind=raw["type"],
                alert=Alert.from_dict(raw["alert"]),
                ts=float(raw["ts"]),
                escalated=bool(raw.get("escalated")),
                actor=raw.get("actor"),
            )
            for listener in self.alert_listeners:
                try:
                    listener(event)
                except Exception:
                    logger.exception("alert listener %r failed", listener)
        self.views.update(views)
        # Audit rows before replies: an ``ack`` waits for its row to be committed.
        for row in audit:
            for sink in self.audit_listeners:
                try:
                    sink(**row)
                except Exception:
                    logger.exception("audit listener %r failed", sink)
        if self.on_reply is not None:
            for key, reply in replies:
                self.on_reply(str(key), reply)
