"""A moderator's decision on review items, and the constants the actions share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from roomwatch.moderation.review import ReviewItem
from roomwatch.stages.replies import error_reply

__all__ = [
    "DECISIONS",
    "KEEP_DECISIONS",
    "MAX_BULK",
    "MAX_MUTE_S",
    "MISSED_LABELS",
    "OUTBOUND_DECISIONS",
    "OUTCOMES",
    "PER_USER",
    "SNAPSHOT_DECISIONS",
    "Decision",
    "error_reply",
]

DECISIONS: Final = ("confirm", "false_positive", "hide", "mute", "ban", "ignore")
OUTBOUND_DECISIONS: Final = frozenset({"hide", "mute", "ban"})
PER_USER: Final = frozenset({"mute", "ban"})
#: What a moderator may say a comment the model let through was, when they
#: hide it or mute or ban its writer from the stream ("missed" feedback).
MISSED_LABELS: Final = ("abuse", "spam")
#: Most items one (bulk) action may touch.
MAX_BULK: Final = 300
KEEP_DECISIONS: Final = 2000
SNAPSHOT_DECISIONS: Final = 100
MAX_MUTE_S: Final = 30 * 86400
OUTCOMES: Final = ("ok", "error", "sent", "failed")


@dataclass(slots=True)
class Decision:
    """What a moderator decided about some review items, and where it stands.

    ``status``: ``done`` (nothing to deliver), ``pending``, ``sent`` or
    ``failed`` (any outbound action failed). ``undone_by`` names the undo.
    """

    id: str
    action: str
    room: str
    actor: str
    role: str
    ts: float
    items: list[ReviewItem]
    duration_s: int | None = None
    label: str | None = None
    status: str = "done"
    outbound: list[dict[str, Any]] = field(default_factory=list)
    undo_of: str | None = None
    undone_by: str | None = None
    #: Feedback rows this decision stored (an undo deletes them).
    feedback_ids: list[int] = field(default_factory=list)

    def refresh_status(self) -> None:
        states = {o["status"] for o in self.outbound}
        if not states:
            self.status = "done"
        elif "pending" in states:
            self.status = "pending"
        elif "failed" in states:
            self.status = "failed"
        else:
            self.status = "sent"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "room": self.room,
            "actor": self.actor,
            "ts": self.ts,
            "ids": [i.id for i in self.items],
            "items": [
                {"id": i.id, "text": i.text[:200], "user": {"id": i.user_id, "name": i.user_name}}
                for i in self.items[:5]
            ],
            "count": len(self.items),
            "duration_s": self.duration_s,
            "label": self.label,
            "status": self.status,
            "outbound": list(self.outbound),
            "undo_of": self.undo_of,
            "undone_by": self.undone_by,
        }
