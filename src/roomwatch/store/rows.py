"""The store's rows as frozen values, and what a queue audit record must offer."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

__all__ = [
    "SENTIMENT_CLASS_AT",
    "ActionRow",
    "AuditRow",
    "FeedbackRow",
    "QueueAudit",
    "clamp_score",
    "dumps",
    "loads",
    "sentiment_class",
]


def loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def dumps(value: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(value or {}), ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One human action, as stored."""

    id: int
    ts: float
    actor: str
    role: str
    action: str
    target_kind: str
    target_id: str
    room: str
    ok: bool
    error: str | None
    detail: Mapping[str, Any]

    @classmethod
    def _from_sql(cls, r: sqlite3.Row) -> AuditRow:
        return cls(
            id=r["id"],
            ts=r["ts"],
            actor=r["actor"],
            role=r["role"],
            action=r["action"],
            target_kind=r["target_kind"],
            target_id=r["target_id"],
            room=r["room"],
            ok=bool(r["ok"]),
            error=r["error"],
            detail=loads(r["detail"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts,
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target_kind": self.target_kind,
            "target_id": self.target_id,
            "room": self.room,
            "ok": self.ok,
            "error": self.error,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One outbound moderation action and its delivery status."""

    id: int
    ts: float
    room: str
    actor: str
    action: str
    comment_id: str | None
    user_id: str | None
    params: Mapping[str, Any]
    status: str
    attempts: int
    last_error: str | None
    updated_at: float

    @classmethod
    def _from_sql(cls, r: sqlite3.Row) -> ActionRow:
        return cls(
            id=r["id"],
            ts=r["ts"],
            room=r["room"],
            actor=r["actor"],
            action=r["action"],
            comment_id=r["comment_id"],
            user_id=r["user_id"],
            params=loads(r["params"]),
            status=r["status"],
            attempts=r["attempts"],
            last_error=r["last_error"],
            updated_at=r["updated_at"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts,
            "room": self.room,
            "actor": self.actor,
            "action": self.action,
            "comment_id": self.comment_id,
            "user_id": self.user_id,
            "params": dict(self.params),
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One labelled example from a moderator's verdict."""

    id: int
    ts: float
    room: str
    comment_id: str | None
    user_id: str | None
    text: str
    predicted_label: str
    label: str
    kind: str
    actor: str
    action_id: int | None
    #: The model's sentiment score ([-1, 1]) shown with the item, if recorded.
    sentiment: float | None = None

    @classmethod
    def _from_sql(cls, r: sqlite3.Row) -> FeedbackRow:
        return cls(
            id=r["id"],
            ts=r["ts"],
            room=r["room"],
            comment_id=r["comment_id"],
            user_id=r["user_id"],
            text=r["text"],
            predicted_label=r["predicted_label"],
            label=r["label"],
            kind=r["kind"],
            actor=r["actor"],
            action_id=r["action_id"],
            sentiment=r["sentiment"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts,
            "room": self.room,
            "comment_id": self.comment_id,
            "user_id": self.user_id,
            "text": self.text,
            "predicted_label": self.predicted_label,
            "label": self.label,
            "kind": self.kind,
            "actor": self.actor,
            "action_id": self.action_id,
            "sentiment": self.sentiment,
        }

    def to_corpus(self) -> dict[str, Any]:
        """The training corpus line (see ``roomwatch.training.data.read_corpus``).

        ``sentiment`` is the class (-1, 0, 1) of the score the moderator saw
        (at or beyond ±:data:`SENTIMENT_CLASS_AT`), ``null`` when none was
        recorded (the sentiment head then skips the row); ``sentiment_score``
        is the score itself.
        """
        return {
            "text": self.text,
            "label": self.label,
            "sentiment": sentiment_class(self.sentiment),
            "sentiment_score": self.sentiment,
            "source": "feedback",
            "comment_id": self.comment_id,
            "room": self.room,
        }


#: A sentiment score at or beyond ± this is negative / positive in the corpus
#: (the alert detectors' default ``negative_sentiment`` is -0.3 too).
SENTIMENT_CLASS_AT: Final = 0.3


def clamp_score(value: float | None) -> float | None:
    """A sentiment score clamped to [-1, 1]; None for None or NaN."""
    if value is None or not math.isfinite(float(value)):
        return None
    return max(-1.0, min(1.0, float(value)))


def sentiment_class(score: float | None) -> int | None:
    """-1, 0 or 1 for a sentiment score in [-1, 1]; None for None."""
    if score is None:
        return None
    if score <= -SENTIMENT_CLASS_AT:
        return -1
    return 1 if score >= SENTIMENT_CLASS_AT else 0


class QueueAudit(Protocol):
    """What :meth:`Store.submit_queue_audit` reads (``roomwatch.core.queue.AuditRecord``)."""

    @property
    def ts(self) -> float: ...
    @property
    def room(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def item_id(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def error(self) -> str | None: ...
