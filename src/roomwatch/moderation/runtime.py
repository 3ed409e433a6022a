"""The running moderation feature: pipeline output, ``stream`` channel, actions.

:class:`Moderation` ties the sans-I/O parts (:mod:`.review`, :mod:`roomwatch.ratelimit`)
to the hub, the store and the outbound interface:

* as a pipeline output it sees every batch of verdicts and publishes one
  ``batch`` frame per room per pipeline batch on the ``stream`` channel
  (every comment, plus review-queue additions and evictions);
* once a second it publishes each active room's ``stats`` (rate, mood and the
  current mood-chart bucket);
* it answers actions from the dashboard (WebSocket) and from
  ``POST /moderation/actions`` (HTTP) with the same code path: role check,
  per-token rate limit, decision, audit, feedback, outbound delivery. Roles
  and rooms come from :data:`roomwatch.authz.TABLE` (``moderation.*``),
  through the service's :class:`~roomwatch.authz.Gate`; refused attempts are
  counted audit rows (:class:`~roomwatch.authz.RefusalLog`).

Decisions on review items: ``confirm`` (label right; stored as feedback),
``false_positive`` (label wrong; feedback with the corrected label),
``hide``, ``mute`` (``duration_s``), ``ban`` (sent out through
:class:`~roomwatch.moderation.outbound.Outbound`), ``ignore``. Each takes
``room`` and ``ids`` (bulk) or ``id``. ``undo`` takes ``decision`` and applies
the compensating action (unhide, unmute, unban), puts the items back in the
queue and is audited like any other action.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import Counter

from roomwatch.authz import MAX_FIELD_CHARS, MAX_ID_CHARS, Gate, Refusal
from roomwatch.config import Token
from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.moderation.config import MUTE_DURATIONS, ModerationConfig
from roomwatch.moderation.outbound import (
    OUTBOUND_ACTIONS,
    ActionOutcome,
    ModerationAction,
    Outbound,
    build_outbound,
)
from roomwatch.moderation.review import (
    LABELS,
    ROW_FIELDS,
    ReviewItem,
    ReviewQueue,
    RoomStats,
    UserHistory,
    compact,
)
from roomwatch.sinks.hub import Client, Hub
from roomwatch.sinks.store import Store, StoreError
from roomwatch.stages.clock import Pace, RoomClocks

if TYPE_CHECKING:
    from aiohttp import web

    from roomwatch.service import Service

__all__ = ["DECISIONS", "Decision", "Moderation"]

logger = logging.getLogger(__name__)

DECISIONS: Final = ("confirm", "false_positive", "hide", "mute", "ban", "ignore")
_OUTBOUND_DECISIONS: Final = frozenset({"hide", "mute", "ban"})
_PER_USER: Final = frozenset({"mute", "ban"})
#: Most items one (bulk) action may touch.
MAX_BULK: Final = 300
_KEEP_DECISIONS: Final = 2000
_SNAPSHOT_DECISIONS: Final = 100
_MAX_MUTE_S: Final = 30 * 86400
_OUTCOMES: Final = ("ok", "error", "sent", "failed")


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


def _error(action: object, error: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "ok": False, "action": action, "error": error, **extra}


class Moderation:
    """Build with :func:`roomwatch.moderation.install`."""

    def __init__(
        self,
        service: Service,
        config: ModerationConfig,
        *,
        outbound: Outbound | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        stats_interval_s: float = 1.0,
        pace: Pace | None = None,
    ) -> None:
        self.config = config
        self._service = service
        self.hub: Hub = service.hub
        self.outbound: Outbound = outbound if outbound is not None else build_outbound(config)
        self._clock = clock
        self._monotonic = monotonic
        self._stats_interval_s = stats_interval_s
        self.queue = ReviewQueue(config.review_labels, config.queue_max)
        self.history = UserHistory(config.history_per_user, config.history_users)
        self.gate: Gate = service.gate
        self.gate.set_rate("moderation", config.actions_per_minute)
        self.stats: dict[str, RoomStats] = {}
        self.recent: deque[tuple[Any, ...]] = deque(maxlen=config.recent)
        self.decisions: OrderedDict[str, Decision] = OrderedDict()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        # Record time per room: a record in one room never moves another
        # room's rates (see roomwatch.stages.clock).
        self._record = RoomClocks(monotonic, pace)
        self.actions_total = Counter(
            "roomwatch_moderation_actions_total",
            "Moderation actions by action and outcome (ok, error; sent, failed outbound).",
            ["action", "outcome"],
            registry=service.metrics.registry,
        )
        for action in (*DECISIONS, "undo", *OUTBOUND_ACTIONS):
            for outcome in _OUTCOMES:
                self.actions_total.labels(action, outcome)
        self.hub.set_snapshot("stream", self.snapshot)
        self.hub.set_handler("stream", self.handle)

    @property
    def store(self) -> Store | None:
        return self._service.store

    def now(self, room: str | None = None) -> float:
        """``room``'s record time: its newest ts plus the time since it arrived.

        Without a room (or before its first record): the latest of any room,
        else the wall clock.
        """
        return self._record.now_or_latest(room, self._clock)

    # -- pipeline output (sync, never blocks) --------------------------------

    def __call__(self, results: Sequence[Result]) -> None:
        frames: dict[str, tuple[list[tuple[Any, ...]], list[dict[str, Any]], list[str]]] = {}
        newest: dict[str, float] = {}
        cfg = self.config
        for r in results:
            if not isinstance(r, Verdict):
                continue
            c = r.comment
            if c.ts > newest.get(c.room, -1.0):
                newest[c.room] = c.ts
            row = compact(r)
            frame = frames.get(c.room)
            if frame is None:
                frame = frames[c.room] = ([], [], [])
            frame[0].append(row)
            self.recent.append(row)
            stats = self.stats.get(c.room)
            if stats is None:
                stats = self.stats[c.room] = RoomStats(
                    rate_window_s=cfg.rate_window_s,
                    mood_window_s=cfg.mood_window_s,
                    bucket_s=cfg.series_bucket_s,
                    minutes=cfg.series_minutes,
                )
            stats.add(c.ts, r.label, r.sentiment)
            uid = c.user.id
            review = self.queue.wants(r)
            previous: list[dict[str, Any]] = []
            if uid:
                if review:
                    previous = self.history.recent(c.room, uid)[:5]
                self.history.add(
                    c.room, uid, {"id": c.id, "ts": c.ts, "text": c.text[:300], "label": r.label}
                )
            if review:
                item = ReviewItem.from_verdict(r, previous)
                frame[2].extend(self.queue.add(item))
                frame[1].append(item.to_dict())
        for room, ts in newest.items():
            self._record.advance(room, ts)
        for room, (rows, added, evicted) in frames.items():
            message: dict[str, Any] = {"type": "batch", "comments": rows}
            if added or evicted:
                message["review"] = {
                    "added": added,
                    "removed": [{"id": i, "reason": "evicted"} for i in evicted],
                }
            self.hub.publish("stream", room, message)

    def publish_stats(self) -> None:
        for room, stats in tuple(self.stats.items()):
            now = self.now(room)
            horizon = now - self.config.series_minutes * 60
            if stats.newest < horizon:
                if stats.newest < horizon - 3600:
                    del self.stats[room]  # quiet for 1.5 h: forget the chart
                    self._record.forget(room)
                continue
            self.hub.publish(
                "stream",
                room,
                {"type": "stats", "now": now, **stats.summary(now), "series": stats.series(2)},
            )

    # -- hub wiring ------------------------------------------------------------

    def snapshot(self, client: Client) -> Iterable[dict[str, Any]]:
        now = self.now()
        rooms = {
            room: {**stats.summary(self.now(room)), "series": stats.series()}
            for room, stats in self.stats.items()
            if client.wants(room)
        }
        review = [
            i.to_dict()
            for room in self.queue.rooms
            if client.wants(room)
            for i in self.queue.items(room)
        ]
        # The newest few this client may see, oldest first; only those are encoded.
        visible = (d for d in reversed(self.decisions.values()) if client.wants(d.room))
        decisions = [d.to_dict() for d in itertools.islice(visible, _SNAPSHOT_DECISIONS)]
        decisions.reverse()
        yield {
            "type": "snapshot",
            "now": now,
            "rooms": rooms,
            "review": review,
            "recent": [row for row in self.recent if client.wants(row[1])],
            "decisions": decisions,
            "can_act": self.gate.authz.decide(client.token, "moderation.hide") is None,
            "config": {
                "raid_window_s": self.config.raid_window_s,
                "mute_durations": list(MUTE_DURATIONS),
                "series_bucket_s": self.config.series_bucket_s,
                "series_minutes": self.config.series_minutes,
                "labels": list(LABELS),
                "review_labels": list(self.config.review_labels),
                "outbound": self.outbound.name,
                "row_fields": list(ROW_FIELDS),
            },
        }

    async def handle(self, client: Client, message: Mapping[str, Any]) -> dict[str, Any]:
        return await self.act(client.token, message)

    # -- actions -----------------------------------------------------------------

    async def act(self, token: Token, message: Mapping[str, Any]) -> dict[str, Any]:
        """Apply one action message for ``token``; returns the ack or error reply."""
        action = message.get("action")
        if action == "history":
            return await self._history(token, message)
        if action not in (*DECISIONS, "undo"):
            return _error(
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
            return _error(action, "unavailable", detail="the store is not open")
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
            return _error(
                action, "bad_request", detail="an action needs 'room' and 'ids' (strings)"
            )
        if len(ids) > MAX_BULK:
            return _error(action, "bad_request", detail=f"at most {MAX_BULK} ids per action")
        # The room was checked when the action was admitted (Gate.admit).
        duration: int | None = None
        if action == "mute":
            raw = msg.get("duration_s", MUTE_DURATIONS[0])
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= _MAX_MUTE_S:
                return _error(action, "bad_request", detail="duration_s must be 1..2592000 seconds")
            duration = raw
        label: str | None = None
        if action == "false_positive":
            raw_label = msg.get("label", "chatter")
            if raw_label not in LABELS:
                return _error(action, "bad_request", detail=f"label must be one of {LABELS}")
            label = str(raw_label)
        items: list[ReviewItem] = []
        missing: list[str] = []
        for item_id in dict.fromkeys(ids):
            item = self.queue.get(room, item_id)
            if item is None or (action == "false_positive" and item.label == label):
                missing.append(item_id)
            else:
                items.append(item)
        if not items:
            self._audit(token, action, room, ",".join(ids)[:200], ok=False, error="not_found")
            self._count(action, "error")
            return _error(action, "not_found", missing=missing)
        for item in items:
            self.queue.pop(room, item.id)
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
        self.hub.publish(
            "stream",
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
        if action in ("confirm", "false_positive"):
            for item in items:
                try:
                    row_id = await store.add_feedback(
                        ts=decision.ts,
                        room=room,
                        text=item.text,
                        predicted_label=item.label,
                        kind=action,
                        actor=token.label,
                        label=label if action == "false_positive" else None,
                        comment_id=item.id,
                        user_id=item.user_id or None,
                        sentiment=item.sentiment,
                    )
                    decision.feedback_ids.append(row_id)
                except StoreError as exc:
                    logger.error("feedback for %s not stored: %s", item.id, exc)
        deliveries: list[ModerationAction] = []
        if action in _OUTBOUND_DECISIONS:
            targets = items
            if action in _PER_USER:
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
        self.hub.publish("stream", room, {"type": "decision", "decision": decided})
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
            self.hub.publish(
                "stream", decision.room, {"type": "decision", "decision": decision.to_dict()}
            )

    async def _undo(self, token: Token, msg: Mapping[str, Any]) -> dict[str, Any]:
        ref = msg.get("decision")
        original = self.decisions.get(ref) if isinstance(ref, str) else None
        if original is None:
            self._audit(token, "undo", "", str(ref), ok=False, error="not_found")
            return _error("undo", "not_found")
        refusal = self.gate.admit_room(token, "moderation.undo", original.room, target=original.id)
        if refusal is not None:
            return self._refused("undo", refusal, token)
        if original.undo_of is not None:
            return _error("undo", "cannot_undo", detail="an undo can't be undone; act again")
        if original.undone_by is not None:
            return _error("undo", "already_undone", by=original.undone_by)
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
            if self.queue.get(item.room, item.id) is None:
                self.queue.restore(item)
                restored.append(item.to_dict())
        if restored:
            self.hub.publish(
                "stream", original.room, {"type": "review", "added": restored, "removed": []}
            )
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
        self.hub.publish(
            "stream", original.room, {"type": "decision", "decision": original.to_dict()}
        )
        self.hub.publish("stream", undo.room, {"type": "decision", "decision": undo.to_dict()})
        for act in deliveries:
            self._spawn(self._deliver(undo, act))
        return {"type": "ack", "ok": True, "action": "undo", "decision": undo.to_dict()}

    async def _history(self, token: Token, msg: Mapping[str, Any]) -> dict[str, Any]:
        room = msg.get("room")
        user = msg.get("user")
        before = msg.get("before")
        if not isinstance(room, str) or not isinstance(user, str) or not user:
            refusal = self.gate.authz.decide(token, "moderation.history")
            if refusal is not None:
                return self._refused("history", refusal, token)
            return _error("history", "bad_request", detail="history needs 'room' and 'user'")
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
        return _error(action, refusal.reason, **extra)

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
        while len(self.decisions) > _KEEP_DECISIONS:
            self.decisions.popitem(last=False)

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro, name="moderation-deliver")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight outbound deliveries (at most ``timeout`` seconds)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    # -- lifespan ----------------------------------------------------------------

    async def lifespan(self, app: web.Application) -> AsyncIterator[None]:
        ticker = asyncio.create_task(self._tick(), name="moderation-stats")
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await self.drain()
            for task in tuple(self._tasks):
                task.cancel()
            await self.outbound.close()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._stats_interval_s)
            try:
                self.publish_stats()
            except Exception:
                logger.exception("moderation stats failed")
