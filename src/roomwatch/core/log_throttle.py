"""Report a repeating failure at once, then at most once per interval.

A failure that repeats (a full disk, a stage that keeps raising) would
otherwise write the same log line many times a second. The caller asks
:meth:`LogThrottle.due` with its own clock value; time is passed in, so this
stays pure.
"""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["LogThrottle"]


class LogThrottle:
    """Per key: the first failure is due at once, later ones once per ``every_s``."""

    __slots__ = ("_held", "_last", "every_s")

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self._last: dict[Hashable, float] = {}
        self._held: dict[Hashable, int] = {}

    def due(self, key: Hashable, now: float) -> int | None:
        """None: hold this one back (it is counted). Otherwise report it now,
        saying how many were held back since the last report (0 or more)."""
        last = self._last.get(key)
        if last is not None and now - last < self.every_s:
            self._held[key] = self._held.get(key, 0) + 1
            return None
        self._last[key] = now
        return self._held.pop(key, 0)
