"""``negative_spike``: the room's mood turns.

The share of negative comments (``sentiment <= negative_sentiment``) in the
last ``window_seconds`` (or its last three quarters or half) is far above the
room's own learned share, and the count is one the baseline would reach by
chance with probability below ``surprise_alpha``. The share-based
expectation scales the window's *other* comments by the baseline odds, so a
mood turn does not raise its own bar.

Negatives that belong to a grievance topic or a raid (open, cooling down or
forming) are that incident's and are not counted here; while a complaint
wave is on, every grievance is the wave's.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from typing import Final

from roomwatch.core.alerts.baseline import poisson_needed
from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.state import (
    Room,
    claims,
    complaints_on,
    forming_topics,
    held,
    raid_forming,
    recent_count,
    words_of,
)
from roomwatch.core.alerts.values import AlertEvent, Evidence

__all__ = ["evaluate"]

#: Besides the whole window, the negative spike looks at its last 3/4 and 1/2
#: (floors scaled in between): a turn that began 10-15 s ago fills those.
_SPIKE_PARTS: Final = (0.75, 0.5)


def _trigger(room: Room, cfg: AlertConfig) -> tuple[float, float]:
    """(the room's baseline negative share, the share that fires)."""
    base_n = room.baseline.mean("n")
    base_share = room.baseline.mean("neg") / base_n if base_n > 0 else 0.0
    trigger = max(
        cfg.negative_min_share,
        base_share * cfg.negative_share_ratio,
        base_share + cfg.negative_share_margin,
    )
    return base_share, trigger


def may_fire(room: Room, cfg: AlertConfig) -> bool:
    """Whether the window or one of its parts could fire, counting every
    negative as unexplained.

    :func:`evaluate` subtracts the negatives that topics, waves and raids
    claim, so its count is never above the part's negatives: when not even
    those reach the part's floor and share, nothing fires, and a room with
    no open spike need not work out which negatives are claimed (most
    negative comments of a calm room end here). The same integers, floors
    and float divisions as :func:`evaluate`'s checks.

    Within one second of the room's record time the baseline (so the
    trigger) and the closed buckets (so the parts' counts but the newest
    second's) do not change: they are worked out once a second
    (``room.spike_memo``), and each comment adds the newest bucket's counts.
    """
    memo = room.spike_memo
    if memo is None or memo[0] != room.sec:
        memo = room.spike_memo = (room.sec, _trigger(room, cfg)[1], _closed_parts(room, cfg))
    trigger = memo[1]
    counts = room.buckets[-1][1]
    newest_neg = counts.get("neg", 0)
    newest_n = counts.get("n", 0)
    window = room.window
    for floor, closed_neg, closed_n, whole in memo[2]:
        if whole:
            negatives, total = window.get("neg", 0), window.get("n", 0)
        else:
            negatives, total = closed_neg + newest_neg, closed_n + newest_n
        if negatives >= floor and total > 0 and negatives / total >= trigger:
            return True
    return False


def _closed_parts(room: Room, cfg: AlertConfig) -> tuple[tuple[int, int, int, bool], ...]:
    """Per part (the window first): its floor, its closed buckets' negatives
    and comments, and whether it is the whole window (then read as a whole,
    as :func:`~roomwatch.core.alerts.state.recent_count` reads it).

    Each part's closed buckets are summed here, two keys of at most a
    window's entries, instead of asking
    :func:`~roomwatch.core.alerts.state.recent_pair`, whose running sums of
    every key only :func:`evaluate` needs: the same integers.
    """
    out = []
    buckets = room.buckets
    oldest = buckets[0][0]
    for seconds, floor in _parts(held(room), cfg.negative_min_count):
        first = room.sec - math.ceil(seconds) + 1
        if first <= oldest:
            out.append((floor, 0, 0, True))
            continue
        negatives = total = 0
        closed = reversed(buckets)
        next(closed)  # the newest: comments still go into it
        for sec, counts in closed:
            if sec < first:
                break
            if counts:
                negatives += counts.get("neg", 0)
                total += counts.get("n", 0)
        out.append((floor, negatives, total, False))
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _parts(span: int, min_count: int) -> tuple[tuple[int, int], ...]:
    """(seconds, floor) of the whole window and of each part, as :func:`evaluate` takes them."""
    parts = [
        (math.ceil(span * frac), math.ceil(min_count * (0.5 + frac / 2))) for frac in _SPIKE_PARTS
    ]
    return ((span, min_count), *parts)


def evaluate(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
    cfg = life.config
    if ("negative_spike", "") not in room.active and not may_fire(room, cfg):
        return  # the same as below: not firing and not open is no event
    # Negatives that belong to a topic or raid (open, cooling down, or
    # forming) are that incident's, not a general mood turn.
    claimed = forming_topics(room, cfg)
    # A complaint wave brings grievances that name no seed term
    # ("我要打12315投诉", "打开全是烂的"): all grievances are the wave's
    # while it is on or gathering.
    wave_on = complaints_on(room, cfg, now)
    raid_on = claims(room, "abuse_raid", "", now) or raid_forming(room, cfg)
    base_share, trigger = _trigger(room, cfg)

    def measure(seconds: float) -> tuple[int, int, int]:
        """(unexplained negatives, all comments, all negatives) in the last ``seconds``."""
        total = recent_count(room, "n", seconds)
        negatives = neg = recent_count(room, "neg", seconds)
        if wave_on:
            neg = recent_count(room, "nfree", seconds)
        else:
            for key in claimed:
                # Per-second counts, like the totals: walking the topic's
                # hits cost ~1,000 steps per negative comment during a wave.
                neg -= recent_count(room, "tn:" + key, seconds)
        if raid_on:
            neg -= recent_count(room, "rneg", seconds)
        return max(0, neg), total, negatives

    def fires(unexplained: int, total: int, negatives: int, seconds: float, floor: int) -> bool:
        # The share and the floor first: in a calm room they settle it, and
        # the expectation below (the larger part of this check) is not needed.
        if total <= 0 or unexplained < floor or not unexplained / total >= trigger:
            return False
        # As for topics: the count must be surprising given the larger of
        # the share- and rate-based expectations.
        expected = room.baseline.expected(
            "neg", seconds, total - negatives, cfg.baseline_margin_sigmas
        )
        return unexplained >= poisson_needed(expected, cfg.surprise_alpha)

    span = held(room)
    unexplained, total, negatives = measure(span)
    firing = fires(unexplained, total, negatives, span, cfg.negative_min_count)
    if not firing and ("negative_spike", "") not in room.active:
        # A sudden turn shows first in the last part of the window: its
        # first seconds hold few of the turn's comments but dilute it.
        for frac in _SPIKE_PARTS:
            part = math.ceil(span * frac)
            f_unexplained, f_total, f_negatives = measure(part)
            floor = math.ceil(cfg.negative_min_count * (0.5 + frac / 2))
            if fires(f_unexplained, f_total, f_negatives, part, floor):
                firing = True
                span, unexplained, total = part, f_unexplained, f_total
                break
    share = unexplained / total if total else 0.0
    below = unexplained < cfg.negative_min_count / 2 or share < (base_share + trigger) / 2
    level = 2 if share >= max(cfg.negative_critical_share, trigger) else 1

    def build() -> tuple[str, Evidence]:
        # The hits of the span counted (the last part of the window when the
        # turn was found there): users and samples of more would read "18
        # comments from 21 users".
        since = now - span
        unexplained_hits = [
            h
            for h in room.negatives
            if h.ts > since
            and not (raid_on and h.raid)
            and (
                (h.topic is None and h.label != "grievance")
                if wave_on
                else (h.topic is None or h.topic not in claimed)
            )
        ]
        terms = Counter[str]()
        for h in unexplained_hits:
            terms.update(dict.fromkeys(words_of(h)).keys())
        samples = [h.sample for h in unexplained_hits]
        ev = Evidence(
            count=unexplained,
            window_seconds=span,
            rate_per_min=unexplained * 60.0 / span,
            baseline_per_min=room.baseline.mean("neg") * 60.0,
            share=share,
            baseline_share=base_share,
            users=len({h.user for h in unexplained_hits}),
            top_terms=tuple(terms.most_common(6)),
            samples=tuple(samples[-cfg.max_samples :]),
        )
        summary = (
            f"直播间「{room.name}」负面情绪激增：近{span:g}秒负面评论"
            f"{unexplained}条，占比{share:.0%}（平时约{base_share:.0%}）。"
        )
        return summary, ev

    life.step(room, "negative_spike", "", now, firing, below, level, unexplained, build, events)
