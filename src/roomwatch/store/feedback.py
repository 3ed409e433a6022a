"""The ``feedback`` table: moderators' "false positive" / "confirm" verdicts,
and the insults and ads the model missed that they acted on ("missed").

Labelled examples; :meth:`FeedbackTable.export_feedback_jsonl` writes them in
the training corpus format read by ``roomwatch train``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from roomwatch.store.errors import invalid
from roomwatch.store.params import (
    LABELS,
    SQL_FEEDBACK,
    build_where,
    check_required,
    check_text,
    check_time,
)
from roomwatch.store.rows import FeedbackRow, clamp_score
from roomwatch.store.schema import FEEDBACK_KINDS
from roomwatch.store.writer import Sink, StoreWriter, open_sink

__all__ = ["FeedbackTable"]


class FeedbackTable(StoreWriter):
    """Writes and queries of the ``feedback`` table."""

    async def add_feedback(
        self,
        *,
        ts: float,
        room: str,
        text: str,
        predicted_label: str,
        kind: str,
        actor: str,
        label: str | None = None,
        comment_id: str | None = None,
        user_id: str | None = None,
        action_id: int | None = None,
        sentiment: float | None = None,
    ) -> int:
        """Store a moderator's verdict as a labelled example; returns its id.

        ``sentiment`` is the model's score shown with the item (kept for the
        export).

        ``kind="confirm"``: the label defaults to ``predicted_label``.
        ``kind="false_positive"``: the label is the corrected one, default
        ``chatter``. ``kind="missed"``: a comment the model let through (its
        ``predicted_label``) that a moderator hid, or whose writer they muted
        or banned, giving its ``label`` (abuse or spam). Labels must be
        training labels.
        """
        if kind not in FEEDBACK_KINDS:
            raise invalid(f"kind must be one of {FEEDBACK_KINDS}, not {kind!r}")
        if label is None:
            if kind == "missed":
                raise invalid("a missed verdict needs the label the model missed")
            label = predicted_label if kind == "confirm" else "chatter"
        for name, value in (("label", label), ("predicted_label", predicted_label)):
            if value not in LABELS:
                raise invalid(f"{name} must be one of {sorted(LABELS)}, not {value!r}")
        if kind in ("false_positive", "missed") and label == predicted_label:
            what = "false positive" if kind == "false_positive" else "missed verdict"
            raise invalid(f"a {what} needs a label other than the predicted one")
        row = (
            check_time("ts", ts),
            check_text("room", room),
            check_text("comment_id", comment_id, optional=True),
            check_text("user_id", user_id, optional=True),
            check_required("text", text),
            predicted_label,
            label,
            kind,
            check_required("actor", actor),
            None if action_id is None else int(action_id),
            clamp_score(sentiment),
        )

        def job() -> int:
            with self._conn:
                cur = self._conn.execute(SQL_FEEDBACK, row)
            self.metrics.writes.labels("feedback").inc()
            return int(cur.lastrowid or 0)

        return await self._write("add_feedback", job)

    async def delete_feedback(self, ids: Sequence[int]) -> int:
        """Delete feedback rows by id (a moderator undid the verdict); returns rows deleted."""
        params = [int(i) for i in ids]

        def job() -> int:
            with self._conn:
                cur = self._conn.executemany(
                    "DELETE FROM feedback WHERE id = ?", [(i,) for i in params]
                )
            self.metrics.writes.labels("feedback").inc(len(params))
            return int(cur.rowcount)

        return await self._write("delete_feedback", job)

    async def feedback(
        self, since: float | None = None, *, room: str | None = None, limit: int | None = None
    ) -> list[FeedbackRow]:
        """Feedback rows, oldest first."""
        where, params = build_where([("ts >= ?", since), ("room = ?", room)])
        sql = f"SELECT * FROM feedback{where} ORDER BY ts, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        rows = await self._run(lambda: self._read(sql, params))
        return [FeedbackRow._from_sql(r) for r in rows]

    async def export_feedback_jsonl(self, fh_or_path: Sink, *, since: float | None = None) -> int:
        """Write feedback as training corpus JSON Lines; returns lines written.

        One line per comment: when a comment got several verdicts, the latest
        wins (a moderator may change their mind). Feedback without a
        ``comment_id`` is kept as is.
        """
        where, params = build_where([("ts >= ?", since)])
        sql = (
            "SELECT * FROM feedback WHERE id IN (SELECT MAX(id) FROM feedback"
            f"{where} GROUP BY room, COALESCE(comment_id, 'row:' || id)) ORDER BY ts, id"
        )

        def job() -> int:
            n = 0
            with open_sink(fh_or_path, bom=False) as fh:
                for r in self._conn.execute(sql, params):
                    line = json.dumps(
                        FeedbackRow._from_sql(r).to_corpus(),
                        ensure_ascii=False,
                        separators=(",", ":"),
                    )
                    fh.write(line + "\n")
                    n += 1
            return n

        return await self._export("export_feedback_jsonl", job)
