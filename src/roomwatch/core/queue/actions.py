"""The host's actions on items: claim, unclaim, answer, dismiss, pin, unpin.

Lifecycle: ``open`` → ``claimed`` → ``answered`` / ``dismissed``; ``pin`` /
``unpin``. Each action returns an :class:`~roomwatch.core.queue.events.ActionResult`
with its audit record and the events it caused.
"""

from __future__ import annotations

from roomwatch.core.queue.entry import CLOSED
from roomwatch.core.queue.events import ActionResult, QueueEvent
from roomwatch.core.queue.state import QueueState

__all__ = ["HostActions"]


class HostActions(QueueState):
    """The host's actions; :class:`~roomwatch.core.queue.QuestionQueue` has them."""

    def claim(self, item_id: str, actor: str, now: float) -> ActionResult:
        """Take an item; a second claimer is told who holds it."""
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result("claim", item_id, actor, now, error="not_found")
        if entry.state in CLOSED:
            return self._result("claim", item_id, actor, now, entry, "closed", entry.closed_by)
        if entry.state == "claimed":
            if entry.claimed_by == actor:
                return self._result("claim", item_id, actor, now, entry)
            return self._result(
                "claim", item_id, actor, now, entry, "already_claimed", entry.claimed_by
            )
        entry.state = "claimed"
        entry.claimed_by = actor
        self._ageing.pop(entry.id, None)
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        return self._result("claim", item_id, actor, now, entry, events=events)

    def unclaim(self, item_id: str, actor: str, now: float, *, force: bool = False) -> ActionResult:
        """Give an item back; only its holder may, unless ``force``."""
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result("unclaim", item_id, actor, now, error="not_found")
        if entry.state != "claimed":
            return self._result("unclaim", item_id, actor, now, entry, "not_claimed")
        if entry.claimed_by != actor and not force:
            return self._result(
                "unclaim", item_id, actor, now, entry, "claimed_by_other", entry.claimed_by
            )
        entry.state = "open"
        entry.claimed_by = None
        entry.touched = now
        if not entry.pinned:
            self._ageing[entry.id] = None
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        return self._result("unclaim", item_id, actor, now, entry, events=events)

    def answer(self, item_id: str, actor: str, now: float) -> ActionResult:
        """Close an item as answered; repeats within ``grace_s`` join it."""
        return self._close("answer", "answered", item_id, actor, now)

    def dismiss(self, item_id: str, actor: str, now: float) -> ActionResult:
        """Close an item without answering; repeats within ``grace_s`` join it."""
        return self._close("dismiss", "dismissed", item_id, actor, now)

    def pin(self, item_id: str, actor: str, now: float) -> ActionResult:
        """Keep an item at the top (newest pin first); pinned items do not age out."""
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result("pin", item_id, actor, now, error="not_found")
        if entry.state in CLOSED:
            return self._result("pin", item_id, actor, now, entry, "closed", entry.closed_by)
        if entry.pinned:
            return self._result("pin", item_id, actor, now, entry)
        self._pin_seq += 1
        entry.pinned = True
        entry.pin_seq = self._pin_seq
        self._ageing.pop(entry.id, None)
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        if self._bump(entry):
            self._send_order(now, events, force=True)
        return self._result("pin", item_id, actor, now, entry, events=events)

    def unpin(self, item_id: str, actor: str, now: float) -> ActionResult:
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result("unpin", item_id, actor, now, error="not_found")
        if not entry.pinned:
            return self._result("unpin", item_id, actor, now, entry, "not_pinned")
        entry.pinned = False
        entry.pin_seq = 0
        entry.touched = now
        if entry.state == "open":
            self._ageing[entry.id] = None
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        self._rebuild_top()
        self._send_order(now, events, force=True)
        return self._result("unpin", item_id, actor, now, entry, events=events)

    def _close(self, action: str, state: str, item_id: str, actor: str, now: float) -> ActionResult:
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result(action, item_id, actor, now, error="not_found")
        if entry.state in CLOSED:
            return self._result(action, item_id, actor, now, entry, "closed", entry.closed_by)
        entry.state = state
        entry.closed_by = actor
        entry.closed_at = now
        entry.pinned = False
        entry.pin_seq = 0
        self._ageing.pop(entry.id, None)
        self._closed[entry.id] = None
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        if entry.in_top:
            self._rebuild_top()
            self._send_order(now, events, force=True)
        return self._result(action, item_id, actor, now, entry, events=events)
