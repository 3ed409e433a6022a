"""Flood control: how many comments one user may post in one room.

Pure: time is the records' ``ts``, so a replay sheds exactly what the live
run shed. A token bucket per (room, user) (:mod:`roomwatch.core.token_bucket`):
``rate`` comments per second sustained, ``burst`` at once. At most
``max_keys`` buckets are kept; the least recently used are forgotten first
(a forgotten user starts again with a full bucket, which errs on letting
comments through).
"""

from __future__ import annotations

from typing import Final

from roomwatch.core.token_bucket import TokenBuckets

__all__ = ["FloodControl"]

_DEFAULT_KEYS: Final = 200_000


class FloodControl:
    __slots__ = ("_buckets", "burst", "max_keys", "rate")

    def __init__(self, rate: float, burst: int, *, max_keys: int = _DEFAULT_KEYS) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max(1, max_keys)
        self._buckets: TokenBuckets[tuple[str, str]] = TokenBuckets(
            rate, burst, max_keys=self.max_keys
        )

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def allow(self, room: str, user: str | None, ts: float) -> bool:
        """True if this comment is within the user's rate in the room."""
        if user is None or self.rate <= 0:
            return True
        return self._buckets.take((room, user), ts)

    def __len__(self) -> int:
        return len(self._buckets)
