"""The ``actions`` table: outbound moderation actions and their delivery status.

``pending`` → ``sent`` / ``failed``, or ``undone``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roomwatch.store.errors import invalid
from roomwatch.store.params import SQL_ACTION, build_where, check_required, check_text, check_time
from roomwatch.store.rows import ActionRow, dumps
from roomwatch.store.schema import ACTION_STATUSES
from roomwatch.store.writer import StoreWriter

__all__ = ["ActionTable"]


class ActionTable(StoreWriter):
    """Writes and queries of the ``actions`` table."""

    async def add_action(
        self,
        *,
        ts: float,
        room: str,
        actor: str,
        action: str,
        comment_id: str | None = None,
        user_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        status: str = "pending",
    ) -> int:
        """Record an outbound moderation action; returns its id."""
        if status not in ACTION_STATUSES:
            raise invalid(f"status must be one of {ACTION_STATUSES}, not {status!r}")
        when = check_time("ts", ts)
        row = (
            when,
            check_text("room", room),
            check_required("actor", actor),
            check_required("action", action),
            check_text("comment_id", comment_id, optional=True),
            check_text("user_id", user_id, optional=True),
            dumps(params),
            status,
            when,
        )

        def job() -> int:
            with self._conn:
                cur = self._conn.execute(SQL_ACTION, row)
            self.metrics.writes.labels("actions").inc()
            return int(cur.lastrowid or 0)

        return await self._write("add_action", job)

    async def set_action_status(
        self,
        id: int,
        status: str,
        error: str | None = None,
        *,
        ts: float | None = None,
    ) -> bool:
        """Move an action to ``status``; False if there is no such action.

        ``sent`` and ``failed`` count a delivery attempt; ``error`` becomes
        ``last_error`` (``sent`` clears it).
        """
        if status not in ACTION_STATUSES:
            raise invalid(f"status must be one of {ACTION_STATUSES}, not {status!r}")
        when = check_time("ts", self._clock() if ts is None else ts)
        attempt = 1 if status in ("sent", "failed") else 0
        last_error = None if status == "sent" else check_text("error", error, optional=True)

        def job() -> bool:
            with self._conn:
                cur = self._conn.execute(
                    "UPDATE actions SET status = ?, attempts = attempts + ?,"
                    " last_error = CASE WHEN ? = 'sent' THEN NULL ELSE COALESCE(?, last_error)"
                    " END, updated_at = ? WHERE id = ?",
                    (status, attempt, status, last_error, when, int(id)),
                )
            if cur.rowcount:
                self.metrics.writes.labels("actions").inc()
            return cur.rowcount > 0

        return await self._write("set_action_status", job)

    async def action(self, id: int) -> ActionRow | None:
        """One action by id."""
        rows = await self._run(lambda: self._read("SELECT * FROM actions WHERE id = ?", [id]))
        return ActionRow._from_sql(rows[0]) if rows else None

    async def actions(
        self,
        room: str | None = None,
        status: str | None = None,
        limit: int = 200,
        *,
        user_id: str | None = None,
    ) -> list[ActionRow]:
        """Actions, newest first."""
        where, params = build_where(
            [("room = ?", room), ("status = ?", status), ("user_id = ?", user_id)]
        )
        sql = f"SELECT * FROM actions{where} ORDER BY ts DESC, id DESC LIMIT ?"
        params.append(max(0, int(limit)))
        rows = await self._run(lambda: self._read(sql, params))
        return [ActionRow._from_sql(r) for r in rows]
