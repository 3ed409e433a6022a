"""The alert stage's plain paths, kept verbatim as the reference for its fast ones.

The fast paths (:func:`negative_spike.may_fire`, the seed and watch-term
finders, the sample not made for a comment no detector keeps, the early
returns of ``volume_surge``) must give the same events as the plain code they
stand in for. The plain code is kept here as it was (``AlertManager.observe``,
``grievance_topic.topic_of``, ``volume_surge.evaluate``), and both run on the
same random streams of many kinds (calm rooms of any mood, sour turns,
complaint waves, raids, watched terms, surges, silences, two rooms with
their own watch lists); their events are compared whole.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from typing import Any

import pytest

from roomwatch.core.alerts import (
    AlertConfig,
    AlertEvent,
    AlertManager,
    Observation,
    abuse_raid,
    grievance_topic,
    manager,
    negative_spike,
    volume_drop,
    volume_surge,
    watchlist,
)
from roomwatch.core.alerts.grievance_topic import SeedTerms
from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.manager import _PRUNE_EVERY, _TEXT_KINDS
from roomwatch.core.alerts.state import (
    Cluster,
    Hit,
    Room,
    held,
    salient,
    sample_of,
    term_finder,
    warm,
)
from roomwatch.core.alerts.values import Evidence

from .helpers import HAPPY, MILD, MOULD, RAID, SOUR, T0, obs, run

_ASIDE_LABELS = grievance_topic.ASIDE_LABELS


# --------------------------------------------------------------------------- the plain code


def plain_observe(self: Any, obs: Observation) -> list[AlertEvent]:
    """``AlertManager.observe`` before the fast paths (verbatim, but names)."""
    c = obs.comment
    room = self._room(c.room, c.ts)
    events: list[AlertEvent] = []
    now = self._advance(room, c.ts, events)
    room.last_ts = now
    if room.stretched_at != room.sec:
        self._fit_window(room, now)  # (stop 25: the window fits the room's pace)
    if ("volume_drop", "") in room.active:
        # Any record after silence ends an outage at once.
        volume_drop.end(self._life, room, now, events)  # (stop 22)
    if c.kind not in _TEXT_KINDS:
        # Gifts, likes and entries show the feed is alive, but are not
        # opinions: they would only dilute the shares.
        return events
    room.seen += 1
    cfg = self.config
    volume_drop.note(room, now, 1, cfg)
    negative = obs.sentiment <= cfg.negative_sentiment
    sample = sample_of(obs)
    user = c.user_key
    bucket = room.buckets[-1][1]

    def count(key: str) -> None:
        bucket[key] += 1
        room.window[key] += 1

    count("n")

    # Abuse raid: near-duplicate grouping.
    raid_member = abuse_raid.observe(cfg, room, obs, sample, negative)
    if raid_member and negative:
        count("rneg")

    # Grievance topic.
    topic = plain_topic_of(cfg, self._seed_terms, room, obs, negative)
    words = tuple(salient(obs.tokens)) if topic is not None or negative else ()
    if topic is not None:
        count("t:" + topic)
        if negative:
            count("tn:" + topic)
        room.topics.setdefault(topic, deque()).append(
            Hit(now, user, negative, sample, words, topic)
        )
        room.topic_users.setdefault(topic, Counter())[user] += 1
        if user is not None:
            # Oldest first, so pruning stops at the first one still in the window.
            room.user_topic[user] = (topic, now)
            room.user_topic.move_to_end(user)

    if negative:
        count("neg")
        if topic is None and obs.label != "grievance":
            # Negative, but no complaint: what is left of the room's mood
            # while a complaint wave (whose grievances these are not) is on.
            count("nfree")
        room.negatives.append(
            Hit(
                now,
                user,
                True,
                sample,
                words,
                topic,
                raid_member,
                label=obs.label,
            )
        )

    terms = tuple(t for t in cfg.watch_terms_for(c.room) if t in obs.text)
    if terms:
        count("w")
        room.watch.append(Hit(now, user, negative, sample, terms, topic, raid_member))

    if not room.pruned_at <= now < room.pruned_at + _PRUNE_EVERY:
        self._prune(room, now)
    is_warm = warm(room, cfg)
    if raid_member:
        abuse_raid.evaluate(self._life, room, now, events)
    if topic is not None and is_warm:
        grievance_topic.evaluate(self._life, room, topic, now, events)
    if terms:
        watchlist.evaluate(self._life, room, now, events)
    if negative and is_warm:
        negative_spike.evaluate(self._life, room, now, events)
    if is_warm:
        volume_surge.evaluate(self._life, room, now, events)
    return events


def plain_topic_of(
    cfg: AlertConfig, seeds: SeedTerms, room: Room, obs: Observation, negative: bool
) -> str | None:
    """``grievance_topic.topic_of`` before the seed finder (verbatim, but the name)."""
    if obs.label != "grievance" and not (negative and obs.label in _ASIDE_LABELS):
        return None  # decided below too; this skips the term scan for most comments
    # The topic with most seed hits; ties go to the topic already busiest
    # in the window ("坏果包赔呢，退款被拒" during a refund wave is a refund).
    hits = Counter[str]()
    for term, topic in seeds:
        if term in obs.text:
            hits[topic] += 1
    seeded = None
    if hits:
        seeded = max(hits, key=lambda t: (hits[t], len(room.topics.get(t, ())), t))
    # Grievances, plus unhappy chatter or questions that name a seed term
    # (the classifier's label is not always right: "是不是有防腐剂，怎么
    # 回事"); calm questions such as "发什么快递" are not complaints.
    if obs.label != "grievance" and not (negative and seeded and obs.label in _ASIDE_LABELS):
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
    best.last = obs.comment.ts
    return best.key


def plain_surge(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
    """``volume_surge.evaluate`` before its early return (verbatim, but the name)."""
    cfg = life.config
    n = room.window["n"]
    base = room.baseline.mean("n") * held(room)
    ratio = n / base if base > 0 else 0.0
    firing = n >= cfg.surge_min_count and ratio >= cfg.surge_ratio
    below = ratio < cfg.surge_ratio / 2

    def build() -> tuple[str, Evidence]:
        ev = Evidence(
            count=n,
            window_seconds=held(room),
            rate_per_min=n * 60.0 / held(room),
            baseline_per_min=room.baseline.mean("n") * 60.0,
        )
        summary = (
            f"直播间「{room.name}」评论量激增：近{held(room)}秒{n}条，约为平时的{ratio:.1f}倍。"
        )
        return summary, ev

    life.step(room, "volume_surge", "", now, firing, below, 0, n, build, events)


# --------------------------------------------------------------------------- streams

#: Seed terms and watched terms, with text around them (some comments name several).
_SEEDED = ("收到的苹果全发霉了", "发霉了还敢卖要求退款", "吃了过敏怎么办", "坏果包赔呢，退款被拒")
_WATCHED = ("我要打12315", "去曝光你们", "维权群在哪", "12315曝光")
_QUESTIONS = ("多少钱一箱", "几号链接", "什么时候发货")


def _comment(rng: random.Random, ts: float, room: str, mood: float) -> Observation:
    """One comment of a room whose share of negative comments is ``mood``."""
    roll = rng.random()
    user = f"u{rng.randint(1, 400)}"
    if roll < mood:
        text = rng.choice(SOUR + MILD + _SEEDED[:2] + _WATCHED[:1])
        label = rng.choice(("chatter", "chatter", "question", "grievance", "abuse"))
        sentiment = rng.uniform(-1.0, -0.3)
    else:
        text = rng.choice(HAPPY + _QUESTIONS + _WATCHED[2:3])
        label = rng.choice(("chatter", "chatter", "chatter", "question", "spam"))
        sentiment = rng.uniform(-0.29, 1.0)
    return obs(
        ts, text, label=label, sentiment=sentiment, user=user, room=room, tokens=_tokens(text)
    )


def _tokens(text: str) -> tuple[str, ...]:
    """Two-character tokens (the detectors' salient words need not be jieba's)."""
    return tuple(text[i : i + 2] for i in range(0, len(text), 2))


def _stream(seed: int) -> tuple[list[Observation], float]:
    rng = random.Random(seed)
    out: list[Observation] = []
    end = T0 + rng.randint(600, 1200)
    for room in ("room-a", "room-b"):
        t = T0 + rng.random()
        rate = rng.uniform(1.0, 8.0)
        mood = rng.uniform(0.02, 0.5)
        while t < end:
            if rng.random() < 0.002:
                t += rng.choice((5, 40, 200, 400))  # a silence (an outage or the end of a show)
            out.append(_comment(rng, t, room, mood))
            t += rng.expovariate(rate)
        for _ in range(rng.randint(2, 5)):
            onset = rng.uniform(T0 + 150, end - 30)
            kind = rng.choice(("sour", "mould", "raid", "watch", "surge", "cluster"))
            length = rng.uniform(10, 60)
            k = 0
            t = onset
            while t < onset + length:
                user = f"{kind}{seed}-{k % rng.choice((3, 50))}"
                if kind == "sour":
                    o = obs(
                        t, rng.choice(SOUR), label="chatter", sentiment=-0.8, user=user, room=room
                    )
                elif kind == "mould":
                    text = rng.choice(MOULD + _SEEDED)
                    o = obs(t, text, label="grievance", sentiment=-0.7, user=user, room=room)
                elif kind == "raid":
                    o = obs(
                        t, rng.choice(RAID), label="abuse", sentiment=-0.9, user=user, room=room
                    )
                elif kind == "watch":
                    text = rng.choice(_WATCHED)
                    o = obs(t, text, label="question", sentiment=-0.5, user=user, room=room)
                elif kind == "surge":
                    o = obs(t, rng.choice(HAPPY), sentiment=0.7, user=user, room=room)
                else:
                    text = rng.choice(("快递 太慢 了 差评", "客服 不理人 差评", "快递 太慢 客服"))
                    o = obs(t, text, label="grievance", sentiment=-0.6, user=user, room=room)
                out.append(o)
                k += 1
                t += rng.expovariate(60.0 if kind == "surge" else rng.uniform(1.0, 6.0))
    return out, end + 400


def _config(seed: int) -> AlertConfig:
    rng = random.Random(seed)
    return AlertConfig(
        room_watch_terms={"room-b": ("维权", "退款")} if rng.random() < 0.5 else {},
        negative_min_count=rng.choice((6, 12)),
        warmup_seconds=rng.choice((30.0, 120.0)),
    )


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manager.AlertManager, "observe", plain_observe)
    monkeypatch.setattr(negative_spike, "may_fire", lambda room, cfg: True)
    monkeypatch.setattr(volume_surge, "evaluate", plain_surge)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("seed", range(8))
def test_fast_paths_give_the_plain_events(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    stream, until = _stream(seed)
    fast = run(AlertManager(_config(seed)), stream, until)
    _plain(monkeypatch)
    plain = run(AlertManager(_config(seed)), stream, until)
    assert fast == plain
    assert len(fast) >= 3  # (the streams do raise alerts)


def test_the_streams_reach_every_detector() -> None:
    detectors = Counter[str]()
    for seed in range(8):
        stream, until = _stream(seed)
        detectors.update(e.alert.detector for e in run(AlertManager(_config(seed)), stream, until))
    for name in ("negative_spike", "grievance_topic", "abuse_raid", "watchlist", "volume_drop"):
        assert detectors[name] > 0, detectors


def test_may_fire_is_true_whenever_the_spike_check_fires() -> None:
    """Per negative comment: the plain check never fires where ``may_fire`` says no."""
    seen = Counter[str]()
    real = negative_spike.may_fire

    def checked(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
        quick = real(room, life.config)
        before = len(events)
        original(life, room, now, events)
        opened = any(e.kind == "open" for e in events[before:])
        seen["yes" if quick else "no"] += 1
        assert quick or not opened

    original = negative_spike.evaluate
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(negative_spike, "may_fire", lambda room, cfg: True)
        mp.setattr(negative_spike, "evaluate", checked)
        for seed in range(4):
            stream, until = _stream(seed)
            run(AlertManager(_config(seed)), stream, until)
    assert seen["yes"] > 0 and seen["no"] > 0


@pytest.mark.parametrize(
    "terms",
    [
        ("ab", "abc", "b"),
        ("发霉", "霉"),
        ("a.b", "(x)", "[", "\\"),
        ("",),
        ("12315", "曝光", "维权"),
    ],
)
def test_the_finders_find_a_term_whenever_one_is_in(terms: tuple[str, ...]) -> None:
    rng = random.Random(5)
    finder = term_finder(terms)
    seeds: SeedTerms = tuple((t, f"topic{i % 2}") for i, t in enumerate(terms))
    seed_finder = grievance_topic.seed_finder(seeds)
    alphabet = "".join(dict.fromkeys("".join(terms) + "xyz发霉的"))
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        present = any(t in text for t in terms)
        assert (finder.search(text) is not None) == present, text
        assert (seed_finder.search(text) is not None) == present, text


def test_may_fire_s_memo_of_the_second_is_what_a_fresh_look_finds() -> None:
    """``may_fire`` works out the trigger and the parts' closed counts once a
    second: on every negative comment it answers as if it had just done so."""
    real = negative_spike.may_fire
    asked = Counter[bool]()

    def checked(room: Room, cfg: AlertConfig) -> bool:
        kept = real(room, cfg)
        memo = room.spike_memo
        room.spike_memo = None
        fresh = real(room, cfg)
        assert kept == fresh
        assert room.spike_memo == memo  # the same numbers, looked at afresh
        asked[kept] += 1
        return kept

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(negative_spike, "may_fire", checked)
        for seed in range(4):
            stream, until = _stream(seed)
            run(AlertManager(_config(seed)), stream, until)
    assert asked[True] > 0 and asked[False] > 1000
