"""The EWMA baselines and the Poisson bar."""

from __future__ import annotations

import random

import pytest

from roomwatch.core.alerts.baseline import Baseline, poisson_needed


def test_share_expectation_scales_the_other_comments_by_the_odds() -> None:
    base = Baseline(300.0)
    for i in range(600):
        base.step({"n": 10, "neg": 2 if i % 2 else 1}, {}, 1)
    share = base.upper("neg", 1.0) / base.mean("n")
    assert 0.1 < share < 0.2
    # 200 other comments in 10 s (a busy stretch): the negatives expected
    # alongside them follow the odds, whatever the negatives themselves are,
    # so a burst of negatives does not raise its own bar.
    assert base.expected("neg", 10, 200, 1.0) == pytest.approx(share / (1 - share) * 200)
    # A quiet stretch falls back on the rate.
    assert base.expected("neg", 10, 5, 1.0) == pytest.approx(base.upper("neg", 1.0) * 10)


def test_poisson_needed_matches_the_tail_and_the_normal_approximation() -> None:
    assert poisson_needed(0.0, 1e-4) == 1
    # P(X >= 5) for Poisson(1) is 0.00366 >= 0.001; P(X >= 6) = 0.00059 < 0.001.
    assert poisson_needed(1.0, 1e-3) == 6
    # Past the exact range the approximation stays close to the exact tail.
    exact = poisson_needed(59.0, 1e-4)
    approx = poisson_needed(61.0, 1e-4)
    assert 0 < approx - exact <= 4
    assert poisson_needed(10_000.0, 1e-4) > 10_000


def test_a_frozen_key_keeps_its_mean_through_a_gap() -> None:
    base = Baseline(60.0)
    for _ in range(120):
        base.step({"n": 4, "neg": 1}, {}, 1)
    before = base.mean("neg")
    # Sixty empty seconds: learning normally, the mean decays; frozen, it stays.
    frozen = Baseline(60.0)
    frozen.sums, frozen.weight = dict(base.sums), base.weight
    base.step({}, {}, 60)
    frozen.step({}, {"neg": 0.0}, 60)
    assert base.mean("neg") < before * 0.6
    assert frozen.mean("neg") == pytest.approx(before)


def test_a_step_without_slowed_keys_is_the_general_step_to_the_bit() -> None:
    # step() has a fast path when nothing learns slowly; a learning map that
    # slows no key present takes the general one: the same floats exactly.
    rng = random.Random(14)
    keys = ["n", "neg", "nfree", "t:x", "tn:x", "w", "rneg"]
    for _ in range(500):
        fast, general = Baseline(rng.choice([300.0, 20.0])), Baseline(300.0)
        general.decay = fast.decay
        for _ in range(rng.randrange(1, 50)):
            counts = {k: rng.randrange(0, 6) for k in rng.sample(keys, rng.randrange(0, 5))}
            span = rng.choice([1, 1, 1, 3, 300])
            fast.step(counts, {}, span)
            general.step(counts, {"absent": 0.5}, span)
            assert (fast.sums, fast.weight) == (general.sums, general.weight)


def test_idle_with_a_decay_that_rounds_to_one_counts_the_seconds() -> None:
    # baseline_half_life_seconds is only bounded below; at 1e17 s the decay
    # is 1.0 and the geometric series' closed form divided by zero.
    b = Baseline(1e17)
    assert b.decay == 1.0
    stepped = Baseline(1e17)
    for _ in range(5):
        stepped.step({}, {}, 1)
    b.idle(5)
    assert b.weight == stepped.weight == 5.0
