"""Bounded counters and sample lists the report's summaries are made of."""

from __future__ import annotations

import heapq

from roomwatch.report.values import Sample

__all__ = ["Pruned", "SpaceSaving", "clip", "keep_samples"]


def clip(text: str, limit: int) -> str:
    """``text`` with runs of white space made one space, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Pruned:
    """Counts keys, holding at most ``2 × cap``; then keeps the ``cap`` largest.

    The frequent keys survive, rare ones are forgotten (their counts are lost,
    which only ever undercounts). Amortised O(1) per add.
    """

    __slots__ = ("_cap", "counts")

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self.counts: dict[str, int] = {}

    def add(self, key: str, n: int = 1) -> None:
        counts = self.counts
        counts[key] = counts.get(key, 0) + n
        if len(counts) > 2 * self._cap:
            keep = heapq.nlargest(self._cap, counts.items(), key=lambda kv: kv[1])
            self.counts = dict(keep)

    def get(self, key: str) -> int:
        return self.counts.get(key, 0)


class SpaceSaving:
    """Space-saving top-k: at most ``k`` keys; a newcomer replaces the smallest."""

    __slots__ = ("_k", "counts")

    def __init__(self, k: int) -> None:
        self._k = k
        self.counts: dict[str, int] = {}

    def add(self, key: str) -> str | None:
        """Count ``key``; returns the key it evicted, if any."""
        counts = self.counts
        if key in counts:
            counts[key] += 1
            return None
        if len(counts) < self._k:
            counts[key] = 1
            return None
        victim = min(counts, key=counts.__getitem__)
        floor = counts.pop(victim)
        counts[key] = floor + 1
        return victim

    def top(self, n: int) -> list[tuple[str, int]]:
        return heapq.nlargest(n, self.counts.items(), key=lambda kv: kv[1])


def keep_samples(samples: list[Sample], sample: Sample, limit: int) -> None:
    """Keep up to ``limit`` samples with distinct texts, first seen first."""
    if len(samples) >= limit:
        return
    if any(s.text == sample.text for s in samples):
        return
    samples.append(sample)
