"""The ``alerts`` table: public-opinion alerts keyed by their stable id.

Open alerts survive a restart, resolved ones are the history.
Acknowledgements live here too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from roomwatch.store.params import SQL_ALERT, alert_params, build_where, check_required, check_time
from roomwatch.store.rows import loads
from roomwatch.store.writer import StoreWriter

__all__ = ["AlertTable"]


class AlertTable(StoreWriter):
    """Writes and queries of the ``alerts`` table."""

    async def upsert_alert(self, alert: Mapping[str, Any]) -> None:
        """Insert or update an alert by its ``id``; the mapping is kept as ``body``.

        An acknowledgement already stored is kept when the mapping has none.
        """
        params = alert_params(alert)

        def job() -> None:
            with self._conn:
                self._conn.execute(SQL_ALERT, params)
            self.metrics.writes.labels("alerts").inc()

        await self._write("upsert_alert", job)

    def submit_alert(self, alert: Mapping[str, Any]) -> bool:
        """Queue an alert upsert (batched, never raises). False if it was dropped."""
        return self._enqueue(SQL_ALERT, lambda: alert_params(alert))

    async def ack_alert(self, id: str, actor: str, ts: float | None = None) -> bool:
        """Acknowledge an alert; False if there is no alert with that id."""
        when = check_time("ts", self._clock() if ts is None else ts)
        who = check_required("actor", actor)

        def job() -> bool:
            with self._conn:
                cur = self._conn.execute(
                    "UPDATE alerts SET acked_by = ?, acked_at = ?,"
                    " state = CASE WHEN state = 'open' THEN 'acknowledged' ELSE state END"
                    " WHERE id = ?",
                    (who, when, id),
                )
            return cur.rowcount > 0

        return await self._write("ack_alert", job)

    @staticmethod
    def _alert_dict(r: sqlite3.Row) -> dict[str, Any]:
        body = loads(r["body"])
        body.update(
            id=r["id"],
            room=r["room"],
            detector=r["detector"],
            severity=r["severity"],
            state=r["state"],
            updated_at=r["updated_at"],
            resolved_at=r["resolved_at"],
            acked_by=r["acked_by"],
            acked_at=r["acked_at"],
        )
        body.setdefault("started_at", r["opened_at"])
        return body

    async def open_alerts(self, room: str | None = None) -> list[dict[str, Any]]:
        """Alerts not resolved (oldest first): the dicts last upserted, with acks applied."""
        # A literal, not a parameter, so SQLite uses the partial index alerts_open.
        sql = "SELECT * FROM alerts WHERE state <> 'resolved'"
        params: list[object] = []
        if room is not None:
            sql += " AND room = ?"
            params.append(room)
        sql += " ORDER BY opened_at, id"
        rows = await self._run(lambda: self._read(sql, params))
        return [self._alert_dict(r) for r in rows]

    async def alert_history(
        self, room: str | None = None, since: float | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Alerts of any state updated at or after ``since``, most recently updated first."""
        where, params = build_where([("room = ?", room), ("updated_at >= ?", since)])
        sql = f"SELECT * FROM alerts{where} ORDER BY updated_at DESC, id LIMIT ?"
        params.append(max(0, int(limit)))
        rows = await self._run(lambda: self._read(sql, params))
        return [self._alert_dict(r) for r in rows]
