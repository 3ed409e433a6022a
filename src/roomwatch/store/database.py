"""The store: the tables' writes and queries over one writer, plus reads across them."""

from __future__ import annotations

from typing import Any

from roomwatch.store.actions import ActionTable
from roomwatch.store.alerts import AlertTable
from roomwatch.store.audit import AuditTable
from roomwatch.store.feedback import FeedbackTable
from roomwatch.store.rooms import RoomTable
from roomwatch.store.rows import ActionRow, FeedbackRow

__all__ = ["Store"]


class Store(AuditTable, AlertTable, ActionTable, FeedbackTable, RoomTable):
    """The SQLite store. Build it with ``await Store.open(path, registry=...)``."""

    async def user_history(self, room: str, user_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """A user's recent moderation actions and feedback in ``room``, newest first.

        Each item is the row's ``to_dict()`` plus ``"type"``: ``action`` or
        ``feedback``.
        """
        n = max(0, int(limit))

        def job() -> list[dict[str, Any]]:
            acts = self._read(
                "SELECT * FROM actions WHERE room = ? AND user_id = ? ORDER BY ts DESC, id DESC"
                " LIMIT ?",
                [room, user_id, n],
            )
            fbs = self._read(
                "SELECT * FROM feedback WHERE room = ? AND user_id = ? ORDER BY ts DESC, id DESC"
                " LIMIT ?",
                [room, user_id, n],
            )
            items = [{"type": "action", **ActionRow._from_sql(r).to_dict()} for r in acts]
            items += [{"type": "feedback", **FeedbackRow._from_sql(r).to_dict()} for r in fbs]
            items.sort(key=lambda d: d["ts"], reverse=True)
            return items[:n]

        return await self._run(job)
