"""Per-token action limits: a token bucket per key (sans-I/O: the clock is passed in)."""

from __future__ import annotations

from roomwatch.core.token_bucket import TokenBuckets

__all__ = ["RateLimiter"]


class RateLimiter:
    """``per_minute`` actions per key, bursting up to ``per_minute``."""

    __slots__ = ("_buckets", "capacity", "rate")

    def __init__(self, per_minute: int, *, max_keys: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: TokenBuckets[str] = TokenBuckets(self.rate, self.capacity, max_keys=max_keys)

    def allow(self, key: str, now: float, cost: float = 1.0) -> bool:
        return self._buckets.take(key, now, cost)

    def retry_after(self, key: str, cost: float = 1.0) -> float:
        """Seconds after the last :meth:`allow` until ``key`` may act again (0 if it may)."""
        return self._buckets.wait_time(key, cost)
