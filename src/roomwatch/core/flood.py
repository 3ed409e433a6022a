"""Flood control: how many comments one user may post in one room.

Pure: time is the records' ``ts``, so a replay sheds exactly what the live
run shed. A token bucket per (room, user): ``rate`` comments per second
sustained, ``burst`` at once. At most ``max_keys`` buckets are kept; the
least recently used are forgotten first (a forgotten user starts again with
a full bucket, which errs on letting comments through).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

__all__ = ["FloodControl"]

_DEFAULT_KEYS: Final = 200_000


class FloodControl:
    __slots__ = ("_buckets", "burst", "max_keys", "rate")

    def __init__(self, rate: float, burst: int, *, max_keys: int = _DEFAULT_KEYS) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max(1, max_keys)
        # (room, user) -> (tokens, ts of the last refill)
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def allow(self, room: str, user: str | None, ts: float) -> bool:
        """True if this comment is within the user's rate in the room."""
        if user is None or self.rate <= 0:
            return True
        key = (room, user)
        buckets = self._buckets
        state = buckets.get(key)
        if state is None:
            tokens, at = self.burst, ts
            if len(buckets) >= self.max_keys:
                buckets.popitem(last=False)
        else:
            tokens, at = state
            # A ts that goes backwards refills nothing (and takes nothing back).
            tokens = min(self.burst, tokens + max(0.0, ts - at) * self.rate)
            at = max(at, ts)
            buckets.move_to_end(key)
        if tokens >= 1.0:
            buckets[key] = (tokens - 1.0, at)
            return True
        buckets[key] = (tokens, at)
        return False

    def __len__(self) -> int:
        return len(self._buckets)
