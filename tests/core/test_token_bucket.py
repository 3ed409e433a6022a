"""The one token bucket every rate limit uses (time passed in, no clock read)."""

from __future__ import annotations

import pytest

from roomwatch.core.token_bucket import TokenBucket, TokenBuckets


def test_a_full_bucket_lets_a_burst_through_then_refills_at_its_rate() -> None:
    bucket = TokenBucket.full(rate=2.0, burst=3, now=100.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    # Half a second at 2 a second is one token; the refill counts from the
    # last time seen, so asking again at the same time gives nothing more.
    assert bucket.take(100.5) and not bucket.take(100.5)
    # A long pause fills it to the burst, never past it.
    assert [bucket.take(1000.0) for _ in range(4)] == [True, True, True, False]


def test_time_going_backwards_refills_nothing_and_takes_nothing_back() -> None:
    bucket = TokenBucket.full(rate=1.0, burst=1, now=10.0)
    assert bucket.take(10.0)
    assert not bucket.take(5.0)
    assert bucket.at == 10.0
    # The refill still counts from the latest time: at 11 one token is back.
    assert bucket.take(11.0)


def test_cost_and_wait_time() -> None:
    bucket = TokenBucket.full(rate=0.5, burst=4, now=0.0)
    assert bucket.take(0.0, cost=3.0)
    assert bucket.tokens == 1.0
    assert not bucket.take(0.0, cost=2.0)  # refused: nothing is taken
    assert bucket.tokens == 1.0
    assert bucket.wait_time(cost=2.0) == pytest.approx(2.0)  # one token at 0.5/s
    assert bucket.wait_time(cost=1.0) == 0.0
    assert bucket.take(2.0, cost=2.0)


def test_keyed_buckets_are_independent_and_bounded() -> None:
    buckets: TokenBuckets[str] = TokenBuckets(1.0, 2, max_keys=3)
    assert [buckets.take("a", 0.0) for _ in range(3)] == [True, True, False]
    assert buckets.take("b", 0.0)
    assert buckets.wait_time("a") == pytest.approx(1.0)
    assert buckets.wait_time("unknown") == 0.0
    # Four keys in a room for three: the least recently used ("b") goes,
    # and starts again full; "a" (used after "b") is kept, still empty.
    buckets.take("c", 0.0)
    buckets.take("a", 0.0)
    buckets.take("d", 0.0)
    assert len(buckets) == 3
    assert not buckets.take("a", 0.0)
    # "b" had one token left; forgotten, it has the whole burst again.
    assert buckets.take("b", 0.0) and buckets.take("b", 0.0)
