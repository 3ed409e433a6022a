"""What a client's action must look like, and the error replies the stages give.

The host channel's queue actions (:class:`roomwatch.stages.triage.TriageStage`)
and the alerts channel's ``ack`` (:class:`roomwatch.stages.alert.AlertStage`)
are checked here, once, so that the gateway (``roomwatch.streams.actions``),
which checks an action before forwarding it to a worker, answers exactly as
``serve`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roomwatch.authz import Refusal
from roomwatch.core.queue import ACTIONS

__all__ = ["ack_action", "error_reply", "host_action", "refusal_reply"]


def error_reply(action: object, error: str, detail: str = "", **extra: Any) -> dict[str, Any]:
    """An action's error reply on any channel (moderation's too): ``ok`` false,
    a code in ``error``, words in ``detail``, and any ``extra`` fields."""
    reply: dict[str, Any] = {"type": "error", "ok": False, "action": action, "error": error}
    if detail:
        reply["detail"] = detail
    reply.update(extra)
    return reply


def host_action(message: Mapping[str, Any]) -> tuple[str, str, str] | dict[str, Any]:
    """``(action, room, item id)`` of a host-channel action, or its error reply."""
    action = message.get("action")
    room, item_id = message.get("room"), message.get("id")
    if action not in ACTIONS:
        return error_reply(
            action if isinstance(action, str) else None,
            "unknown_action",
            f"unknown action {action!r}; expected one of " + ", ".join(ACTIONS),
        )
    if not isinstance(room, str) or not isinstance(item_id, str):
        return error_reply(action, "bad_request", "an action needs 'room' and 'id' strings")
    return action, room, item_id


def ack_action(message: Mapping[str, Any]) -> str | dict[str, Any]:
    """The alert id of an alerts-channel ``ack``, or its error reply."""
    action, alert_id = message.get("action"), message.get("id")
    if action != "ack":
        return error_reply(
            action if isinstance(action, str) else None,
            "unknown_action",
            f"unknown action {action!r}; expected 'ack'",
        )
    if not isinstance(alert_id, str):
        return error_reply("ack", "bad_request", "an ack needs an 'id' string")
    return alert_id


def refusal_reply(
    action: str, refusal: Refusal, role: str, *, detail: bool = True
) -> dict[str, Any]:
    """The error reply to a refused action (``detail``: say why, as the host channel does)."""
    reply = error_reply(action, refusal.reason)
    if detail:
        if refusal.reason == "forbidden":
            reply["detail"] = f"a {role} token is read-only"
        elif refusal.detail:
            reply["detail"] = refusal.detail
    if refusal.retry_after:
        reply["retry_after"] = refusal.retry_after
    return reply
