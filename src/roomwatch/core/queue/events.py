"""What the queue hands out: item views, wire events, action results and audit records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "ACTIONS",
    "EVENT_TYPES",
    "STATES",
    "ActionResult",
    "AuditRecord",
    "Item",
    "QueueEvent",
]

STATES: Final = ("open", "claimed", "answered", "dismissed")
EVENT_TYPES: Final = ("added", "updated", "removed", "reordered")
ACTIONS: Final = ("claim", "unclaim", "answer", "dismiss", "pin", "unpin")


@dataclass(frozen=True, slots=True)
class Item:
    """One folded question as the host sees it."""

    id: str
    room: str
    #: The representative wording: the most common one (first seen on ties).
    text: str
    #: Up to three other wordings, most common first.
    wordings: tuple[str, ...]
    #: Asks, repeats included.
    count: int
    #: Distinct askers (exact up to ``max_askers``, estimated beyond).
    askers: int
    #: Asks that arrived after the item was answered or dismissed.
    asked_again: int
    first_seen: float
    last_seen: float
    slots: Mapping[str, str]
    intent: str
    aspect: str
    state: str
    score: float
    pinned: bool
    claimed_by: str | None
    closed_by: str | None
    closed_at: float | None
    paid_total: float
    max_level: int
    #: Why it ranks where it does, in Chinese and in English.
    why: str
    why_en: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "room": self.room,
            "text": self.text,
            "wordings": list(self.wordings),
            "count": self.count,
            "askers": self.askers,
            "asked_again": self.asked_again,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "slots": dict(self.slots),
            "intent": self.intent,
            "aspect": self.aspect,
            "state": self.state,
            "score": self.score,
            "pinned": self.pinned,
            "claimed_by": self.claimed_by,
            "closed_by": self.closed_by,
            "closed_at": self.closed_at,
            "paid_total": self.paid_total,
            "max_level": self.max_level,
            "why": self.why,
            "why_en": self.why_en,
        }


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """One change for the wire. The hub adds the sequence number.

    ``added`` / ``updated`` carry ``item``; ``removed`` carries ``item_id`` and
    ``reason`` (``idle``, ``answered``, ``dismissed`` or ``evicted``);
    ``reordered`` carries ``order``, the ids of the top items, best first.
    """

    type: str
    room: str
    item: Item | None = None
    item_id: str | None = None
    reason: str | None = None
    order: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "room": self.room}
        if self.item is not None:
            out["item"] = self.item.to_dict()
        if self.item_id is not None:
            out["id"] = self.item_id
        if self.reason is not None:
            out["reason"] = self.reason
        if self.type == "reordered":
            out["order"] = list(self.order)
        return out


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what to which item, and when (record time)."""

    ts: float
    room: str
    actor: str
    action: str
    item_id: str
    ok: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ts": self.ts,
            "room": self.room,
            "actor": self.actor,
            "action": self.action,
            "item_id": self.item_id,
            "ok": self.ok,
        }
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of a host action.

    ``error`` is one of ``not_found``, ``already_claimed`` (``by`` names the
    holder), ``not_claimed``, ``claimed_by_other`` (``by`` names the holder),
    ``closed`` (``by`` names who closed it) or ``not_pinned``.
    """

    ok: bool
    audit: AuditRecord
    events: tuple[QueueEvent, ...] = ()
    item: Item | None = None
    error: str | None = None
    by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "audit": self.audit.to_dict()}
        if self.item is not None:
            out["item"] = self.item.to_dict()
        if self.error is not None:
            out["error"] = self.error
        if self.by is not None:
            out["by"] = self.by
        return out
