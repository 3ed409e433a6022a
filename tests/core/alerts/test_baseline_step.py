"""``Baseline.step``'s one-second path against the step it stands in for.

A second at the full learning rate (no alert open) is what a busy room
folds every second; it now scales the keys without counts in one
comprehension (:meth:`Baseline._step_one`). The plain step is kept here
verbatim; both run on the same random histories (keys appearing, fading
under the floor and coming back, gaps, slowed learning, sums near the
floor) and must leave the same sums, weight and key order, bit for bit.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping

import pytest

from roomwatch.core.alerts.baseline import Baseline


def plain_step(
    self: Baseline, counts: Mapping[str, int], learning: Mapping[str, float], seconds: int
) -> None:
    """``Baseline.step`` before its one-second path (verbatim, but the name)."""
    d = self.decay
    old_weight = self.weight
    sums = self.sums
    if learning:
        for key in set(sums) | set(counts):
            rate = learning.get(key, 1.0)
            mean = sums.get(key, 0.0) / old_weight if old_weight else 0.0
            x = float(counts.get(key, 0))
            x = mean + rate * (x - mean)
            sums[key] = sums.get(key, 0.0) * d + x
    else:
        # The same operations at the full learning rate (1.0 * y is y), without
        # the union of keys: a key new in ``counts`` starts at its count.
        for key, value in sums.items():
            mean = value / old_weight if old_weight else 0.0
            x = float(counts.get(key, 0))
            sums[key] = value * d + (mean + (x - mean))
        for key, count in counts.items():
            if key not in sums:
                sums[key] = float(count)
    self.weight = old_weight * d + 1.0
    gap = seconds - 1
    if gap > 0:
        dk = d**gap
        new_weight = self.weight * dk + (1.0 - dk) / (1.0 - d)
        for key in list(self.sums):
            rate = learning.get(key, 1.0)
            mean = self.sums[key] / self.weight
            # Zero counts for the gap, blended towards the mean when frozen.
            zero_sum = self.sums[key] * dk
            frozen_sum = mean * new_weight
            self.sums[key] = zero_sum + (1.0 - rate) * (frozen_sum - zero_sum)
        self.weight = new_weight
    for key in [k for k, v in self.sums.items() if v < 1e-4 and k != "n"]:
        del self.sums[key]


def _history(seed: int) -> list[tuple[dict[str, int], dict[str, float], int]]:
    rng = random.Random(seed)
    keys = ["n", "neg", "nfree", "w", "rneg"] + [f"t:c{i}" for i in range(40)]
    out = []
    for _ in range(1500):
        counts: dict[str, int] = {}
        if rng.random() < 0.8:
            for key in rng.sample(keys, rng.randint(1, 8)):
                counts[key] = rng.randint(1, 30) if rng.random() < 0.9 else 0
        learning = {"neg": 0.1} if rng.random() < 0.05 else {}
        seconds = 1 if rng.random() < 0.9 else rng.choice((2, 3, 40, 300))
        out.append((counts, learning, seconds))
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("half_life", [5.0, 300.0])
def test_step_is_the_plain_step_bit_for_bit(seed: int, half_life: float) -> None:
    fast, plain = Baseline(half_life), Baseline(half_life)
    one_second = 0
    for counts, learning, seconds in _history(seed):
        fast.step(counts, learning, seconds)
        plain_step(plain, counts, learning, seconds)
        one_second += seconds == 1 and not learning
        assert list(fast.sums.items()) == list(plain.sums.items())
        assert fast.weight == plain.weight
        assert all(math.isfinite(v) for v in fast.sums.values())
    assert one_second > 1000


def test_keys_fade_under_the_floor_and_come_back_in_the_same_place() -> None:
    fast, plain = Baseline(2.0), Baseline(2.0)
    present = []
    for second in range(200):
        counts = {"n": 1}
        if second % 50 == 0:
            counts["a"] = 1
        if second % 70 == 0:
            counts["b"] = 2
        fast.step(counts, {}, 1)
        plain_step(plain, counts, {}, 1)
        assert list(fast.sums.items()) == list(plain.sums.items())
        present.append("a" in fast.sums)
    comebacks = sum(1 for was, now in itertools.pairwise(present) if now and not was)
    assert comebacks >= 3  # "a" faded out and came back (at the end of the dict) each time
