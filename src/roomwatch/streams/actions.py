"""Hub actions in gateway mode: admitted by the gateway, applied by the shard's worker.

In ``serve`` a client's action on ``host`` (claim, answer, dismiss, pin, ...)
or ``alerts`` (ack) is handled by the stage that owns the state
(:func:`roomwatch.compose.serve.attach_hub`). Behind Redis Streams that
state lives in the worker that owns the room's shard, so:

1. the gateway checks the message's shape and admits it through the same
   :class:`~roomwatch.authz.Gate` as ``serve`` (the authorisation table,
   field lengths, the per-token rate limit; refusals are audited there);
2. it appends a *control entry* to the room's input shard, so the action
   takes its place in the room's sequence of records. Its field ``e`` is
   ``{"c": channel, "p": payload, "h": signature}``: ``payload`` is the JSON
   text of ``{"c": channel, "m": message, "u": actor, "a": key, "room":
   room, "g": gateway}`` and ``signature`` its HMAC-SHA256 under
   ``streams.action_secret`` (hex). A worker applies only an entry whose
   signature it can check (:class:`ControlCheck`): anyone who can write to
   Redis can add entries, but only a holder of the secret can act for a
   role. The others go to the dead letters, counted;
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
import hashlib
import hmac
import itertools
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson

from roomwatch.authz import Authz, Gate, Refusal, RefusalLog
from roomwatch.config import Token
from roomwatch.config.streams import MIN_SECRET_CHARS
from roomwatch.core.errors import RecordError
from roomwatch.metrics import StreamMetrics
from roomwatch.sinks.hub import ActionHandler, Client
from roomwatch.stages.replies import ack_action, error_reply, host_action, refusal_reply
from roomwatch.streams.spool import SpoolFull

if TYPE_CHECKING:
    from roomwatch.config import StreamsSettings

__all__ = [
    "CONTROL_CHANNELS",
    "MIN_SECRET_CHARS",
    "ActionForwarder",
    "Control",
    "ControlCheck",
    "ForwardedActor",
    "MissingSecret",
    "TrustedGate",
    "action_secret",
    "decode_control",
    "encode_control",
    "sign",
]

logger = logging.getLogger(__name__)

#: The channels whose actions a gateway forwards to the workers (``stream``'s
#: moderation stage runs at the gateway itself, :mod:`roomwatch.streams.review`).
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
    #: The gateway that admitted it (its lease holder's name).
    gateway: str = ""
    #: The signed JSON text and its signature ("" when the entry had none).
    payload: str = ""
    signature: str = ""


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
    channel: str,
    message: Mapping[str, Any],
    client: Client,
    room: str,
    key: str,
    *,
    gateway: str,
    secret: str,
) -> dict[str, Any]:
    """A control entry's ``e`` object, signed (see the module's docstring)."""
    token = client.token
    payload = dumps(
        {
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
            "g": gateway,
        }
    )
    return {"c": channel, "p": payload, "h": sign(secret, payload)}


def dumps(value: Any) -> str:
    """Compact JSON (as :func:`roomwatch.streams.layout.dumps`, which imports this module)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits: json takes it
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sign(secret: str, payload: str) -> str:
    """HMAC-SHA256 of ``payload`` under ``secret``, in hex."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def decode_control(entry_id: str, raw: Mapping[str, Any]) -> Control | RecordError:
    """A control entry as a worker reads it; its signature is checked by :class:`ControlCheck`.

    An entry without ``p`` (the fields in the open, as before actions were
    signed) decodes with no signature, so the check refuses it.
    """
    try:
        payload = raw.get("p")
        body: Mapping[str, Any] = raw
        if payload is not None:
            payload = str(payload)
            body = orjson.loads(payload)
            if not isinstance(body, dict):
                raise ValueError("a control entry's payload is a JSON object")
            if body.get("c") != raw.get("c"):
                raise ValueError("the channel outside the payload is not the one inside")
        channel = str(body["c"])
        message = body["m"]
        user = body["u"]
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
            key=str(body["a"]),
            gateway=str(body.get("g", "")),
            payload=payload or "",
            signature=str(raw.get("h") or ""),
        )
    except (KeyError, ValueError, TypeError, orjson.JSONDecodeError) as exc:
        return RecordError("malformed_entry", f"control entry {entry_id}: {exc!r}")


def action_secret(settings: StreamsSettings, role: str) -> str:
    """``streams.action_secret``, or a clear error: no role starts without it."""
    secret = settings.action_secret
    if len(secret) < MIN_SECRET_CHARS:
        what = "is not set" if not secret else f"has {len(secret)} characters"
        raise MissingSecret(
            f"roomwatch {role}: streams.action_secret {what}; the gateway signs client "
            f"actions with it and the workers check them, so both need the same secret of "
            f"at least {MIN_SECRET_CHARS} characters: set ROOMWATCH_ACTION_SECRET in the "
            "environment (or streams.action_secret; docs/streams.md, 'Signed actions')"
        )
    return secret


class MissingSecret(RuntimeError):
    """``streams.action_secret`` is not set (or too short): the role must not start."""


class ControlCheck:
    """A worker's check of a control entry's signature; refusals are counted.

    ``check(control)`` is the control, or a :class:`RecordError` (reason
    ``unsigned`` or ``bad_signature``) that sends the entry to the dead letters.
    """

    def __init__(self, secret: str, streams: StreamMetrics | None = None) -> None:
        self._secret = secret
        self._refused = streams.control_refused if streams is not None else None
        #: Entries refused so far.
        self.refused = 0

    def __call__(self, c: Control) -> Control | RecordError:
        if not c.signature or not c.payload:
            return self._refuse("unsigned", c)
        if not hmac.compare_digest(sign(self._secret, c.payload), c.signature):
            return self._refuse("bad_signature", c)
        return c

    def _refuse(self, reason: str, c: Control) -> RecordError:
        self.refused += 1
        if self._refused is not None:
            self._refused.labels(reason).inc()
        logger.warning(
            "a %s action (entry %s) is %s: sent to the dead letters",
            c.channel,
            c.id,
            "unsigned" if reason == "unsigned" else "badly signed",
        )
        return RecordError(reason, f"control entry {c.id}: {reason.replace('_', ' ')}")


class TrustedGate(Gate):
    """The worker's gate: the gateway has admitted every action it forwards,
    and signed it (:class:`ControlCheck` drops what it did not sign first).

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
        gateway: str,
        secret: str,
        timeout_s: float = REPLY_TIMEOUT_S,
    ) -> None:
        #: ``send(room, control)`` appends a control entry to the room's shard.
        self._send = send
        self._alert_room = alert_room
        self.gate = gate
        self.timeout_s = timeout_s
        #: This gateway's name, in every control entry it signs.
        self.gateway = gateway
        self._secret = secret
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
            entry = encode_control(
                channel, message, client, room, key, gateway=self.gateway, secret=self._secret
            )
            self._send(room, entry)
            self.forwarded += 1
            return await asyncio.wait_for(future, self.timeout_s)
        except SpoolFull as exc:
            logger.warning("gateway: refused a %s action: %s", channel, exc)
            return error_reply(action, "spool_full", str(exc), retry_after=1)
        except TimeoutError:
            logger.warning("gateway: no worker applied %s action %s in time", channel, key)
            return error_reply(
                action,
                "timeout",
                "no worker applied the action in time; it may still apply, "
                "and its result would show on the channel",
            )
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
            return error_reply("ack", "not_found")
        return alert_room, "ack"

    def resolve(self, key: str, reply: dict[str, Any]) -> None:
        """A worker's reply (from the output stream) to the client that waits for it."""
        future = self._waiting.get(key)
        if future is None or future.done():
            self.late += 1
            return
        future.set_result(reply)
