"""The error every reader of recordings and import files raises, and the warning callback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

from roomwatch.core.errors import RoomwatchError

__all__ = ["RecordingError", "Skip", "Warn", "by_reason", "ignore"]

#: Called with one human-readable line per skipped or damaged part of a file.
Warn = Callable[[str], None]
#: Called with a short reason (``bad_ts``, ``too_long``, ...) per item of a file
#: that was skipped, including those past the detailed warnings.
Skip = Callable[[str], None]


class RecordingError(RoomwatchError):
    """A recording or import file cannot be read at all (missing, unknown format)."""


def ignore(message: str) -> None:
    pass


def by_reason(counts: Mapping[str, int]) -> str:
    """``counts`` of skipped items as people read them: "3 bad_ts, 1 bad_value",
    the most common first."""
    return ", ".join(f"{n} {reason}" for reason, n in Counter(counts).most_common())
