"""The one token bucket: ``rate`` tokens a second, at most ``burst`` held (pure).

Every rate limit in roomwatch is one of these, or one per key:

* flood control, per (room, user), in record time
  (:class:`roomwatch.core.flood.FloodControl`);
* hub actions, per token and action family, in monotonic time
  (:class:`roomwatch.ratelimit.RateLimiter`, used by :class:`roomwatch.authz.Gate`);
* messages per WebSocket client (:mod:`roomwatch.sinks.hub`) and frames per
  upstream connection (:mod:`roomwatch.sources.websocket`), in monotonic time.

Time is always passed in; nothing here reads a clock, so the same bucket
runs on record time (a replay sheds what its live run shed) or on the
monotonic clock. A time earlier than the last one seen refills nothing and
takes nothing back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["TokenBucket", "TokenBuckets"]

K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``; :meth:`full` starts one."""

    rate: float
    burst: float
    #: Tokens held after the last :meth:`take`.
    tokens: float
    #: The latest time seen (the refill is counted from here).
    at: float

    @classmethod
    def full(cls, rate: float, burst: float, now: float) -> TokenBucket:
        """A bucket holding ``burst`` tokens at ``now``."""
        return cls(rate, float(burst), float(burst), now)

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Refill up to ``now``, then take ``cost`` tokens if the bucket holds them."""
        if now > self.at:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def wait_time(self, cost: float = 1.0) -> float:
        """Seconds after the last :meth:`take` until ``cost`` tokens are held (0 if they are)."""
        return 0.0 if self.tokens >= cost else (cost - self.tokens) / self.rate


class TokenBuckets(Generic[K]):
    """One :class:`TokenBucket` per key, for at most ``max_keys`` keys.

    The least recently used key is forgotten first; a forgotten key starts
    again with a full bucket (which errs on letting through).
    """

    __slots__ = ("_buckets", "burst", "max_keys", "rate")

    def __init__(self, rate: float, burst: float, *, max_keys: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max(1, max_keys)
        self._buckets: OrderedDict[K, TokenBucket] = OrderedDict()

    def take(self, key: K, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens from ``key``'s bucket at ``now`` (see :meth:`TokenBucket.take`)."""
        buckets = self._buckets
        bucket = buckets.get(key)
        if bucket is None:
            if len(buckets) >= self.max_keys:
                buckets.popitem(last=False)
            bucket = buckets[key] = TokenBucket(self.rate, self.burst, self.burst, now)
        else:
            buckets.move_to_end(key)
        return bucket.take(now, cost)

    def wait_time(self, key: K, cost: float = 1.0) -> float:
        """Seconds until ``key`` holds ``cost`` tokens (0 if it does, or is unknown)."""
        bucket = self._buckets.get(key)
        return 0.0 if bucket is None else bucket.wait_time(cost)

    def __len__(self) -> int:
        return len(self._buckets)
