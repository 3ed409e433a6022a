"""Hub actions in gateway mode: admitted by the gateway, applied by the shard's worker.

In ``serve`` a client's action on ``host`` (claim, answer, dismiss, pin, ...)
or ``alerts`` (ack) is handled by the stage that owns the state
(:func:`roomwatch.compose.serve.attach_hub`). Behind Redis Streams that
state lives in the worker that owns the room's shard, so:

1. the gateway checks the message's shape and admits it through the same
   :class:`~roomwatch.authz.Gate` as ``serve`` (the authorisation table,
   field lengths, the per-token rate limit; refusals are audited there);
2. it appends a *control entry* (field ``e``: ``{"c": channel, "m":
   message, "u": actor, "a": key, "room": room}``) to the room's input
   shard, so the action takes its place in the room's sequence of records;
3. the owning worker applies it through the stage's own ``handle`` at that
   point (:meth:`roomwatch.streams.shard.ShardRun.process`), and writes the
   reply, the stage's events and the audit rows in the batch's output entry;
4. the gateway's fan-out publishes the events like any other, hands the
   audit rows to the store and the reply to the waiting client (``ack`` only
   once the audit row is committed, as in ``serve``).

A shard's new owner rebuilds its state from the stream's history, control
entries included, so a claim or an ack survives a take-over.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from roomwatch.authz import Authz, Gate, Refusal, RefusalLog
from roomwatch.config import Token
from roomwatch.core.errors import RecordError
from roomwatch.sinks.hub import ActionHandler, Client
from roomwatch.stages.replies import ack_action, host_action, refusal_reply
from roomwatch.streams.spool import SpoolFull

__all__ = [
    "CONTROL_CHANNELS",
    "ActionForwarder",
    "Control",
    "ForwardedActor",
    "TrustedGate",
    "decode_control",
    "encode_control",
]

logger = logging.getLogger(__name__)

#: The channels whose actions a gateway forwards (``stream``'s moderation runs only in serve).
CONTROL_CHANNELS: Final = ("host", "alerts")

#: Seconds a client waits for a worker to apply its action before a ``timeout`` error.
REPLY_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True, slots=True)
class Control:
    """One decoded control entry: a client's action on one of :data:`CONTROL_CHANNELS`."""

    id: str
    channel: str
    message: dict[str, Any]
    role: str
    label: str
    rooms: tuple[str, ...]
    #: The rooms the client chose to follow (``?rooms=``); None: all it may see.
    sees: tuple[str, ...] | None
    key: str


@dataclass(frozen=True, slots=True)
class ForwardedActor:
    """The acting client as the worker sees it: its token's role, label and rooms."""

    token: Token
    sees: frozenset[str] | None

    def wants(self, room: str | None) -> bool:
        if room is None:
            return True
        if not self.token.allows_room(room):
            return False
        return self.sees is None or room in self.sees

    @classmethod
    def of(cls, c: Control) -> ForwardedActor:
        token = Token(token="-", role=c.role, name=c.label, rooms=c.rooms)
        return cls(token, None if c.sees is None else frozenset(c.sees))


def encode_control(
    channel: str, message: Mapping[str, Any], client: Client, room: str, key: str
) -> dict[str, Any]:
    """A control entry's ``e`` object (see the module's docstring)."""
    token = client.token
    return {
        "c": channel,
        "m": dict(message),
        "u": {
            "role": token.role,
            "label": token.label,
            "rooms": list(token.rooms),
            "sees": None if client.rooms is None else sorted(client.rooms),
        },
        "a": key,
        "room": room,
    }


def decode_control(entry_id: str, raw: Mapping[str, Any]) -> Control | RecordError:
    try:
        channel = str(raw["c"])
        message = raw["m"]
        user = raw["u"]
        if channel not in CONTROL_CHANNELS:
            raise ValueError(f"channel {channel!r} takes no forwarded actions")
        if not isinstance(message, dict) or not isinstance(user, dict):
            raise ValueError("a control entry's message and actor are JSON objects")
        sees = user.get("sees")
        return Control(
            id=entry_id,
            channel=channel,
            message=message,
            role=str(user["role"]),
            label=str(user["label"]),
            rooms=tuple(str(r) for r in user.get("rooms", ("*",))),
            sees=None if sees is None else tuple(str(r) for r in sees),
            key=str(raw["a"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        return RecordError("malformed_entry", f"control entry {entry_id}: {exc!r}")


class TrustedGate(Gate):
    """The worker's gate: the gateway has admitted every action it forwards.

    Checking again here would be wrong, not only slow: the rate limit
    depends on the wall clock, so a shard's new owner replaying the
    history could refuse what the old owner applied.
    """

    def __init__(self) -> None:
        super().__init__(Authz(()), RefusalLog())

    def admit(self, token: Token, name: str, **_: Any) -> Refusal | None:
        return None


class ActionForwarder:
    """The gateway's action handlers for :data:`CONTROL_CHANNELS`, and their replies."""

    def __init__(
        self,
        gate: Gate,
        send: Callable[[str, dict[str, Any]], None],
        alert_room: Callable[[str], str | None],
        *,
        timeout_s: float = REPLY_TIMEOUT_S,
    ) -> None:
        #: ``send(room, control)`` appends a control entry to the room's shard.
        self._send = send
        self._alert_room = alert_room
        self.gate = gate
        self.timeout_s = timeout_s
        self._run = uuid.uuid4().hex[:12]
        self._seq = itertools.count()
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        #: Actions forwarded so far, and replies that came back too late.
        self.forwarded = 0
        self.late = 0

    def handler(self, channel: str) -> ActionHandler:
        async def run(client: Client, message: Mapping[str, Any]) -> dict[str, Any]:
            return await self.forward(channel, client, message)

        return run

    async def forward(
        self, channel: str, client: Client, message: Mapping[str, Any]
    ) -> dict[str, Any]:
        checked = self._check(channel, client, message)
        if isinstance(checked, dict):
            return checked
        room, action = checked
        key = f"{self._run}:{next(self._seq)}"
        future = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        try:
            self._send(room, encode_control(channel, message, client, room, key))
            self.forwarded += 1
            return await asyncio.wait_for(future, self.timeout_s)
        except SpoolFull as exc:
            logger.warning("gateway: refused a %s action: %s", channel, exc)
            return {"type": "error", "action": action, "error": "spool_full", "retry_after": 1}
        except TimeoutError:
            logger.warning("gateway: no worker applied %s action %s in time", channel, key)
            return {
                "type": "error",
                "action": action,
                "error": "timeout",
                "detail": "no worker applied the action in time; it may still apply, "
                "and its result would show on the channel",
            }
        finally:
            self._waiting.pop(key, None)

    def _check(
        self, channel: str, client: Client, message: Mapping[str, Any]
    ) -> tuple[str, Any] | dict[str, Any]:
        """The action's room and name, or the error reply (as the stage would give it)."""
        token = client.token
        if channel == "host":
            host = host_action(message)
            if isinstance(host, dict):
                return host
            action, room, item_id = host
            refusal = self.gate.admit(token, f"host.{action}", room=room, target=item_id)
            if refusal is not None:
                return refusal_reply(action, refusal, token.role)
            return room, action
        alert_id = ack_action(message)
        if isinstance(alert_id, dict):
            return alert_id
        refusal = self.gate.admit(token, "alerts.ack", target=alert_id)
        if refusal is not None:
            return refusal_reply("ack", refusal, token.role, detail=False)
        alert_room = self._alert_room(alert_id)
        if alert_room is None or not client.wants(alert_room):
            # Another room's alert is "not found": its id tells nothing.
            # (An alert the worker no longer holds is its own not_found.)
            return {"type": "error", "action": "ack", "error": "not_found"}
        return alert_room, "ack"

    def resolve(self, key: str, reply: dict[str, Any]) -> None:
        """A worker's reply (from the output stream) to the client that waits for it."""
        future = self._waiting.get(key)
        if future is None or future.done():
            self.late += 1
            return
        future.set_result(reply)
