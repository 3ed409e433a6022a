"""The store's tables: their schema, its forward migrations, and opening the file.

Versioned with SQLite's ``user_version``; :data:`MIGRATIONS` are applied
forward at open, each in its own transaction. A file written by a newer
roomwatch is refused with :class:`~roomwatch.store.errors.StoreError`.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path
from typing import Final

from roomwatch.store.errors import StoreError, error_type

__all__ = [
    "ACTION_STATUSES",
    "ALERT_STATES",
    "FEEDBACK_KINDS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "connect",
]

logger = logging.getLogger("roomwatch.store")

TABLES: Final = ("audit", "alerts", "actions", "feedback", "rooms")
ACTION_STATUSES: Final = ("pending", "sent", "failed", "undone")
#: ``acknowledged`` is still active: open, but seen by someone.
ALERT_STATES: Final = ("open", "acknowledged", "resolved")
FEEDBACK_KINDS: Final = ("false_positive", "confirm", "missed")

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
    # 2 -> 3: rooms added, changed or removed at run time (PUT / DELETE
    # /admin/rooms/{room}); a NULL body is a room removed (docs/rooms.md).
    (
        """CREATE TABLE rooms (
            room TEXT PRIMARY KEY,
            body TEXT,
            updated_at REAL NOT NULL,
            updated_by TEXT NOT NULL
        )""",
    ),
    # 3 -> 4: kind 'missed', an insult or ad the model let through that a
    # moderator acted on from the stream (SQLite cannot change a CHECK
    # constraint in place: the table is rebuilt, rows and ids kept).
    (
        """CREATE TABLE feedback_4 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,
            room TEXT NOT NULL,
            comment_id TEXT,
            user_id TEXT,
            text TEXT NOT NULL,
            predicted_label TEXT NOT NULL,
            label TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('false_positive', 'confirm', 'missed')),
            actor TEXT NOT NULL,
            action_id INTEGER REFERENCES actions (id) ON DELETE SET NULL,
            sentiment REAL
        )""",
        "INSERT INTO feedback_4 (id, ts, room, comment_id, user_id, text, predicted_label,"
        " label, kind, actor, action_id, sentiment) SELECT id, ts, room, comment_id, user_id,"
        " text, predicted_label, label, kind, actor, action_id, sentiment FROM feedback",
        # (AUTOINCREMENT never reuses an id, not even one an undo deleted.)
        "DELETE FROM sqlite_sequence WHERE name = 'feedback_4'",
        "INSERT INTO sqlite_sequence (name, seq)"
        " SELECT 'feedback_4', seq FROM sqlite_sequence WHERE name = 'feedback'",
        "DROP TABLE feedback",
        "ALTER TABLE feedback_4 RENAME TO feedback",
        "CREATE INDEX feedback_ts ON feedback (ts)",
        "CREATE INDEX feedback_room_user_ts ON feedback (room, user_id, ts)",
        "CREATE INDEX feedback_action ON feedback (action_id)",
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def connect(path: Path, busy_timeout_s: float, integrity_check: bool) -> sqlite3.Connection:
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
        raise StoreError(f"cannot open the store {path}: {exc}", type=error_type(exc)) from exc
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
            raise StoreError(f"cannot open the store {path}: {exc}", type=error_type(exc)) from exc
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
