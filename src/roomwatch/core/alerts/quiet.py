"""The quiet seconds of an idle room, skipped: the same state for a fraction of the work.

Record time passes for a room one whole second at a time
(:meth:`~roomwatch.core.alerts.manager.AlertManager.catch_up`). Most of those
seconds, in a room without comments, do nothing a listener could see: no
alert is open (so no detector has anything to update or resolve), the room
is not old enough to be forgotten, and the feed cannot be called down
(:mod:`~roomwatch.core.alerts.volume_drop` needs a warm room whose baseline
rate could reach ``outage_min_rate``, silent for at least
``outage_silence_seconds`` and ``outage_gap_factor`` expected gaps at that
rate). Such a second only moves the window
on: an empty bucket in, the oldest bucket out into the baseline, a prune.

:func:`quiet_until` finds how far that holds, without looking at each second;
:func:`fast_forward` moves the window and the baseline over the whole run in
one go, as the second-by-second ticks would have: the buckets that leave are
folded in the same order with the same spans, each run of empty seconds at
once in closed form (:meth:`~roomwatch.core.alerts.baseline.Baseline.idle`:
the same numbers to a few ulps), and the quiet seconds still in the window
become one :class:`~roomwatch.core.alerts.window.EmptyRun` entry. Its cost
is the buckets that leave, not the seconds passed over.

A room's cost therefore grows with its comments and its due deadlines (an
open alert, the idle horizon, a possible outage), not with the seconds its
record time spans. :class:`Work` counts what was done, so a test can show it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Final

from roomwatch.core.alerts.baseline import Baseline, idle_factors
from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.state import Room, new_counter, warm
from roomwatch.core.alerts.volume_drop import pace_rate
from roomwatch.core.alerts.window import UNLEARNED, EmptyRun, subtract

__all__ = ["Work", "fast_forward", "fold_one", "quiet_until"]

#: Slack on the outage bound below, for the rounding of the baseline's sums
#: and weight as seconds fold in (each a few ulps; this is millions of them).
_SLACK: Final = 1e-9


@dataclass(slots=True)
class Work:
    """What the manager did, counted (for tests and benchmarks, not for decisions)."""

    #: Full per-room ticks: detectors asked, window pruned, one second folded.
    ticks: int = 0
    #: Baseline updates: one per bucket with counts, one per run of empty seconds.
    steps: int = 0
    #: Room-seconds passed over by :func:`fast_forward` instead of ticked.
    skipped: int = 0


def quiet_until(room: Room, cfg: AlertConfig, first: int, last: int) -> int:
    """The last second ``b`` in ``first - 1 .. last`` such that ticking ``room`` at
    each of ``first .. b`` would emit nothing and forget nothing.

    ``first - 1`` means the tick at ``first`` must run in full.
    """
    if room.active or room.sec >= first or room.now > first:
        return first - 1
    end = last
    idle = cfg.room_idle_seconds
    if float(end) - room.last_ts > idle:
        # The tick after the room's idle horizon forgets it: that one runs in full.
        end = min(end, math.floor(room.last_ts + idle))
        while end >= first and float(end) - room.last_ts > idle:
            end -= 1
        while end < last and float(end + 1) - room.last_ts <= idle:
            end += 1
    if end < first:
        return first - 1
    if warm(room, cfg):
        # volume_drop can open only while the baseline rate is at least
        # outage_min_rate. Over empty seconds the sum of "n" can only shrink
        # (times decay) or take in the window's counts as they leave, and the
        # weight only grows towards 1 / (1 - decay); so this bounds the rate
        # at every second of the run.
        base = room.baseline
        ceiling = 1.0 / (1.0 - base.decay)
        weight = min(max(base.weight, 1.0), ceiling) * (1.0 - _SLACK)
        events = (base.sums.get("n", 0.0) + room.window.get("n", 0)) * (1.0 + _SLACK)
        # ... and it judges the slower of that and the pace before the silence,
        # which no empty second changes.
        rate = min(events / weight, pace_rate(room, cfg))
        if rate >= cfg.outage_min_rate:
            # It opens only once the silence reaches max(outage_silence_seconds,
            # outage_gap_factor / rate), which the rate's bound bounds from
            # below: the seconds before that are quiet too.
            need = max(cfg.outage_silence_seconds, cfg.outage_gap_factor / rate)
            bound = math.floor(room.last_ts + need)
            while bound >= first and float(bound) - room.last_ts >= need:
                bound -= 1
            while bound < end and float(bound + 1) - room.last_ts < need:
                bound += 1
            end = min(end, bound)
            if end < first:
                return first - 1
    return end


def fast_forward(room: Room, cfg: AlertConfig, first: int, last: int) -> int:
    """Move ``room`` over the quiet seconds ``first .. last`` (see :func:`quiet_until`).

    Leaves the window and the baseline as ticking each second would (the
    caller prunes at ``last``): the buckets that leave are folded in the
    same order with the same spans, the empty seconds among them at once
    (:meth:`~roomwatch.core.alerts.baseline.Baseline.idle`, closed form), and
    the quiet seconds still in the window are one
    :class:`~roomwatch.core.alerts.window.EmptyRun` entry. Costs the buckets
    that leave, not the seconds passed over. Returns the baseline updates made.

    The same folds, in the same order, as a :class:`~roomwatch.core.alerts.window.Fold`
    (the reference in ``tests/core/alerts/test_sparse.py``), without its
    calls: a bucket that leaves with a span of one after empty seconds (a
    sparse room's every comment) is :func:`fold_one`, one pass over the sums.
    """
    if last < first:
        return 0
    span_s = room.span
    at_first = first - span_s + 1  # the horizon after the tick at ``first``
    horizon = last - span_s + 1  # ... and after the tick at ``last``
    buckets = room.buckets
    base = room.baseline
    steps = 0
    empty = 0  # empty seconds waiting to go in at once (Fold.quiet)
    kept = horizon if horizon > first else first
    gone_run = kept - first  # the run's own seconds that have left by ``last``
    # Entries from before the run leave in order, each at the first tick
    # whose horizon passes it: what is before ``at_first`` at the tick at
    # ``first``, with the span that tick gives it; the rest one second a
    # tick, so with a span of one.
    while buckets and buckets[0][0] < horizon:
        sec, counts = buckets.popleft()
        if type(counts) is EmptyRun:
            n = counts.n
            gone = horizon - sec
            if gone < n:
                counts.n = n - gone
                buckets.appendleft((sec + gone, counts))
            else:
                gone = n
            empty += gone
            continue
        span = 1
        if sec < at_first:
            after = buckets[0][0] if buckets else first
            span = max(1, min(after, at_first) - sec)
        if not counts:
            if span == 1:
                empty += 1
                continue
        elif span == 1 and (empty or base.weight):
            if buckets and buckets[0][0] < horizon:
                fold_one(base, empty, counts, 0)
            else:
                # The last to leave (a sparse room's every comment): the run's
                # own seconds gone by ``last`` follow in the same call.
                fold_one(base, empty, counts, gone_run)
                steps += 1 if gone_run else 0
                gone_run = 0
            steps += 2 if empty else 1
            empty = 0
            subtract(room.window, counts)
            continue
        if empty:
            base.idle(empty)
            steps += 1
            empty = 0
        if counts:
            learned = {k: n for k, n in counts.items() if not k.startswith(UNLEARNED)}
            base.step(learned, {}, span)
            subtract(room.window, counts)
        else:
            base.step(counts, {}, span)
        steps += 1
    # The run's own seconds that have left the window by ``last``.
    empty += gone_run
    if empty:
        base.idle(empty)
        steps += 1
    if last > kept:
        buckets.append((kept, EmptyRun(last - kept)))
    buckets.append((last, new_counter()))
    room.now = float(last)
    room.sec = last
    return steps


def fold_one(base: Baseline, empty: int, counts: Counter[str], after: int) -> None:
    """``base.idle(empty)``, ``base.step(learned, {}, 1)``, then ``base.idle(after)``,
    ``learned`` being ``counts`` without a topic's negatives (``tn:``,
    :data:`UNLEARNED`): the same floats, keys and key order, in one call.

    Needs a weight after the idle seconds (``empty`` or ``base.weight``), as
    :meth:`~roomwatch.core.alerts.baseline.Baseline.step` does to take its
    one-second path. Each sum is multiplied by ``decay**empty`` and dropped
    under the floor (but ``n``) as :meth:`Baseline.idle` does, then stepped
    as :meth:`Baseline._step_one` steps it: a sum without a count is
    ``value * decay`` (dropped under the floor), one with a count is
    ``value * decay + (mean + (x - mean))`` with the weight after the idle
    seconds; a count whose sum is gone (or never was) starts at the count,
    after the others. The baseline never holds a ``tn:`` key, so a sum is
    "in ``counts``" exactly when it is in ``learned``.
    """
    d = base.decay
    weight = base.weight
    new: dict[str, float] = {}
    if empty:
        dk, gained = idle_factors(d, empty)
        weight = weight * dk + gained
        for key, value in base.sums.items():
            value = value * dk
            if value < 1e-4 and key != "n":
                continue  # (idle drops it)
            if key in counts:
                new[key] = value  # (stepped below, in its place)
            elif not (scaled := value * d) < 1e-4 or key == "n":
                new[key] = scaled
    else:
        for key, value in base.sums.items():
            if key in counts:
                new[key] = value
            elif not (scaled := value * d) < 1e-4 or key == "n":
                new[key] = scaled
    low = False
    for key, count in counts.items():
        if key.startswith(UNLEARNED):
            continue
        old = new.get(key)
        if old is None:
            value = new[key] = float(count)
        else:
            mean = old / weight
            x = float(count)
            value = new[key] = old * d + (mean + (x - mean))
        low = low or value < 1e-4
    if low:
        for key in [
            k for k in counts if k != "n" and not k.startswith(UNLEARNED) and new[k] < 1e-4
        ]:
            del new[key]
    weight = weight * d + 1.0
    if after:
        # Baseline.idle(after), on the new sums.
        dk, gained = idle_factors(d, after)
        weight = weight * dk + gained
        new = {
            key: scaled
            for key, value in new.items()
            if not (scaled := value * dk) < 1e-4 or key == "n"
        }
    base.sums = new
    base.weight = weight
