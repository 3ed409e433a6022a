"""Alert rows: the latest known state of each alert, from the alert events
handed to :meth:`~roomwatch.report.build.ReportBuilder.add_alert`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

from roomwatch.core.alerts import SEVERITY_RANK
from roomwatch.report.counters import clip
from roomwatch.report.values import AlertRow

__all__ = ["AlertRows", "SupportsToDict"]


class SupportsToDict(Protocol):
    def to_dict(self) -> Mapping[str, Any]: ...


class AlertRows:
    def __init__(self, max_alerts: int) -> None:
        self._max = max_alerts
        #: Alert id -> its row (as a dict until :meth:`rows`).
        self.rows_by_id: dict[str, dict[str, Any]] = {}
        #: Malformed events, and events past ``max_alerts``.
        self.ignored = 0

    def add(self, event: Mapping[str, Any] | SupportsToDict) -> None:
        """Record an alert event (``open`` / ``update`` / ``resolve`` / ``ack``).

        Takes the hub's wire form ``{"type", "ts", "alert": {...}}``, an
        :class:`~roomwatch.core.alerts.AlertEvent`, or a flat dict with at
        least ``id``, ``severity``, ``detector``, ``room``, ``started_at`` (or
        ``ts``) and ``summary``. Malformed events are ignored and counted in
        ``extra["alerts_ignored"]``.
        """
        raw: Mapping[str, Any] = event if isinstance(event, Mapping) else event.to_dict()
        kind = str(raw.get("type") or raw.get("kind") or raw.get("event") or "")
        body = raw.get("alert")
        alert: Mapping[str, Any] = body if isinstance(body, Mapping) else raw
        alert_id = alert.get("id")
        ts = _as_float(raw.get("ts"))
        started = _as_float(alert.get("started_at"))
        if started is None:
            started = ts
        if alert_id is None or started is None:
            self.ignored += 1
            return
        key = str(alert_id)
        row = self.rows_by_id.get(key)
        if row is None:
            if len(self.rows_by_id) >= self._max:
                self.ignored += 1
                return
            row = self.rows_by_id[key] = {
                "id": key,
                "room": "",
                "detector": "",
                "severity": "info",
                "state": "open",
                "started_at": started,
                "resolved_at": None,
                "summary": "",
                "updates": 0,
            }
        else:
            row["updates"] += 1
        for name in ("room", "detector", "summary"):
            value = alert.get(name)
            if value is not None:
                row[name] = clip(str(value), 300)
        severity = str(alert.get("severity") or row["severity"])
        if SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(row["severity"], 0):
            row["severity"] = severity
        row["started_at"] = min(row["started_at"], started)
        state = alert.get("state")
        if kind == "resolve" or state == "resolved":
            row["state"] = "resolved"
            resolved = _as_float(alert.get("resolved_at"))
            row["resolved_at"] = resolved if resolved is not None else ts
        elif isinstance(state, str) and row["state"] != "resolved":
            row["state"] = clip(state, 20)

    def rows(self) -> tuple[AlertRow, ...]:
        """Every alert, oldest first."""
        rows = [AlertRow(**r) for r in self.rows_by_id.values()]
        rows.sort(key=lambda a: (a.started_at, a.id))
        return tuple(rows)


def _as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None
