"""The gateway's spool: accepted records on their way to Redis, in order, bounded.

Every accepted record goes through it. While Redis answers it is a short
in-memory queue that the sender empties in batches. While Redis is away the
records stay, and are also appended to a file (``streams.spool_path``), so a
gateway that dies during the outage sends them on its next start; a record
sent twice that way is counted once by the workers (its acceptance key).
When ``spool_max`` records wait, new ones are refused (:class:`SpoolFull`),
never dropped.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from pathlib import Path
from typing import IO

from roomwatch.core.errors import RoomwatchError

__all__ = ["Spool", "SpoolFull"]

logger = logging.getLogger(__name__)


class SpoolFull(RoomwatchError):
    """The spool holds ``spool_max`` records; the record was not accepted."""


class Spool:
    """A FIFO of encoded entries (see :func:`roomwatch.streams.layout.encode_entry`)."""

    def __init__(self, path: str | None, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: deque[tuple[int, str]] = deque()
        self._path = Path(path) if path else None
        self._file: IO[str] | None = None
        #: Whether entries are also being written to the file (Redis is away).
        self.persisting = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        return len(self._items) >= self.max_entries

    def load(self) -> list[str]:
        """Lines a previous run left in the file (sent first, in order)."""
        if self._path is None or not self._path.exists():
            return []
        lines = [ln for ln in self._path.read_text(encoding="utf-8").splitlines() if ln]
        if lines:
            logger.warning(
                "spool: %d records left from a previous run; sending them first", len(lines)
            )
            self.persisting = True
        return lines

    def push(self, shard: int, line: str) -> None:
        if self.full:
            raise SpoolFull(f"the spool holds {self.max_entries} records; try again later")
        self._items.append((shard, line))
        if self.persisting:
            self._append([line])

    def peek(self, n: int) -> list[tuple[int, str]]:
        return [self._items[i] for i in range(min(n, len(self._items)))]

    def pop(self, n: int) -> None:
        for _ in range(min(n, len(self._items))):
            self._items.popleft()
        if self.persisting and not self._items:
            self._truncate()

    def persist(self) -> None:
        """Redis is away: write what is held to the file, and every record after it."""
        if self.persisting or self._path is None:
            return
        self.persisting = True
        self._append([line for _, line in self._items])

    def _append(self, lines: list[str]) -> None:
        if self._path is None:
            return
        try:
            if self._file is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self._path, "a", encoding="utf-8")  # noqa: SIM115
            self._file.write("".join(line + "\n" for line in lines))
            self._file.flush()
        except OSError as exc:
            logger.error("spool: cannot write %s: %s (records stay in memory)", self._path, exc)

    def _truncate(self) -> None:
        """Everything is in Redis: the file starts empty again."""
        self.persisting = False
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            with contextlib.suppress(OSError):
                os.truncate(self._path, 0)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
