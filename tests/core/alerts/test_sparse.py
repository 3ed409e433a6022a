"""Sparse rooms' catch-up (issue #14, item 2, eighth pass): the same floats, to the bit.

:func:`~roomwatch.core.alerts.quiet.fast_forward` folds the buckets that
leave a quiet room's window without a :class:`~roomwatch.core.alerts.window.Fold`,
and a bucket leaving between empty seconds (a sparse room's every comment)
in one call (:func:`~roomwatch.core.alerts.quiet.fold_one`). These tests
hold them (and :meth:`AlertManager.catch_up` around them) to the code they
replaced, kept below as it was: the same events and work, and the same
room state with the baseline's sums, key order and weight equal to the bit
(a baseline value reaches alert decisions, so no rounding may move), on the
random many-room streams of ``test_quiet``.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from roomwatch.core.alerts import AlertConfig, AlertEvent, AlertManager
from roomwatch.core.alerts.baseline import Baseline
from roomwatch.core.alerts.config import AlertConfig as Config
from roomwatch.core.alerts.manager import MAX_STEPPED_GAP
from roomwatch.core.alerts.quiet import fold_one, quiet_until
from roomwatch.core.alerts.state import Room, new_counter
from roomwatch.core.alerts.window import EmptyRun, Fold

from .test_quiet import CONFIGS, catch_up, replay, state, stream


def reference_fast_forward(room: Room, cfg: Config, first: int, last: int) -> int:
    """``quiet.fast_forward`` before the eighth pass, verbatim."""
    if last < first:
        return 0
    span_s = room.span  # (stop 25: the room's window)
    at_first = first - span_s + 1
    horizon = last - span_s + 1
    buckets = room.buckets
    fold = Fold(room)
    while buckets and buckets[0][0] < horizon:
        sec, counts = buckets.popleft()
        if type(counts) is EmptyRun:
            gone = min(counts.n, horizon - sec)
            if gone < counts.n:
                counts.n -= gone
                buckets.appendleft((sec + gone, counts))
            fold.quiet(gone)
            continue
        span = 1
        if sec < at_first:
            after = buckets[0][0] if buckets else first
            span = max(1, min(after, at_first) - sec)
        if span == 1 and not counts:
            fold.quiet(1)
            continue
        fold.bucket(counts, {}, span)
    kept = max(first, horizon)
    fold.quiet(kept - first)
    steps = fold.done()
    if last > kept:
        buckets.append((kept, EmptyRun(last - kept)))
    buckets.append((last, Counter()))
    room.now = float(last)
    room.sec = last
    return steps


def reference_catch_up(m: AlertManager, name: str, since: int, until: int) -> list[AlertEvent]:
    """``AlertManager.catch_up`` before the eighth pass, verbatim (but ``self``)."""
    events: list[AlertEvent] = []
    stepped = min(until, since + MAX_STEPPED_GAP)
    second = since + 1
    while second <= stepped:
        room = m._rooms.get(name)
        if room is None:
            return events
        end = quiet_until(room, m.config, second, stepped)
        if end >= second:
            m.work.steps += reference_fast_forward(room, m.config, second, end)
            m.work.skipped += end - second + 1
            m._prune(room, float(end))
            second = end + 1
        else:
            m._tick_room(room, float(second), events)
            second += 1
    if until > stepped:
        room = m._rooms.get(name)
        if room is not None:
            m._tick_room(room, float(until), events)
    return events


def exact(room: Room | None) -> Any:
    """``test_quiet.state`` and the baseline's floats as they are (not to 1e-12)."""
    if room is None:
        return None
    base = room.baseline
    return state(room), dict(base.sums), list(base.sums), base.weight


def run(cfg: AlertConfig, seed: int, fast: bool) -> Any:
    m = AlertManager(cfg)
    observations = stream(seed, rooms=8)
    seen: list[Any] = []

    def advance(m: AlertManager, name: str, since: int, until: int) -> Any:
        events = (catch_up if fast else reference_catch_up)(m, name, since, until)
        seen.append(exact(m._rooms.get(name)))
        return events

    events, _ = replay(m, observations, advance)
    return events, seen, m.work


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("config", range(len(CONFIGS)))
def test_catch_up_is_the_old_one_to_the_bit(seed: int, config: int) -> None:
    cfg = CONFIGS[config]
    old_events, old_states, old_work = run(cfg, seed, False)
    new_events, new_states, new_work = run(cfg, seed, True)
    assert new_events == old_events
    # The same work, counted: ticks, baseline updates, seconds passed over.
    assert new_work == old_work
    assert len(new_states) == len(old_states)
    for before, after in zip(old_states, new_states, strict=True):
        assert after == before
    # The streams take the one-pass fold, with topics' negatives (tn:) in it.
    assert old_events
    assert any(s is not None and s[1] for s in new_states)


def baseline(rng: random.Random, half_life: float) -> Baseline:
    base = Baseline(half_life)
    for _ in range(rng.randrange(0, 30)):
        counts = {
            k: rng.randrange(1, 9) for k in ("n", "neg", "w", "t:a", "t:b") if rng.random() < 0.5
        }
        # (A decay that rounds to 1.0 has no closed form for a gap: step's divides by 0.)
        gaps = [1, 1, 1, 3, 200, 5000] if base.decay < 1.0 else [1]
        base.step(counts, {}, rng.choice(gaps))
    return base


@pytest.mark.parametrize("half_life", [300.0, 20.0, 3.0, 1e18])
def test_fold_one_is_idle_one_step_idle(half_life: float) -> None:
    # Against Fold's own calls: idle(empty), step(counts without tn:, {},
    # 1), idle(after); with sums falling under the floor in the idle seconds and in
    # the step, keys new and gone, and a decay that rounds to 1.0.
    rng = random.Random(int(min(half_life, 1e6)))
    keys = ("n", "neg", "w", "t:a", "t:b", "tn:a", "rneg")
    for _ in range(400):
        a = baseline(rng, half_life)
        b = Baseline(half_life)
        b.sums, b.weight = dict(a.sums), a.weight
        empty = rng.choice([0, 1, 2, 19, rng.randrange(0, 300), rng.randrange(0, 40_000)])
        if not empty and not a.weight:
            continue  # (Fold steps a first bucket in full: fast_forward does too)
        counts = new_counter()
        for key in rng.sample(keys, rng.randrange(1, len(keys))):
            counts[key] = rng.randrange(1, 5)
        if empty:
            a.idle(empty)
        a.step({k: n for k, n in counts.items() if not k.startswith("tn:")}, {}, 1)
        after = rng.choice([0, 0, 1, 2, rng.randrange(0, 300), rng.randrange(0, 40_000)])
        a.idle(after)
        fold_one(b, empty, counts, after)
        assert (b.sums, list(b.sums), b.weight) == (a.sums, list(a.sums), a.weight)


def test_a_bucket_and_a_run_are_counters_as_made() -> None:
    bucket = new_counter()
    assert type(bucket) is Counter and not bucket
    bucket["n"] += 2
    assert bucket == Counter(n=2)
    run_ = EmptyRun(7)
    assert run_.n == 7 and not run_ and isinstance(run_, Counter)
