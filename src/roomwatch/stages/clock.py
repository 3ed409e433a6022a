"""Record time for live stages: the newest record's ``ts`` plus the wall time since.

Stages keep time from the records they see, so a replay decides exactly
like its live run; between records (a quiet room) wall time carries the
clock forward from the newest ``ts``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RecordClock"]


@dataclass(slots=True)
class RecordClock:
    monotonic: Callable[[], float] = time.monotonic
    #: The newest record ``ts`` seen (None before the first).
    ts: float | None = None
    #: ``monotonic()`` when it arrived.
    at: float = 0.0

    def advance(self, newest: float | None) -> None:
        """Note the newest ``ts`` of a batch (a no-op if it is not new)."""
        if newest is not None and newest != self.ts:
            self.ts = newest
            self.at = self.monotonic()

    def now(self, default: float = 0.0) -> float:
        """Record time now; ``default`` before the first record."""
        if self.ts is None:
            return default
        return self.ts + (self.monotonic() - self.at)

    def idle(self) -> float:
        """Wall seconds since the newest record arrived (0 before the first)."""
        return 0.0 if self.ts is None else self.monotonic() - self.at
