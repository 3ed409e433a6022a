"""The ``audit`` table: every human action (queue claims and answers, moderation, alert acks).

Who, with which role, did what to which target, when, and whether it worked.
Exported as CSV for the moderator dashboard.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from roomwatch.store.params import SQL_AUDIT, audit_params, build_where
from roomwatch.store.rows import AuditRow, QueueAudit
from roomwatch.store.writer import Sink, StoreWriter, open_sink

__all__ = ["AUDIT_CSV_COLUMNS", "AuditTable"]

_FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")

AUDIT_CSV_COLUMNS: Final = (
    "id",
    "time_utc",
    "ts",
    "actor",
    "role",
    "action",
    "target_kind",
    "target_id",
    "room",
    "ok",
    "error",
    "detail",
)


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


class AuditTable(StoreWriter):
    """Writes and queries of the ``audit`` table."""

    async def add_audit(
        self,
        *,
        ts: float,
        actor: str,
        role: str,
        action: str,
        target_kind: str,
        target_id: str,
        room: str,
        ok: bool = True,
        error: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Record one human action; returns its id once committed."""
        params = audit_params(
            ts, actor, role, action, target_kind, target_id, room, ok, error, detail
        )

        def job() -> int:
            with self._conn:
                cur = self._conn.execute(SQL_AUDIT, params)
            self.metrics.writes.labels("audit").inc()
            return int(cur.lastrowid or 0)

        return await self._write("add_audit", job)

    def submit_audit(
        self,
        *,
        ts: float,
        actor: str,
        role: str,
        action: str,
        target_kind: str,
        target_id: str,
        room: str,
        ok: bool = True,
        error: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> bool:
        """Queue one audit row (batched, never raises). False if it was dropped."""
        return self._enqueue(
            SQL_AUDIT,
            lambda: audit_params(
                ts, actor, role, action, target_kind, target_id, room, ok, error, detail
            ),
        )

    def submit_queue_audit(self, record: QueueAudit, *, role: str = "") -> bool:
        """Queue a host-queue audit record (``roomwatch.core.queue.AuditRecord``).

        Fits ``TriageStage(audit=store.submit_queue_audit)``.
        """
        return self._enqueue(
            SQL_AUDIT,
            lambda: audit_params(
                record.ts,
                record.actor,
                role,
                record.action,
                "queue_item",
                record.item_id,
                record.room,
                record.ok,
                record.error,
                None,
            ),
        )

    def _audit_query(
        self,
        room: str | None,
        since: float | None,
        until: float | None,
        actor: str | None,
        limit: int | None,
        rooms: Sequence[str] | None = None,
    ) -> tuple[str, list[object]]:
        where, params = build_where(
            [("room = ?", room), ("ts >= ?", since), ("ts < ?", until), ("actor = ?", actor)]
        )
        if rooms is not None:
            # Only these rooms (a room-scoped token's export); none: no rows.
            allowed = sorted(set(rooms))
            marks = ", ".join("?" * len(allowed)) or "NULL"
            where += (" AND" if where else " WHERE") + f" room IN ({marks})"
            params.extend(allowed)
        sql = f"SELECT * FROM audit{where} ORDER BY ts DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        return sql, params

    async def audits(
        self,
        room: str | None = None,
        since: float | None = None,
        until: float | None = None,
        actor: str | None = None,
        limit: int = 1000,
    ) -> list[AuditRow]:
        """Audit rows, newest first; ``since`` inclusive, ``until`` exclusive."""
        sql, params = self._audit_query(room, since, until, actor, limit)
        rows = await self._run(lambda: self._read(sql, params))
        return [AuditRow._from_sql(r) for r in rows]

    async def export_audits_csv(
        self,
        fh_or_path: Sink,
        *,
        room: str | None = None,
        since: float | None = None,
        until: float | None = None,
        actor: str | None = None,
        limit: int | None = None,
        rooms: Sequence[str] | None = None,
    ) -> int:
        """Write audit rows (newest first) as CSV; returns the number of data rows.

        ``rooms`` (when not None) keeps only rows of those rooms.

        UTF-8 with a BOM (Excel then reads Chinese correctly), a header row,
        ``\\r\\n`` line ends. A text cell starting with ``= + - @``, tab or
        CR gets a leading ``'`` so spreadsheets do not run it as a formula.
        A handle should be opened with ``newline=""``; the BOM is written to
        it too.
        """
        sql, params = self._audit_query(room, since, until, actor, limit, rooms)

        def job() -> int:
            n = 0
            with open_sink(fh_or_path, bom=True) as fh:
                writer = csv.writer(fh)
                writer.writerow(AUDIT_CSV_COLUMNS)
                for r in self._conn.execute(sql, params):
                    when = datetime.fromtimestamp(r["ts"], UTC).isoformat(timespec="milliseconds")
                    cells = (
                        r["id"],
                        when.replace("+00:00", "Z"),
                        repr(r["ts"]),
                        r["actor"],
                        r["role"],
                        r["action"],
                        r["target_kind"],
                        r["target_id"],
                        r["room"],
                        "true" if r["ok"] else "false",
                        r["error"] or "",
                        r["detail"],
                    )
                    writer.writerow([_csv_cell(c) for c in cells])
                    n += 1
            return n

        return await self._export("export_audits_csv", job)
