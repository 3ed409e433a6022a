"""The store: roomwatch's durable state in one SQLite file (its own layer, not a sink).

Five tables, one file (default ``var/roomwatch.sqlite3``, created with its
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
``rooms``
    Rooms added, changed or removed at run time (``/admin/rooms``), merged
    over the file's ``[rooms]`` at start (docs/rooms.md).

Modules
    :mod:`~roomwatch.store.schema` the tables, their migrations and opening
    the file; :mod:`~roomwatch.store.writer` the worker thread, the batched
    write path and closing; :mod:`~roomwatch.store.audit`,
    :mod:`~roomwatch.store.alerts`, :mod:`~roomwatch.store.actions` and
    :mod:`~roomwatch.store.feedback` and :mod:`~roomwatch.store.rooms` one
    table's writes and queries each;
    :mod:`~roomwatch.store.database` the :class:`Store` that combines them;
    :mod:`~roomwatch.store.rows` the row values;
    :mod:`~roomwatch.store.params` argument checks and INSERT statements;
    :mod:`~roomwatch.store.errors` error types and drop reasons (the
    metrics themselves are declared in :mod:`roomwatch.metrics`).

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

from roomwatch.store.audit import AUDIT_CSV_COLUMNS
from roomwatch.store.database import Store
from roomwatch.store.errors import DROP_REASONS, ERROR_TYPES, StoreError
from roomwatch.store.rows import (
    SENTIMENT_CLASS_AT,
    ActionRow,
    AuditRow,
    FeedbackRow,
    QueueAudit,
    sentiment_class,
)
from roomwatch.store.schema import (
    ACTION_STATUSES,
    ALERT_STATES,
    FEEDBACK_KINDS,
    MIGRATIONS,
    SCHEMA_VERSION,
    TABLES,
)

__all__ = [
    "ACTION_STATUSES",
    "ALERT_STATES",
    "AUDIT_CSV_COLUMNS",
    "DROP_REASONS",
    "ERROR_TYPES",
    "FEEDBACK_KINDS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SENTIMENT_CLASS_AT",
    "TABLES",
    "ActionRow",
    "AuditRow",
    "FeedbackRow",
    "QueueAudit",
    "Store",
    "StoreError",
    "sentiment_class",
]
