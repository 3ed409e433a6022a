"""Why a store operation failed: :class:`StoreError` and its ``type`` label."""

from __future__ import annotations

import sqlite3
from typing import Final

from roomwatch.core.errors import RoomwatchError

__all__ = ["DROP_REASONS", "ERROR_TYPES", "StoreError", "error_type", "invalid"]

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


class StoreError(RoomwatchError):
    """The SQLite store cannot be opened, or an awaited operation failed.

    ``type`` is one of :data:`ERROR_TYPES` (it is also the metric label).
    """

    def __init__(self, message: str, *, type: str = "other") -> None:
        super().__init__(message)
        self.type = type


# -- rows --------------------------------------------------------------------


def error_type(exc: BaseException) -> str:
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


def invalid(message: str) -> StoreError:
    return StoreError(message, type="invalid")
