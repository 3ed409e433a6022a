"""Per-room baselines: EWMAs of per-second counts, and the Poisson bar a
window's count must clear to be surprising.

Baselines learn online from the seconds leaving the window, so a baseline
never contains the window it is compared with (see
:meth:`roomwatch.core.alerts.manager.AlertManager`). Shares are ratios of two
such means, so a room that is simply getting busier keeps the same share.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Mapping
from typing import Final

__all__ = ["Baseline", "idle_factors", "poisson_needed"]

#: Shares are capped here before turning them into odds (``share / (1 - share)``).
_MAX_SHARE: Final = 0.9

#: Above this expectation, Poisson tails use the normal approximation: the
#: exact sum costs a loop of ~expected steps per call (and ``exp(-expected)``
#: underflows past ~745, which once made it spin 10,000 times per comment at
#: 2,000 comments/s). With the corrections below they agree from 60 up.
_POISSON_EXACT_MAX: Final = 60.0


def poisson_needed(expected: float, alpha: float) -> int:
    """Smallest ``k`` with ``P(X >= k) < alpha`` for ``X ~ Poisson(expected)``."""
    if expected <= 0:
        return 1
    if expected > _POISSON_EXACT_MAX:
        z = _upper_z(alpha)
        # Normal tail with continuity and Cornish-Fisher skew corrections.
        return math.floor(expected + z * math.sqrt(expected) + (z * z - 1) / 6 + 0.5) + 1
    pmf = math.exp(-expected)
    tail = 1.0  # P(X >= k) for k = 0
    k = 0
    while tail >= alpha and k < 10_000:
        tail -= pmf
        k += 1
        pmf *= expected / k
    return k


@functools.lru_cache(maxsize=16)
def _upper_z(alpha: float) -> float:
    """``z`` with ``P(Z > z) = alpha`` for a standard normal ``Z``."""
    return statistics.NormalDist().inv_cdf(1.0 - min(max(alpha, 1e-12), 0.5))


def idle_factors(decay: float, seconds: int) -> tuple[float, float]:
    """What ``seconds`` empty seconds (``seconds`` ≥ 1) do to a baseline: each
    sum is multiplied by the first, and the weight becomes ``weight * first +
    second`` (``decay**seconds`` and the geometric series; see
    :meth:`Baseline.idle`)."""
    dk = decay if seconds == 1 else decay**seconds
    if seconds == 1:
        return dk, 1.0
    if decay < 1.0:
        return dk, (1.0 - dk) / (1.0 - decay)
    # A half-life so long that decay rounds to 1.0: each second adds 1.
    return dk, float(seconds)


class Baseline:
    """EWMAs of per-second counts sharing one decay schedule.

    ``mean(key)`` is ``sums[key] / weight``: a bias-corrected EWMA, so it is
    meaningful from the first second on.
    """

    __slots__ = ("decay", "sums", "weight")

    def __init__(self, half_life: float) -> None:
        self.decay = 0.5 ** (1.0 / half_life)
        self.sums: dict[str, float] = {}
        self.weight = 0.0

    def mean(self, key: str) -> float:
        return self.sums.get(key, 0.0) / self.weight if self.weight else 0.0

    def upper(self, key: str, sigmas: float) -> float:
        """An upper bound (``+sigmas`` standard errors) of ``key``'s rate per second.

        The baseline is itself an estimate from about ``weight`` seconds of
        data; a young or quiet baseline gets a wider margin, so a chance low
        in its first minutes does not make ordinary traffic look surprising.
        """
        if not self.weight:
            return 0.0
        events = self.sums.get(key, 0.0)
        return (events + sigmas * math.sqrt(events) + 1.0) / self.weight

    def expected(self, key: str, seconds: float, others: int, sigmas: float) -> float:
        """Expected count of ``key`` in ``seconds`` alongside ``others`` other comments.

        The larger of the rate-based and the share-based expectation (a
        happy surge dilutes the share; a busier room raises the count), both
        from :meth:`upper`. The share-based one scales the comments that are
        *not* ``key`` by the baseline odds ``share / (1 - share)``: scaling
        the window's total instead would let the very comments under test
        raise their own bar (a mood turn of 20 negatives in a 60-comment
        window adds 20 x the baseline share to the expectation).
        """
        rate = self.upper(key, sigmas)
        n = self.mean("n")
        if n <= 0:
            return rate * seconds
        share = min(rate / n, _MAX_SHARE)
        return max(rate * seconds, share / (1.0 - share) * others)

    def step(self, counts: Mapping[str, int], learning: Mapping[str, float], seconds: int) -> None:
        """Fold one second of ``counts`` followed by ``seconds - 1`` empty seconds."""
        d = self.decay
        old_weight = self.weight
        sums = self.sums
        if seconds == 1 and old_weight and not learning:
            self._step_one(counts)
            return
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

    def _step_one(self, counts: Mapping[str, int]) -> None:
        """``step(counts, {}, 1)`` once the weight is set: the same sums, keys
        and key order, without a Python step per key the second left out.

        A key without a count gets ``value * d + (mean + (0.0 - mean))``,
        which is ``value * d`` exactly (``mean`` is finite, and ``m + -m``
        is ``+0.0``; the sums are never negative). Those are made in one
        comprehension that also leaves out the ones that fall under the
        floor (the step drops them at its end; dropping keeps the order of
        the others); the keys with counts are stepped as :meth:`step` does.
        """
        d = self.decay
        old_weight = self.weight
        sums = self.sums
        new = {
            key: scaled
            for key, value in sums.items()
            if not (scaled := value * d) < 1e-4 or key == "n" or key in counts
        }
        for key, count in counts.items():
            value = sums.get(key)
            if value is None:
                new[key] = float(count)
            else:
                mean = value / old_weight
                x = float(count)
                new[key] = value * d + (mean + (x - mean))
        for key in [k for k in counts if new[k] < 1e-4 and k != "n"]:
            del new[key]
        self.sums = new
        self.weight = old_weight * d + 1.0

    def idle(self, seconds: int) -> None:
        """``seconds`` calls of ``step({}, {}, 1)``, in closed form: O(keys), not O(seconds).

        An empty second at full learning rate makes each sum ``sum * decay``
        (its ``x`` is ``mean + 1.0 * (0.0 - mean)``, exactly ``0.0``) and the
        weight ``weight * decay + 1.0``; ``k`` of them make each sum
        ``sum * decay**k`` and the weight ``weight * decay**k + (1 -
        decay**k) / (1 - decay)`` (the geometric series; what :meth:`step`
        does for a gap). One second is exactly one step; more agree with as
        many steps to a few ulps (the steps round once per second). A sum
        falls monotonically, so dropping it at the end when under the floor
        is dropping it on the step it first fell under (but at the floor's
        rounding edge).

        So ``idle(a); idle(b)`` can differ from ``idle(a + b)`` by a few ulps.
        A live room is caught up in chunks its wall-clock wake-ups set and
        its replay in one, so their baselines can differ by as much; that
        changes a decision only at a threshold's exact edge (the old loop of
        single steps did not depend on chunks, at O(seconds)).
        """
        if seconds <= 0:
            return
        dk, gained = idle_factors(self.decay, seconds)
        self.weight = self.weight * dk + gained
        # Each sum times dk, those then under the floor (but "n") dropped: one pass.
        self.sums = {
            key: scaled
            for key, value in self.sums.items()
            if not (scaled := value * dk) < 1e-4 or key == "n"
        }
