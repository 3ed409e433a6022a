"""Per-token token buckets for actions (sans-I/O: the clock is passed in)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["RateLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``per_minute`` actions per key, bursting up to ``per_minute``."""

    def __init__(self, per_minute: int, *, max_keys: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._max_keys = max_keys

    def allow(self, key: str, now: float, cost: float = 1.0) -> bool:
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = _Bucket(self.capacity, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            b.tokens = min(self.capacity, b.tokens + max(0.0, now - b.at) * self.rate)
            b.at = now
        if b.tokens < cost:
            return False
        b.tokens -= cost
        return True

    def retry_after(self, key: str, cost: float = 1.0) -> float:
        b = self._buckets.get(key)
        if b is None or b.tokens >= cost:
            return 0.0
        return (cost - b.tokens) / self.rate
