"""The store sink: roomwatch's durable state in one SQLite file.

Four tables, one file (default ``var/roomwatch.sqlite3``, created with its
folder if missing):

``audit``
    Every human action (queue claims and answers, moderation, alert acks):
    who, with which role, did what to which target, when, and whether it
    worked. Exported as CSV for the moderator dashboard.
``alerts``
    Public-opinion alerts keyed by their stable id; open alerts survive a
    restart, resolved ones are the history. Acknowledgements live here too.
``actions``
    Outbound moderation actions (hide, mute, ban, ...) with their delivery
    status: ``pending`` → ``sent`` / ``failed``, or ``undone``.
``feedback``
    Moderators' "false positive" / "confirm" verdicts as labelled examples;
    :meth:`Store.export_feedback_jsonl` writes them in the training corpus
    format read by ``roomwatch train``.

Threading
    The store owns one worker thread (a single-thread executor) that holds
    the only connection. Every public coroutine runs its SQL there, so the
    event loop never waits on the disk. Work submitted to that thread runs in
    submission order.

Awaited and fire-and-forget writes
    ``await store.add_audit(...)`` / ``await store.upsert_alert(...)`` return
    once the row is committed and raise :class:`StoreError` if it was not.
    :meth:`Store.submit_audit`, :meth:`Store.submit_alert` and
    :meth:`Store.submit_queue_audit` are plain (non-async) calls that append
    to an in-memory backlog and never raise: a background task writes the
    backlog in one transaction every ``flush_interval_s`` (default 0.2 s) or
    as soon as ``batch_rows`` (default 500) rows are waiting. When the backlog
    holds ``max_backlog`` rows, further rows are dropped and counted as
    discarded events of the ``store`` component (``backlog_full``). Reads
    write the backlog first, so a read sees every row submitted before it.
    :meth:`Store.close` flushes.

Durability
    WAL journal with ``synchronous=NORMAL``: a committed row survives a
    process crash; a power loss may lose the last transactions but never
    corrupts the file. ``busy_timeout`` lets a second process (for example
    ``roomwatch feedback export`` while the service runs) use the same file.

Metrics (on the injected registry, declared in :mod:`roomwatch.metrics`)
    ``roomwatch_store_written_rows_total{table}`` rows committed; the
    component counters of ``sink``/``store``: ``errors_total{error_type}``
    failed operations (from :data:`ERROR_TYPES`), ``discarded_events_total
    {reason}`` rows lost (from :data:`DROP_REASONS`); and
    ``roomwatch_store_backlog_rows`` rows waiting.

Schema
    Versioned with SQLite's ``user_version``; :data:`MIGRATIONS` are applied
    forward at open, each in its own transaction. A file written by a newer
    roomwatch is refused with :class:`StoreError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, Protocol, TypeVar

from prometheus_client import CollectorRegistry

from roomwatch.errors import RoomwatchError
from roomwatch.metrics import StoreMetrics

__all__ = [
    "ACTION_STATUSES",
    "ALERT_STATES",
    "AUDIT_CSV_COLUMNS",
    "DROP_REASONS",
    "ERROR_TYPES",
    "FEEDBACK_KINDS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "ActionRow",
    "AuditRow",
    "FeedbackRow",
    "QueueAudit",
    "Store",
    "StoreError",
    "StoreMetrics",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

TABLES: Final = ("audit", "alerts", "actions", "feedback")
ACTION_STATUSES: Final = ("pending", "sent", "failed", "undone")
#: ``acknowledged`` is still active: open, but seen by someone.
ALERT_STATES: Final = ("open", "acknowledged", "resolved")
FEEDBACK_KINDS: Final = ("false_positive", "confirm")
#: Values of the store's ``error_type`` in ``roomwatch_component_errors_total``.
ERROR_TYPES: Final = (
    "busy",  # another connection held the lock past busy_timeout
    "disk_full",
    "readonly",
    "corrupt",
    "io",
    "constraint",
    "invalid",  # a submitted row could not be encoded (bad argument)
    "other",
)
#: Why a fire-and-forget row was lost (``reason`` of the store's discarded events).
DROP_REASONS: Final = ("closed", "backlog_full", "invalid", "write_failed", "row_rejected")
#: The training labels (``roomwatch.core.classify.LABELS``, without importing numpy).
_LABELS: Final = frozenset({"question", "grievance", "abuse", "spam", "chatter"})
_LOG_EVERY_S: Final = 60.0
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

#: Forward migrations: ``MIGRATIONS[n]`` takes the schema from version n to n + 1.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            target_kind TEXT NOT NULL,
            target_id TEXT NOT NULL,
            room TEXT NOT NULL,
            ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
            error TEXT,
            detail TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX audit_ts ON audit (ts)",
        "CREATE INDEX audit_room_ts ON audit (room, ts)",
        "CREATE INDEX audit_actor_ts ON audit (actor, ts)",
        """CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            room TEXT NOT NULL,
            detector TEXT NOT NULL,
            severity TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
            opened_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            resolved_at REAL,
            acked_by TEXT,
            acked_at REAL,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX alerts_open ON alerts (opened_at) WHERE state <> 'resolved'",
        "CREATE INDEX alerts_updated ON alerts (updated_at)",
        "CREATE INDEX alerts_room_updated ON alerts (room, updated_at)",
        """CREATE TABLE actions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,
            room TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            comment_id TEXT,
            user_id TEXT,
            params TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'sent', 'failed', 'undone')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX actions_status_ts ON actions (status, ts)",
        "CREATE INDEX actions_room_ts ON actions (room, ts)",
        "CREATE INDEX actions_room_user_ts ON actions (room, user_id, ts)",
        """CREATE TABLE feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,
            room TEXT NOT NULL,
            comment_id TEXT,
            user_id TEXT,
            text TEXT NOT NULL,
            predicted_label TEXT NOT NULL,
            label TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('false_positive', 'confirm')),
            actor TEXT NOT NULL,
            action_id INTEGER REFERENCES actions (id) ON DELETE SET NULL
        )""",
        "CREATE INDEX feedback_ts ON feedback (ts)",
        "CREATE INDEX feedback_room_user_ts ON feedback (room, user_id, ts)",
        "CREATE INDEX feedback_action ON feedback (action_id)",
    ),
    # 1 -> 2: the sentiment score the moderator saw with the verdict (NULL before).
    ("ALTER TABLE feedback ADD COLUMN sentiment REAL",),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


class StoreError(RoomwatchError):
    """The SQLite store cannot be opened, or an awaited operation failed.

    ``type`` is one of :data:`ERROR_TYPES` (it is also the metric label).
    """

    def __init__(self, message: str, *, type: str = "other") -> None:
        super().__init__(message)
        self.type = type


# -- rows --------------------------------------------------------------------


def _loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def _dumps(value: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(value or {}), ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One human action, as stored."""

    id: int
    ts: float
    actor: str
    role: str
    action: str
    target_kind: str
    target_id: str
    room: str
    ok: bool
    error: str | None
    detail: Mapping[str, Any]

    @classmethod
    def _from_sql(cls, r: sqlite3.Row) -> AuditRow:
        return cls(
            id=r["id"],
            ts=r["ts"],
            actor=r["actor"],
            role=r["role"],
            action=r["action"],
            target_kind=r["target_kind"],
            target_id=r["target_id"],
            room=r["room"],
            ok=bool(r["ok"]),
            error=r["error"],
            detail=_loads(r["detail"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts,
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target_kind": self.target_kind,
            "target_id": self.target_id,
            "room": self.room,
            "ok": self.ok,
            "error": self.error,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One outbound moderation action and its delivery status."""

    id: int
    ts: float
    room: str
    actor: str
    action: str
    comment_id: str | None
    user_id: str | None
    params: Mapping[str, Any]
    status: str
    attempts: int
    last_error: str | None
    updated_at: float

    @classmethod
    def _from_sql(cls, r: sqlite3.Row) -> ActionRow:
        return cls(
            id=r["id"],
            ts=r["ts"],
            room=r["room"],
            actor=r["actor"],
            action=r["action"],
            comment_id=r["comment_id"],
            user_id=r["user_id"],
            params=_loads(r["params"]),
            status=r["status"],
            attempts=r["attempts"],
            last_error=r["last_error"],
            updated_at=r["updated_at"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts,
            "room": self.room,
            "actor": self.actor,
            "action": self.action,
            "comment_id": self.comment_id,
            "user_id": self.user_id,
            "params": dict(self.params),
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One labelled example from a moderator's verdict."""

    id: int
    ts: float
    room: str
    comment_id: str | None
    user_id: str | None
    text: str
    predicted_label: str
    label: str
    kind: str
    actor: str
    action_id: int | None
    #: The model's sentiment score ([-1, 1]) shown with the item, if recorded.
    sentiment: float | None = None

    @classmethod
    def _from_sql(cls, r: sqlite3.Row) -> FeedbackRow:
        return cls(
            id=r["id"],
            ts=r["ts"],
            room=r["room"],
            comment_id=r["comment_id"],
            user_id=r["user_id"],
            text=r["text"],
            predicted_label=r["predicted_label"],
            label=r["label"],
            kind=r["kind"],
            actor=r["actor"],
            action_id=r["action_id"],
            sentiment=r["sentiment"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts,
            "room": self.room,
            "comment_id": self.comment_id,
            "user_id": self.user_id,
            "text": self.text,
            "predicted_label": self.predicted_label,
            "label": self.label,
            "kind": self.kind,
            "actor": self.actor,
            "action_id": self.action_id,
            "sentiment": self.sentiment,
        }

    def to_corpus(self) -> dict[str, Any]:
        """The training corpus line (see ``roomwatch.training.data.read_corpus``).

        ``sentiment`` is the class (-1, 0, 1) of the score the moderator saw
        (at or beyond ±:data:`SENTIMENT_CLASS_AT`), ``null`` when none was
        recorded (the sentiment head then skips the row); ``sentiment_score``
        is the score itself.
        """
        return {
            "text": self.text,
            "label": self.label,
            "sentiment": sentiment_class(self.sentiment),
            "sentiment_score": self.sentiment,
            "source": "feedback",
            "comment_id": self.comment_id,
            "room": self.room,
        }


#: A sentiment score at or beyond ± this is negative / positive in the corpus
#: (the alert detectors' default ``negative_sentiment`` is -0.3 too).
SENTIMENT_CLASS_AT: Final = 0.3


def _score(value: float | None) -> float | None:
    """A sentiment score clamped to [-1, 1]; None for None or NaN."""
    if value is None or not math.isfinite(float(value)):
        return None
    return max(-1.0, min(1.0, float(value)))


def sentiment_class(score: float | None) -> int | None:
    """-1, 0 or 1 for a sentiment score in [-1, 1]; None for None."""
    if score is None:
        return None
    if score <= -SENTIMENT_CLASS_AT:
        return -1
    return 1 if score >= SENTIMENT_CLASS_AT else 0


class QueueAudit(Protocol):
    """What :meth:`Store.submit_queue_audit` reads (``roomwatch.core.queue.AuditRecord``)."""

    @property
    def ts(self) -> float: ...
    @property
    def room(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def item_id(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def error(self) -> str | None: ...


def _error_type(exc: BaseException) -> str:
    if isinstance(exc, StoreError):
        return exc.type
    if isinstance(exc, sqlite3.IntegrityError):
        return "constraint"
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        message = str(exc).lower()
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in message:
            return "busy"
        if name == "SQLITE_FULL" or "disk is full" in message:
            return "disk_full"
        if name.startswith("SQLITE_READONLY") or "readonly" in message:
            return "readonly"
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in message:
            return "corrupt"
        if "not a database" in message:
            return "corrupt"
        if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or "unable to open" in message:
            return "io"
        if isinstance(exc, sqlite3.OperationalError):
            return "io"
        return "other"
    if isinstance(exc, OSError):
        return "io"
    if isinstance(exc, (TypeError, ValueError)):
        return "invalid"
    return "other"


# -- argument encoding (runs on the caller's thread) --------------------------


def _text(name: str, value: object, *, optional: bool = False) -> str | None:
    if value is None:
        if optional:
            return None
        raise StoreError(f"{name} is required", type="invalid")
    if not isinstance(value, str):
        raise StoreError(f"{name} must be a string, not {type(value).__name__}", type="invalid")
    return value


def _req(name: str, value: object) -> str:
    out = _text(name, value)
    assert out is not None
    if not out:
        raise StoreError(f"{name} must not be empty", type="invalid")
    return out


def _time(name: str, value: object, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StoreError(f"{name} must be epoch seconds (a number)", type="invalid")
    out = float(value)
    if not math.isfinite(out):
        raise StoreError(f"{name} must be finite", type="invalid")
    return out


def _audit_params(
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
        _time("ts", ts),
        _req("actor", actor),
        _text("role", role),
        _req("action", action),
        _req("target_kind", target_kind),
        _text("target_id", target_id),
        _text("room", room),
        1 if ok else 0,
        _text("error", error, optional=True),
        _dumps(detail),
    )


def _alert_params(alert: Mapping[str, Any]) -> tuple[Any, ...]:
    if not isinstance(alert, Mapping):
        raise StoreError("an alert must be a mapping", type="invalid")
    state = _req("alert state", alert.get("state"))
    if state not in ALERT_STATES:
        raise _invalid(f"alert state must be one of {ALERT_STATES}, not {state!r}")
    started = alert.get("started_at", alert.get("opened_at"))
    opened_at = _time("alert started_at", started)
    updated = alert.get("updated_at")
    updated_at = opened_at if updated is None else _time("alert updated_at", updated)
    try:
        body = json.dumps(dict(alert), ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"alert is not JSON-serialisable: {exc}", type="invalid") from None
    return (
        _req("alert id", alert.get("id")),
        _req("alert room", alert.get("room")),
        _req("alert detector", alert.get("detector")),
        _req("alert severity", alert.get("severity")),
        state,
        opened_at,
        updated_at,
        _time("alert resolved_at", alert.get("resolved_at"), optional=True),
        _text("alert acked_by", alert.get("acked_by"), optional=True),
        _time("alert acked_at", alert.get("acked_at"), optional=True),
        body,
    )


def _invalid(message: str) -> StoreError:
    return StoreError(message, type="invalid")


_SQL_AUDIT: Final = (
    "INSERT INTO audit (ts, actor, role, action, target_kind, target_id, room, ok, error,"
    " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQL_ALERT: Final = (
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
_SQL_ACTION: Final = (
    "INSERT INTO actions (ts, room, actor, action, comment_id, user_id, params, status,"
    " attempts, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?)"
)
_SQL_FEEDBACK: Final = (
    "INSERT INTO feedback (ts, room, comment_id, user_id, text, predicted_label, label, kind,"
    " actor, action_id, sentiment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_TABLE_OF: Final = {
    _SQL_AUDIT: "audit",
    _SQL_ALERT: "alerts",
    _SQL_ACTION: "actions",
    _SQL_FEEDBACK: "feedback",
}

_Pending = tuple[str, tuple[Any, ...]]
_Sink = str | PathLike[str] | IO[str]


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _where(clauses: Sequence[tuple[str, object]]) -> tuple[str, list[object]]:
    used = [(sql, value) for sql, value in clauses if value is not None]
    if not used:
        return "", []
    return " WHERE " + " AND ".join(sql for sql, _ in used), [value for _, value in used]


@contextlib.contextmanager
def _open_sink(sink: _Sink, *, bom: bool) -> Iterator[IO[str]]:
    """A text handle on ``sink``: a path is opened (and closed) here, a handle is borrowed."""
    if isinstance(sink, (str, PathLike)):
        path = Path(sink)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            yield fh
    else:
        if bom:
            sink.write("\ufeff")
        yield sink


# -- the store ---------------------------------------------------------------


class Store:
    """The SQLite store. Build it with ``await Store.open(path, registry=...)``."""

    def __init__(
        self,
        path: Path,
        *,
        metrics: StoreMetrics,
        executor: ThreadPoolExecutor,
        conn: sqlite3.Connection,
        clock: Callable[[], float],
        flush_interval_s: float,
        batch_rows: int,
        max_backlog: int,
    ) -> None:
        """Use :meth:`open`; this only wires already-opened parts together."""
        self.path = path
        self.metrics = metrics
        self._executor = executor
        self._conn = conn
        self._clock = clock
        self._flush_interval_s = flush_interval_s
        self._batch_rows = batch_rows
        self._max_backlog = max_backlog
        self._pending: list[_Pending] = []
        self._logged_at: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._flusher = self._loop.create_task(self._flush_loop(), name="roomwatch-store-flush")
        metrics.backlog.set_function(lambda: len(self._pending))

    # -- lifecycle -------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: str | PathLike[str],
        *,
        registry: CollectorRegistry | None = None,
        metrics: StoreMetrics | None = None,
        clock: Callable[[], float] = time.time,
        flush_interval_s: float = 0.2,
        batch_rows: int = 500,
        max_backlog: int = 50_000,
        busy_timeout_s: float = 5.0,
        integrity_check: bool = True,
    ) -> Store:
        """Open (creating if needed) and migrate the store at ``path``.

        Pass ``registry`` (the store declares its metrics on it) or an existing
        ``metrics`` (two stores in one process sharing a registry). Raises
        :class:`StoreError` if the file cannot be created, is not a SQLite
        database, is corrupt, is read-only, or has a newer schema.
        """
        if metrics is None:
            if registry is None:
                raise TypeError("Store.open() needs registry= or metrics=")
            metrics = StoreMetrics(
                registry, tables=TABLES, error_types=ERROR_TYPES, drop_reasons=DROP_REASONS
            )
        if flush_interval_s <= 0 or batch_rows < 1 or max_backlog < 1:
            raise ValueError("flush_interval_s, batch_rows and max_backlog must be positive")
        db_path = Path(path)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomwatch-store")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(
                executor, _connect, db_path, busy_timeout_s, integrity_check
            )
        except BaseException as exc:
            executor.shutdown(wait=False)
            if isinstance(exc, StoreError):
                metrics.errors.labels(exc.type).inc()
            raise
        return cls(
            db_path,
            metrics=metrics,
            executor=executor,
            conn=conn,
            clock=clock,
            flush_interval_s=flush_interval_s,
            batch_rows=batch_rows,
            max_backlog=max_backlog,
        )

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def backlog(self) -> int:
        """Fire-and-forget rows not yet handed to the worker thread."""
        return len(self._pending)

    async def close(self) -> None:
        """Write the backlog, close the connection and stop the worker. Idempotent."""
        if self._close_task is None:
            self._closed = True
            self._close_task = asyncio.ensure_future(self._close())
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        self._flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._flusher
        batch, self._pending = self._pending, []
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._shutdown_conn, batch)
        finally:
            self._executor.shutdown(wait=True)

    def _shutdown_conn(self, batch: list[_Pending]) -> None:
        self._write_batch(batch)
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA optimize")
        try:
            self._conn.close()
        except sqlite3.Error as exc:  # pragma: no cover - close hardly fails
            self._count_error(exc, "close")

    async def flush(self) -> None:
        """Write every row submitted so far; returns when they are committed (or dropped)."""
        await self._run(lambda: None)

    # -- plumbing --------------------------------------------------------

    async def _run(self, fn: Callable[[], _T]) -> _T:
        """Run ``fn`` on the worker thread after writing the backlog."""
        if self._closed:
            raise StoreError("the store is closed", type="other")
        batch, self._pending = self._pending, []

        def job() -> _T:
            self._write_batch(batch)
            return fn()

        return await self._loop.run_in_executor(self._executor, job)

    async def _write(self, what: str, fn: Callable[[], _T]) -> _T:
        """Run a write on the worker thread; count and wrap its failure."""

        def job() -> _T:
            try:
                return fn()
            except sqlite3.Error as exc:
                kind = self._count_error(exc, what)
                raise StoreError(f"store: {what} failed: {exc}", type=kind) from exc

        return await self._run(job)

    def _count_error(self, exc: BaseException, what: str) -> str:
        """Count a failure; log the first of each type, then one line per minute."""
        kind = _error_type(exc)
        self.metrics.errors.labels(kind).inc()
        now = time.monotonic()
        last = self._logged_at.get(kind)
        if last is None or now - last >= _LOG_EVERY_S:
            more = self._unlogged.pop(kind, 0)
            extra = f" (and {more} more since the last report)" if more else ""
            logger.warning("store: %s failed (%s): %s%s", what, kind, exc, extra)
            self._logged_at[kind] = now
        else:
            self._unlogged[kind] = self._unlogged.get(kind, 0) + 1
        return kind

    def _enqueue(self, sql: str, build: Callable[[], tuple[Any, ...]]) -> bool:
        try:
            if self._closed:
                self.metrics.dropped.labels("closed").inc()
                return False
            if len(self._pending) >= self._max_backlog:
                self.metrics.dropped.labels("backlog_full").inc()
                return False
            params = build()
            self._pending.append((sql, params))
            if len(self._pending) >= self._batch_rows:
                self._wake.set()
            return True
        except Exception as exc:  # never raise into the pipeline
            self._count_error(exc, "submit")
            self.metrics.dropped.labels("invalid").inc()
            return False

    async def _flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._flush_interval_s):
                    await self._wake.wait()
            self._wake.clear()
            if not self._pending:
                continue
            batch, self._pending = self._pending, []
            try:
                await self._loop.run_in_executor(self._executor, self._write_batch, batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # pragma: no cover - the executor went away
                self._count_error(exc, "flush")
                self.metrics.dropped.labels("write_failed").inc(len(batch))

    def _write_batch(self, batch: list[_Pending]) -> None:
        """Commit ``batch`` in one transaction (worker thread). Never raises."""
        if not batch:
            return
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            counts = self._apply(batch)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if not isinstance(exc, sqlite3.IntegrityError | sqlite3.InterfaceError):
                self._count_error(exc, f"batch of {len(batch)} rows")
                self.metrics.dropped.labels("write_failed").inc(len(batch))
                return
            # One bad row: keep the others, row by row.
            counts = self._apply_one_by_one(batch)
        for table, n in counts.items():
            self.metrics.writes.labels(table).inc(n)

    def _apply(self, batch: list[_Pending]) -> dict[str, int]:
        counts: dict[str, int] = {}
        i = 0
        while i < len(batch):
            sql = batch[i][0]
            j = i
            while j < len(batch) and batch[j][0] == sql:
                j += 1
            self._conn.executemany(sql, [params for _, params in batch[i:j]])
            table = _TABLE_OF[sql]
            counts[table] = counts.get(table, 0) + (j - i)
            i = j
        return counts

    def _apply_one_by_one(self, batch: list[_Pending]) -> dict[str, int]:
        counts: dict[str, int] = {}
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for sql, params in batch:
                conn.execute("SAVEPOINT row")
                try:
                    conn.execute(sql, params)
                except sqlite3.IntegrityError as exc:
                    conn.execute("ROLLBACK TO row")
                    self._count_error(exc, "row")
                    self.metrics.dropped.labels("row_rejected").inc()
                else:
                    counts[_TABLE_OF[sql]] = counts.get(_TABLE_OF[sql], 0) + 1
                conn.execute("RELEASE row")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            self._count_error(exc, "batch retry")
            self.metrics.dropped.labels("write_failed").inc(len(batch))
            return {}
        return counts

    def _read(self, sql: str, params: Sequence[object]) -> list[sqlite3.Row]:
        return self._conn.execute(sql, params).fetchall()

    # -- audit -----------------------------------------------------------

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
        params = _audit_params(
            ts, actor, role, action, target_kind, target_id, room, ok, error, detail
        )

        def job() -> int:
            with self._conn:
                cur = self._conn.execute(_SQL_AUDIT, params)
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
            _SQL_AUDIT,
            lambda: _audit_params(
                ts, actor, role, action, target_kind, target_id, room, ok, error, detail
            ),
        )

    def submit_queue_audit(self, record: QueueAudit, *, role: str = "") -> bool:
        """Queue a host-queue audit record (``roomwatch.core.queue.AuditRecord``).

        Fits ``TriageStage(audit=store.submit_queue_audit)``.
        """
        return self._enqueue(
            _SQL_AUDIT,
            lambda: _audit_params(
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
        where, params = _where(
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
        fh_or_path: _Sink,
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
            with _open_sink(fh_or_path, bom=True) as fh:
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

    async def _export(self, what: str, job: Callable[[], int]) -> int:
        def guarded() -> int:
            try:
                return job()
            except (sqlite3.Error, OSError) as exc:
                kind = self._count_error(exc, what)
                raise StoreError(f"store: {what} failed: {exc}", type=kind) from exc

        return await self._run(guarded)

    # -- alerts ----------------------------------------------------------

    async def upsert_alert(self, alert: Mapping[str, Any]) -> None:
        """Insert or update an alert by its ``id``; the mapping is kept as ``body``.

        An acknowledgement already stored is kept when the mapping has none.
        """
        params = _alert_params(alert)

        def job() -> None:
            with self._conn:
                self._conn.execute(_SQL_ALERT, params)
            self.metrics.writes.labels("alerts").inc()

        await self._write("upsert_alert", job)

    def submit_alert(self, alert: Mapping[str, Any]) -> bool:
        """Queue an alert upsert (batched, never raises). False if it was dropped."""
        return self._enqueue(_SQL_ALERT, lambda: _alert_params(alert))

    async def ack_alert(self, id: str, actor: str, ts: float | None = None) -> bool:
        """Acknowledge an alert; False if there is no alert with that id."""
        when = _time("ts", self._clock() if ts is None else ts)
        who = _req("actor", actor)

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
        body = _loads(r["body"])
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
        where, params = _where([("room = ?", room), ("updated_at >= ?", since)])
        sql = f"SELECT * FROM alerts{where} ORDER BY updated_at DESC, id LIMIT ?"
        params.append(max(0, int(limit)))
        rows = await self._run(lambda: self._read(sql, params))
        return [self._alert_dict(r) for r in rows]

    # -- actions ---------------------------------------------------------

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
            raise _invalid(f"status must be one of {ACTION_STATUSES}, not {status!r}")
        when = _time("ts", ts)
        row = (
            when,
            _text("room", room),
            _req("actor", actor),
            _req("action", action),
            _text("comment_id", comment_id, optional=True),
            _text("user_id", user_id, optional=True),
            _dumps(params),
            status,
            when,
        )

        def job() -> int:
            with self._conn:
                cur = self._conn.execute(_SQL_ACTION, row)
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
            raise _invalid(f"status must be one of {ACTION_STATUSES}, not {status!r}")
        when = _time("ts", self._clock() if ts is None else ts)
        attempt = 1 if status in ("sent", "failed") else 0
        last_error = None if status == "sent" else _text("error", error, optional=True)

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
        where, params = _where(
            [("room = ?", room), ("status = ?", status), ("user_id = ?", user_id)]
        )
        sql = f"SELECT * FROM actions{where} ORDER BY ts DESC, id DESC LIMIT ?"
        params.append(max(0, int(limit)))
        rows = await self._run(lambda: self._read(sql, params))
        return [ActionRow._from_sql(r) for r in rows]

    # -- feedback --------------------------------------------------------

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
        ``chatter``. Labels must be training labels.
        """
        if kind not in FEEDBACK_KINDS:
            raise _invalid(f"kind must be one of {FEEDBACK_KINDS}, not {kind!r}")
        if label is None:
            label = predicted_label if kind == "confirm" else "chatter"
        for name, value in (("label", label), ("predicted_label", predicted_label)):
            if value not in _LABELS:
                raise _invalid(f"{name} must be one of {sorted(_LABELS)}, not {value!r}")
        if kind == "false_positive" and label == predicted_label:
            raise _invalid("a false positive needs a label other than the predicted one")
        row = (
            _time("ts", ts),
            _text("room", room),
            _text("comment_id", comment_id, optional=True),
            _text("user_id", user_id, optional=True),
            _req("text", text),
            predicted_label,
            label,
            kind,
            _req("actor", actor),
            None if action_id is None else int(action_id),
            _score(sentiment),
        )

        def job() -> int:
            with self._conn:
                cur = self._conn.execute(_SQL_FEEDBACK, row)
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
        where, params = _where([("ts >= ?", since), ("room = ?", room)])
        sql = f"SELECT * FROM feedback{where} ORDER BY ts, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        rows = await self._run(lambda: self._read(sql, params))
        return [FeedbackRow._from_sql(r) for r in rows]

    async def export_feedback_jsonl(self, fh_or_path: _Sink, *, since: float | None = None) -> int:
        """Write feedback as training corpus JSON Lines; returns lines written.

        One line per comment: when a comment got several verdicts, the latest
        wins (a moderator may change their mind). Feedback without a
        ``comment_id`` is kept as is.
        """
        where, params = _where([("ts >= ?", since)])
        sql = (
            "SELECT * FROM feedback WHERE id IN (SELECT MAX(id) FROM feedback"
            f"{where} GROUP BY room, COALESCE(comment_id, 'row:' || id)) ORDER BY ts, id"
        )

        def job() -> int:
            n = 0
            with _open_sink(fh_or_path, bom=False) as fh:
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

    # -- users -----------------------------------------------------------

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


# -- opening (worker thread) -------------------------------------------------


def _connect(path: Path, busy_timeout_s: float, integrity_check: bool) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the store folder {path.parent}: {exc.strerror or exc}", type="io"
        ) from exc
    if path.exists() and not path.is_file():
        raise StoreError(f"store path {path} is not a file", type="io")
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=True
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store {path}: {exc}", type=_error_type(exc)) from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            logger.warning("store %s: journal mode is %s, not WAL", path, mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if integrity_check:
            result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if result != "ok":
                raise StoreError(f"store {path} is corrupt: {result}", type="corrupt")
        _migrate(conn, path)
        # Prove the file is writable now rather than at the first audit.
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(sqlite3.Error):
            conn.close()
        if isinstance(exc, StoreError):
            raise
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"cannot open the store {path}: {exc}", type=_error_type(exc)) from exc
        raise
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    while True:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {path} has schema version {version}; this roomwatch knows up to "
                f"{SCHEMA_VERSION} (it was written by a newer roomwatch)",
                type="other",
            )
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) == version:
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        logger.info("store %s: migrated schema %d -> %d", path, version, version + 1)
