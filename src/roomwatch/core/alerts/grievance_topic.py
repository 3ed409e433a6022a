"""``grievance_topic``: complaints about one thing gather.

A grievance names a topic by the seed terms of ``lexicons/alerts/topics.tsv``
(发霉/退款/过敏 ...; ``[alerts] topic_seeds``), by the viewer's own last
topic, or else by joining an incremental token cluster, for topics the seeds
do not know. The topic fires when its count in the window rises well above
the topic's baseline share and is surprising (Poisson tail). One alert per
topic, named by its top terms, with sample comments.

An incremental cluster that forms while a negative spike is on is part of
that mood turn (seed topics still open).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from typing import Final

from roomwatch.core.alerts.baseline import poisson_needed
from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.state import (
    Cluster,
    Room,
    claims,
    held,
    salient,
    term_finder,
    words_of,
)
from roomwatch.core.alerts.values import AlertEvent, Evidence, Observation

__all__ = [
    "ASIDE_LABELS",
    "SeedTerms",
    "evaluate",
    "seed_finder",
    "seed_terms",
    "topic_name",
    "topic_of",
]

#: Labels whose comments count towards a grievance topic when they are
#: negative and name a seed term (the classifier's label is not always right:
#: "是不是有防腐剂，怎么回事" reads as a question).
ASIDE_LABELS: Final = frozenset({"chatter", "question"})

#: ``(term, topic)`` pairs, longest term first.
SeedTerms = tuple[tuple[str, str], ...]


def seed_terms(config: AlertConfig) -> SeedTerms:
    """Every seed term with its topic, longest first (ties in config order)."""
    return tuple(
        sorted(
            ((term, topic) for topic, terms in config.topic_seeds.items() for term in terms),
            key=lambda pair: -len(pair[0]),
        )
    )


def seed_finder(seeds: SeedTerms) -> re.Pattern[str]:
    """A pattern that finds a seed term in a text whenever one is in it.

    :func:`topic_of` counts every term (overlaps too) only in a text this
    finds something in; one search of the text instead of ``in`` for each of
    the terms, which most complaints name none of.
    """
    return term_finder(term for term, _topic in seeds)


def topic_of(
    cfg: AlertConfig,
    seeds: SeedTerms,
    room: Room,
    obs: Observation,
    negative: bool,
    finder: re.Pattern[str] | None = None,
) -> str | None:
    """The topic a comment is about, or ``None`` when it is no complaint.

    ``finder``: :func:`seed_finder` of ``seeds`` (made here when not given).
    """
    if obs.label != "grievance" and not (negative and obs.label in ASIDE_LABELS):
        return None  # decided below too; this skips the term scan for most comments
    # The topic with most seed hits; ties go to the topic already busiest
    # in the window ("坏果包赔呢，退款被拒" during a refund wave is a refund).
    seeded = None
    text = obs.text
    if (finder or seed_finder(seeds)).search(text) is not None:
        hits = Counter[str]()
        for term, topic in seeds:
            if term in text:
                hits[topic] += 1
        if hits:
            seeded = max(hits, key=lambda t: (hits[t], len(room.topics.get(t, ())), t))
    # Grievances, plus unhappy chatter or questions that name a seed term
    # (the classifier's label is not always right: "是不是有防腐剂，怎么
    # 回事"); calm questions such as "发什么快递" are not complaints.
    if obs.label != "grievance" and not (negative and seeded and obs.label in ASIDE_LABELS):
        return None
    if seeded is not None:
        return seeded
    # A viewer who just complained about a topic stays on it
    # ("我要打12315投诉" after "收到的苹果全发霉了").
    user = obs.comment.user_key
    if user is not None:
        last = room.user_topic.get(user)
        if last is not None and last[0] in room.topics:
            return last[0]
    # Token order, not a set: a Counter fed from a set takes its ties'
    # order from string hashes, which differ per process, and the top
    # terms below would make replays of one recording disagree.
    words = dict.fromkeys(salient(obs.tokens))
    if not words:
        return None
    best: Cluster | None = None
    best_overlap = 0
    for cluster in room.clusters.values():
        top = {t for t, _ in cluster.terms.most_common(10)}
        overlap = len(words.keys() & top)
        if overlap > best_overlap:
            best, best_overlap = cluster, overlap
    need = min(cfg.cluster_min_overlap, len(words))
    if best is None or best_overlap < need:
        if len(room.clusters) >= cfg.max_clusters:
            oldest = min(room.clusters.values(), key=lambda c: c.last)
            if ("grievance_topic", oldest.key) in room.active:
                return None
            del room.clusters[oldest.key]
        room.cluster_seq += 1
        best = Cluster(f"c{room.cluster_seq}", Counter(), obs.comment.ts)
        room.clusters[best.key] = best
    best.terms.update(words.keys())
    best.last = ts = obs.comment.ts
    if ts < room.cluster_floor:
        room.cluster_floor = ts  # (see Room.cluster_floor)
    return best.key


def evaluate(life: Lifecycle, room: Room, topic: str, now: float, events: list[AlertEvent]) -> None:
    cfg = life.config
    hits = room.topics.get(topic, deque())
    n = len(hits)
    total = room.window["n"]
    users = len(room.topic_users.get(topic, ()))
    share = n / total if total else 0.0
    base_n = room.baseline.mean("n")
    base_share = room.baseline.mean("t:" + topic) / base_n if base_n > 0 else 0.0
    trigger = max(cfg.topic_min_share, base_share * cfg.topic_share_ratio)
    # Poisson guard: a topic that is always mentioned now and then needs
    # a count that its baseline would reach by chance with probability
    # below ``surprise_alpha`` (see :meth:`Baseline.expected`).
    # (``total``, not the others: a topic is a small share, so its own
    # hits barely raise the bar, and the slightly higher bar is kept.)
    seconds = held(room)
    expected = room.baseline.expected("t:" + topic, seconds, total, cfg.baseline_margin_sigmas)
    floor = cfg.topic_min_count if topic in cfg.topic_seeds else cfg.cluster_min_count
    need = max(floor, poisson_needed(expected, cfg.surprise_alpha))
    firing = n >= need and users >= cfg.topic_min_users and share >= trigger
    if (
        firing
        and topic not in cfg.topic_seeds
        and ("grievance_topic", topic) not in room.active
        and claims(room, "negative_spike", "", now)
    ):
        # Unhappy comments of a mood turn share words too ("令人失望",
        # "太让人失望了"): a cluster that forms while the room's negative
        # spike is on is that incident. Seed topics still open.
        firing = False
    below = n < floor / 2 or share < trigger / 2
    level = 2 if n >= cfg.topic_critical_count else 1

    def build() -> tuple[str, Evidence]:
        terms = Counter[str]()
        for h in hits:
            terms.update(dict.fromkeys(words_of(h)).keys())
        top = tuple(terms.most_common(6))
        name = topic_name(room, topic)
        ev = Evidence(
            count=n,
            window_seconds=seconds,
            rate_per_min=n * 60.0 / seconds,
            baseline_per_min=room.baseline.mean("t:" + topic) * 60.0,
            share=share,
            baseline_share=base_share,
            users=users,
            top_terms=top,
            samples=tuple(h.sample for h in list(hits)[-cfg.max_samples :]),
            topic=name,
        )
        words = "、".join(t for t, _ in top[:4]) or name
        summary = (
            f"直播间「{room.name}」出现集中投诉「{name}」：近{seconds}秒"
            f"{users}位用户发出{n}条，高频词：{words}。"
        )
        return summary, ev

    life.step(room, "grievance_topic", topic, now, firing, below, level, n, build, events)


def topic_name(room: Room, topic: str) -> str:
    cluster = room.clusters.get(topic)
    if cluster is None:
        return topic
    return "/".join(t for t, _ in cluster.terms.most_common(2)) or topic
