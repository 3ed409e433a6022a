"""Moderation actions: decide, deliver, undo, history; audited and counted.

:class:`Actions` answers action messages from the dashboard (WebSocket) and
from ``POST /moderation/actions`` (HTTP) with one code path: role check,
per-token rate limit, decision, audit, feedback, outbound delivery. What
every dashboard must see goes out through ``emit`` as
:class:`~roomwatch.stages.events.Publish` events on the ``stream`` channel
(the composition root forwards them to the hub), including the updates of
deliveries that finish in the background.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from roomwatch.authz import MAX_FIELD_CHARS, MAX_ID_CHARS, Gate, Refusal
from roomwatch.config import Token
from roomwatch.config.moderation import MUTE_DURATIONS
from roomwatch.metrics import moderation_actions_counter
from roomwatch.moderation.decision import (
    DECISIONS,
    KEEP_DECISIONS,
    MAX_BULK,
    MAX_MUTE_S,
    MISSED_LABELS,
    OUTBOUND_DECISIONS,
    OUTCOMES,
    PER_USER,
    Decision,
    error_reply,
)
from roomwatch.moderation.outbound import (
    OUTBOUND_ACTIONS,
    ActionOutcome,
    ModerationAction,
    Outbound,
)
from roomwatch.moderation.review import LABELS, ReviewItem, ReviewQueue, UserHistory
from roomwatch.stages.events import Emit, Publish
from roomwatch.store import Store, StoreError

__all__ = ["Actions"]

logger = logging.getLogger(__name__)


def _feedback_kind(action: str, item: ReviewItem, label: str | None) -> str | None:
    """What a decision on ``item`` teaches: ``confirm`` and ``false_positive``
    say so; an action saying what a comment was (``label``) is a label the
    model missed on a comment it let through (``missed``), a corrected one on
    a queue item (``false_positive``), or nothing where the model said so."""
    if action in ("confirm", "false_positive"):
        return action
    if label is None or item.label == label:
        return None
    return "missed" if item.reported else "false_positive"


def _nowhere(events: Iterable[Publish]) -> None:
    for _ in events:
        pass


class Actions:
    """The action half of :class:`~roomwatch.moderation.runtime.Moderation`."""

    def __init__(
        self,
        *,
        queue: ReviewQueue,
        history: UserHistory,
        gate: Gate,
        outbound: Outbound,
        registry: CollectorRegistry,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.queue = queue
        self.history = history
        self.gate = gate
        self.outbound = outbound
        self._clock = clock
        #: The store actions are written to (set by the composition root once open).
        self.store: Store | None = None
        #: Where ``stream`` events go (set by the composition root).
        self.emit: Emit = _nowhere
        self.decisions: OrderedDict[str, Decision] = OrderedDict()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self.actions_total = moderation_actions_counter(registry)
        for action in (*DECISIONS, "undo", *OUTBOUND_ACTIONS):
            for outcome in OUTCOMES:
                self.actions_total.labels(action, outcome)

    def _publish(self, room: str, message: dict[str, Any]) -> None:
        self.emit([Publish("stream", room, message)])

    # -- actions -----------------------------------------------------------------

    async def act(self, token: Token, message: Mapping[str, Any]) -> dict[str, Any]:
        """Apply one action message for ``token``; returns the ack or error reply."""
        action = message.get("action")
        if action == "history":
            return await self._history(token, message)
        if action not in (*DECISIONS, "undo"):
            return error_reply(
                action,
                "unknown_action",
                detail="expected one of " + ", ".join((*DECISIONS, "undo", "history")),
            )
        room = message.get("room")
        target = message.get("decision") or message.get("id") or ""
        ids = message.get("ids")
        refusal = self.gate.admit(
            token,
            f"moderation.{action}",
            room=room if isinstance(room, str) else None,
            target=target if isinstance(target, str) else str(target)[:MAX_ID_CHARS],
            ids=[i for i in ids if isinstance(i, str)] if isinstance(ids, list) else (),
        )
        if refusal is not None:
            self._count(str(action), "error")
            return self._refused(action, refusal, token)
        if self.store is None:
            return error_reply(action, "unavailable", detail="the store is not open")
        if action == "undo":
            return await self._undo(token, message)
        return await self._decide(token, str(action), message)

    async def _decide(self, token: Token, action: str, msg: Mapping[str, Any]) -> dict[str, Any]:
        room = msg.get("room")
        ids = msg.get("ids")
        if ids is None and msg.get("id") is not None:
            ids = [msg.get("id")]
        if (
            not isinstance(room, str)
            or not isinstance(ids, list)
            or not ids
            or not all(isinstance(i, str) for i in ids)
        ):
            return error_reply(
                action, "bad_request", detail="an action needs 'room' and 'ids' (strings)"
            )
        if len(ids) > MAX_BULK:
            return error_reply(action, "bad_request", detail=f"at most {MAX_BULK} ids per action")
        # The room was checked when the action was admitted (Gate.admit).
        duration: int | None = None
        if action == "mute":
            raw = msg.get("duration_s", MUTE_DURATIONS[0])
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_MUTE_S:
                return error_reply(
                    action, "bad_request", detail="duration_s must be 1..2592000 seconds"
                )
            duration = raw
        label: str | None = None
        if action == "false_positive":
            raw_label = msg.get("label", "chatter")
            if raw_label not in LABELS:
                return error_reply(action, "bad_request", detail=f"label must be one of {LABELS}")
            label = str(raw_label)
        elif action in OUTBOUND_DECISIONS and msg.get("label") is not None:
            # What a comment the model let through was, when a moderator acts
            # on it from the stream: a training example ("missed" feedback).
            if msg.get("label") not in MISSED_LABELS:
                return error_reply(
                    action, "bad_request", detail=f"label must be one of {MISSED_LABELS}"
                )
            label = str(msg["label"])
        items: list[ReviewItem] = []
        missing: list[str] = []
        # A comment the model let through can be hidden, its writer muted or
        # banned from the stream: the action names the writer ("user").
        user = msg.get("user") if action in OUTBOUND_DECISIONS else None
        for item_id in dict.fromkeys(ids):
            item = self.queue.get(room, item_id)
            if item is None and isinstance(user, str) and user:
                item = self._reported(room, user, item_id)
            if item is None or (action == "false_positive" and item.label == label):
                missing.append(item_id)
            else:
                items.append(item)
        if not items:
            self._audit(token, action, room, ",".join(ids)[:200], ok=False, error="not_found")
            self._count(action, "error")
            return error_reply(action, "not_found", missing=missing)
        for item in items:
            self.queue.pop(room, item.id)
        if action in OUTBOUND_DECISIONS and not any(i.label != label for i in items):
            label = None  # (what the model said already: nothing to learn, nothing to record)
        decision = Decision(
            id=f"d-{next(self._ids)}",
            action=action,
            room=room,
            actor=token.label,
            role=token.role,
            ts=self._clock(),
            items=items,
            duration_s=duration,
            label=label,
        )
        self._publish(
            room,
            {
                "type": "review",
                "added": [],
                "removed": [{"id": i.id, "reason": action, "decision": decision.id} for i in items],
            },
        )
        store = self.store
        assert store is not None
        for item in items:
            self._audit(
                token,
                action,
                room,
                item.id,
                ok=True,
                detail=self._detail(decision, item),
            )
        for item in items:
            kind = _feedback_kind(action, item, label)
            if kind is None:
                continue
            try:
                row_id = await store.add_feedback(
                    ts=decision.ts,
                    room=room,
                    text=item.text,
                    predicted_label=item.label,
                    kind=kind,
                    actor=token.label,
                    label=None if kind == "confirm" else label,
                    comment_id=item.id,
                    user_id=item.user_id or None,
                    sentiment=None if item.reported else item.sentiment,
                )
                decision.feedback_ids.append(row_id)
            except StoreError as exc:
                logger.error("feedback for %s not stored: %s", item.id, exc)
        deliveries: list[ModerationAction] = []
        if action in OUTBOUND_DECISIONS:
            targets = items
            if action in PER_USER:
                by_user: dict[str, ReviewItem] = {}
                for item in items:
                    by_user.setdefault(item.user_id or f"comment:{item.id}", item)
                targets = list(by_user.values())
            for item in targets:
                deliveries.append(
                    await self._record_action(decision, action, item, duration, reverses=None)
                )
        decision.refresh_status()
        self._remember(decision)
        self._count(action, "ok")
        decided = decision.to_dict()
        self._publish(room, {"type": "decision", "decision": decided})
        for act in deliveries:
            self._spawn(self._deliver(decision, act))
        reply: dict[str, Any] = {
            "type": "ack",
            "ok": True,
            "action": action,
            "decision": decided,
        }
        if missing:
            reply["missing"] = missing
        return reply

    async def _record_action(
        self,
        decision: Decision,
        action: str,
        item: ReviewItem,
        duration: int | None,
        *,
        reverses: int | None,
    ) -> ModerationAction:
        store = self.store
        assert store is not None
        params: dict[str, Any] = {"decision": decision.id, "text": item.text[:500]}
        if duration is not None:
            params["duration_s"] = duration
        if reverses is not None:
            params["reverses"] = reverses
        action_id = await store.add_action(
            ts=decision.ts,
            room=decision.room,
            actor=decision.actor,
            action=action,
            comment_id=item.id,
            user_id=item.user_id or None,
            params=params,
        )
        decision.outbound.append(
            {
                "id": action_id,
                "action": action,
                "comment_id": item.id,
                "user_id": item.user_id,
                "status": "pending",
                "error": None,
            }
        )
        return ModerationAction(
            id=action_id,
            action=action,
            room=decision.room,
            actor=decision.actor,
            ts=decision.ts,
            comment_id=item.id,
            comment_text=item.text,
            user_id=item.user_id or None,
            user_name=item.user_name or None,
            duration_s=duration,
            reverses=reverses,
        )

    async def _deliver(self, decision: Decision, act: ModerationAction) -> None:
        try:
            outcome = await self.outbound.execute(act)
        except Exception as exc:  # an Outbound must not raise; never lose the action if it does
            logger.exception("outbound %s raised", self.outbound.name)
            outcome = ActionOutcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
        status = "sent" if outcome.ok else "failed"
        store = self.store
        if store is not None:
            try:
                await store.set_action_status(act.id, status, outcome.error)
            except StoreError as exc:
                logger.error("action %d status not stored: %s", act.id, exc)
        for entry in decision.outbound:
            if entry["id"] == act.id:
                entry["status"] = status
                entry["error"] = outcome.error
        before = decision.status
        decision.refresh_status()
        self._count(act.action, status)
        # A bulk ban is one delivery per user: republish the decision when its
        # state changes (all delivered, or failed), not once per delivery.
        if decision.status != before:
            self._publish(decision.room, {"type": "decision", "decision": decision.to_dict()})

    async def _undo(self, token: Token, msg: Mapping[str, Any]) -> dict[str, Any]:
        ref = msg.get("decision")
        original = self.decisions.get(ref) if isinstance(ref, str) else None
        if original is None:
            self._audit(token, "undo", "", str(ref), ok=False, error="not_found")
            return error_reply("undo", "not_found")
        refusal = self.gate.admit_room(token, "moderation.undo", original.room, target=original.id)
        if refusal is not None:
            return self._refused("undo", refusal, token)
        if original.undo_of is not None:
            return error_reply("undo", "cannot_undo", detail="an undo can't be undone; act again")
        if original.undone_by is not None:
            return error_reply("undo", "already_undone", by=original.undone_by)
        undo = Decision(
            id=f"d-{next(self._ids)}",
            action="undo",
            room=original.room,
            actor=token.label,
            role=token.role,
            ts=self._clock(),
            items=list(original.items),
            duration_s=original.duration_s,
            undo_of=original.id,
        )
        original.undone_by = undo.id
        restored = []
        for item in original.items:
            if not item.reported and self.queue.get(item.room, item.id) is None:
                self.queue.restore(item)
                restored.append(item.to_dict())
        if restored:
            self._publish(original.room, {"type": "review", "added": restored, "removed": []})
        store = self.store
        assert store is not None
        if original.feedback_ids:
            # A retracted verdict must not become training data; an earlier
            # verdict on the same comment, if any, counts again.
            try:
                await store.delete_feedback(original.feedback_ids)
            except StoreError as exc:
                logger.error("feedback of %s not deleted: %s", original.id, exc)
        deliveries: list[ModerationAction] = []
        by_id = {i.id: i for i in original.items}
        for entry in original.outbound:
            try:
                await store.set_action_status(entry["id"], "undone")
            except StoreError as exc:
                logger.error("action %s not marked undone: %s", entry["id"], exc)
            if entry["status"] == "failed":
                continue  # it never took effect: nothing to compensate
            item = by_id.get(entry["comment_id"]) or original.items[0]
            deliveries.append(
                await self._record_action(
                    undo,
                    OUTBOUND_ACTIONS[entry["action"]],
                    item,
                    None,
                    reverses=int(entry["id"]),
                )
            )
        for item in original.items:
            self._audit(
                token,
                "undo",
                original.room,
                item.id,
                ok=True,
                detail={"undoes": original.id, "action": original.action, "decision": undo.id},
            )
        undo.refresh_status()
        self._remember(undo)
        self._count("undo", "ok")
        self._publish(original.room, {"type": "decision", "decision": original.to_dict()})
        self._publish(undo.room, {"type": "decision", "decision": undo.to_dict()})
        for act in deliveries:
            self._spawn(self._deliver(undo, act))
        return {"type": "ack", "ok": True, "action": "undo", "decision": undo.to_dict()}

    def _reported(self, room: str, user: str, comment_id: str) -> ReviewItem | None:
        """``comment_id`` from ``user``'s recent comments in ``room``, to act on."""
        rows = self.history.recent(room, user)
        for i, row in enumerate(rows):
            if row.get("id") == comment_id:
                return ReviewItem.reported_from(room, user, row, rows[i + 1 : i + 6])
        return None

    async def _history(self, token: Token, msg: Mapping[str, Any]) -> dict[str, Any]:
        room = msg.get("room")
        user = msg.get("user")
        before = msg.get("before")
        if not isinstance(room, str) or not isinstance(user, str) or not user:
            refusal = self.gate.authz.decide(token, "moderation.history")
            if refusal is not None:
                return self._refused("history", refusal, token)
            return error_reply("history", "bad_request", detail="history needs 'room' and 'user'")
        refusal = self.gate.admit(
            token, "moderation.history", room=room, fields={"user": user, "before": before}
        )
        if refusal is not None:
            return self._refused("history", refusal, token)
        comments = self.history.recent(
            room, user, before=before if isinstance(before, str) else None
        )
        actions: list[dict[str, Any]] = []
        if self.store is not None:
            try:
                actions = await self.store.user_history(room, user, limit=10)
            except StoreError as exc:
                logger.error("user history not read: %s", exc)
        return {
            "type": "ack",
            "ok": True,
            "action": "history",
            "room": room,
            "user": user,
            "comments": comments,
            "actions": actions,
        }

    def audit_refused(self, token: Token, action: str, target: str) -> None:
        """Count an attempt refused before it reached :meth:`act` (wrong role over HTTP)."""
        self.gate.refuse(token, action, Refusal("forbidden"), target=target)
        self._count(action, "error")

    @staticmethod
    def _refused(action: object, refusal: Refusal, token: Token) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if refusal.reason == "forbidden":
            extra["detail"] = f"a {token.role} token can't moderate"
        elif refusal.detail:
            extra["detail"] = refusal.detail
        if refusal.reason == "rate_limited":
            extra["retry_after"] = refusal.retry_after
        return error_reply(action, refusal.reason, **extra)

    # -- helpers ---------------------------------------------------------------

    @staticmethod
    def _detail(decision: Decision, item: ReviewItem) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "decision": decision.id,
            "label": item.label,
            "p": item.confidence,
            "user_id": item.user_id,
            "user_name": item.user_name[:100],
            "text": item.text[:300],
        }
        if decision.duration_s is not None:
            detail["duration_s"] = decision.duration_s
        if decision.label is not None:
            detail["corrected_label"] = decision.label
        if len(decision.items) > 1:
            detail["bulk"] = len(decision.items)
        return detail

    def _audit(
        self,
        token: Token,
        action: str,
        room: str,
        target: str,
        *,
        ok: bool,
        error: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        logger.info("audit: %s %s %s/%s ok=%s", token.label, action, room, target, ok)
        if self.store is not None:
            self.store.submit_audit(
                ts=self._clock(),
                actor=token.label,
                role=token.role,
                action=f"moderation.{action}"[:64],
                target_kind="comment" if action not in ("undo",) else "decision_item",
                target_id=target[:MAX_ID_CHARS] or "-",
                room=room[:MAX_FIELD_CHARS] or "-",
                ok=ok,
                error=error,
                detail=detail,
            )

    def _count(self, action: str, outcome: str) -> None:
        if action in (*DECISIONS, "undo", *OUTBOUND_ACTIONS):
            self.actions_total.labels(action, outcome).inc()

    def _remember(self, decision: Decision) -> None:
        self.decisions[decision.id] = decision
        while len(self.decisions) > KEEP_DECISIONS:
            self.decisions.popitem(last=False)

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro, name="moderation-deliver")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight outbound deliveries (at most ``timeout`` seconds)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def aclose(self) -> None:
        """Let in-flight deliveries finish (for a while), cancel the rest, close the outbound."""
        await self.drain()
        for task in tuple(self._tasks):
            task.cancel()
        await self.outbound.close()
