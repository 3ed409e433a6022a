"""The ``rooms`` table: rooms added, changed or removed at run time.

One row per room: its section as JSON (what ``PUT /admin/rooms/{room}``
accepted), or NULL for a room removed with ``DELETE``, so a room removed
at run time stays removed over the file's ``[rooms]`` after a restart
(docs/rooms.md). Writes are awaited: the admin API answers once the row is
committed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from roomwatch.store.params import check_required, check_time
from roomwatch.store.writer import StoreWriter

__all__ = ["RoomTable"]

_UPSERT = (
    "INSERT INTO rooms (room, body, updated_at, updated_by) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (room) DO UPDATE SET body = excluded.body, "
    "updated_at = excluded.updated_at, updated_by = excluded.updated_by"
)


class RoomTable(StoreWriter):
    """Writes and reads of the ``rooms`` table."""

    async def save_room(
        self, room: str, body: Mapping[str, Any] | None, *, ts: float, actor: str
    ) -> None:
        """Keep ``room``'s section (``None``: the room was removed); returns once committed."""
        params = (
            check_required("room", room),
            None if body is None else json.dumps(body, ensure_ascii=False, sort_keys=True),
            check_time("ts", ts),
            check_required("actor", actor),
        )

        def job() -> None:
            with self._conn:
                self._conn.execute(_UPSERT, params)
            self.metrics.writes.labels("rooms").inc()

        await self._write("save_room", job)

    async def saved_rooms(self) -> dict[str, dict[str, Any] | None]:
        """Every room changed at run time: its section, or None if it was removed."""

        def job() -> dict[str, dict[str, Any] | None]:
            rows = self._read("SELECT room, body FROM rooms ORDER BY room", [])
            return {r["room"]: None if r["body"] is None else json.loads(r["body"]) for r in rows}

        return await self._run(job)
