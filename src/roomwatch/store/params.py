"""Arguments turned into SQL parameters, and the INSERT statements they fill.

The checks run on the caller's thread, so a bad argument is a
:class:`~roomwatch.store.errors.StoreError` of type ``invalid`` before any
SQL runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from roomwatch.store.errors import StoreError, invalid
from roomwatch.store.rows import dumps
from roomwatch.store.schema import ALERT_STATES

__all__ = [
    "LABELS",
    "SQL_ACTION",
    "SQL_ALERT",
    "SQL_AUDIT",
    "SQL_FEEDBACK",
    "TABLE_OF",
    "alert_params",
    "audit_params",
    "build_where",
    "check_required",
    "check_text",
    "check_time",
]

#: The training labels (``roomwatch.core.classify.LABELS``, without importing numpy).
LABELS: Final = frozenset({"question", "grievance", "abuse", "spam", "chatter"})


def check_text(name: str, value: object, *, optional: bool = False) -> str | None:
    if value is None:
        if optional:
            return None
        raise StoreError(f"{name} is required", type="invalid")
    if not isinstance(value, str):
        raise StoreError(f"{name} must be a string, not {type(value).__name__}", type="invalid")
    return value


def check_required(name: str, value: object) -> str:
    out = check_text(name, value)
    assert out is not None
    if not out:
        raise StoreError(f"{name} must not be empty", type="invalid")
    return out


def check_time(name: str, value: object, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StoreError(f"{name} must be epoch seconds (a number)", type="invalid")
    out = float(value)
    if not math.isfinite(out):
        raise StoreError(f"{name} must be finite", type="invalid")
    return out


def audit_params(
    ts: float,
    actor: str,
    role: str,
    action: str,
    target_kind: str,
    target_id: str,
    room: str,
    ok: bool,
    error: str | None,
    detail: Mapping[str, Any] | None,
) -> tuple[Any, ...]:
    return (
        check_time("ts", ts),
        check_required("actor", actor),
        check_text("role", role),
        check_required("action", action),
        check_required("target_kind", target_kind),
        check_text("target_id", target_id),
        check_text("room", room),
        1 if ok else 0,
        check_text("error", error, optional=True),
        dumps(detail),
    )


def alert_params(alert: Mapping[str, Any]) -> tuple[Any, ...]:
    if not isinstance(alert, Mapping):
        raise StoreError("an alert must be a mapping", type="invalid")
    state = check_required("alert state", alert.get("state"))
    if state not in ALERT_STATES:
        raise invalid(f"alert state must be one of {ALERT_STATES}, not {state!r}")
    started = alert.get("started_at", alert.get("opened_at"))
    opened_at = check_time("alert started_at", started)
    updated = alert.get("updated_at")
    updated_at = opened_at if updated is None else check_time("alert updated_at", updated)
    try:
        body = json.dumps(dict(alert), ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"alert is not JSON-serialisable: {exc}", type="invalid") from None
    return (
        check_required("alert id", alert.get("id")),
        check_required("alert room", alert.get("room")),
        check_required("alert detector", alert.get("detector")),
        check_required("alert severity", alert.get("severity")),
        state,
        opened_at,
        updated_at,
        check_time("alert resolved_at", alert.get("resolved_at"), optional=True),
        check_text("alert acked_by", alert.get("acked_by"), optional=True),
        check_time("alert acked_at", alert.get("acked_at"), optional=True),
        body,
    )


SQL_AUDIT: Final = (
    "INSERT INTO audit (ts, actor, role, action, target_kind, target_id, room, ok, error,"
    " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SQL_ALERT: Final = (
    "INSERT INTO alerts (id, room, detector, severity, state, opened_at, updated_at,"
    " resolved_at, acked_by, acked_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET room = excluded.room, detector = excluded.detector,"
    " severity = excluded.severity,"
    " state = CASE WHEN excluded.state = 'open'"
    " AND COALESCE(excluded.acked_by, alerts.acked_by) IS NOT NULL"
    " THEN 'acknowledged' ELSE excluded.state END,"
    " opened_at = MIN(alerts.opened_at, excluded.opened_at),"
    " updated_at = MAX(alerts.updated_at, excluded.updated_at),"
    " resolved_at = excluded.resolved_at,"
    " acked_by = COALESCE(excluded.acked_by, alerts.acked_by),"
    " acked_at = COALESCE(excluded.acked_at, alerts.acked_at),"
    " body = excluded.body"
)
SQL_ACTION: Final = (
    "INSERT INTO actions (ts, room, actor, action, comment_id, user_id, params, status,"
    " attempts, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?)"
)
SQL_FEEDBACK: Final = (
    "INSERT INTO feedback (ts, room, comment_id, user_id, text, predicted_label, label, kind,"
    " actor, action_id, sentiment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
TABLE_OF: Final = {
    SQL_AUDIT: "audit",
    SQL_ALERT: "alerts",
    SQL_ACTION: "actions",
    SQL_FEEDBACK: "feedback",
}

_Pending = tuple[str, tuple[Any, ...]]


def build_where(clauses: Sequence[tuple[str, object]]) -> tuple[str, list[object]]:
    used = [(sql, value) for sql, value in clauses if value is not None]
    if not used:
        return "", []
    return " WHERE " + " AND ".join(sql for sql, _ in used), [value for _, value in used]
