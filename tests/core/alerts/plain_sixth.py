"""The alert stage's code before the sixth pass, kept verbatim (but names)
as the reference for its fast paths (``test_fast_paths_stage.py``)."""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from roomwatch.core.alerts import (
    AlertConfig,
    AlertEvent,
    Observation,
    abuse_raid,
    grievance_topic,
    manager,
    negative_spike,
    volume_drop,
    volume_surge,
    watchlist,
)
from roomwatch.core.alerts.grievance_topic import ASIDE_LABELS, SeedTerms
from roomwatch.core.alerts.manager import _PRUNE_EVERY, _TEXT_KINDS
from roomwatch.core.alerts.seeds import STOPWORDS
from roomwatch.core.alerts.state import (
    Cluster,
    Hit,
    Room,
    held,
    recent_pair,
    sample_of,
    term_finder,
)
from roomwatch.core.alerts.window import Fold
from roomwatch.core.analyze import TYPED_KINDS
from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.stages.events import Publish


def plain_observe(self: Any, obs: Observation) -> list[AlertEvent]:
    """``AlertManager.observe`` before the sixth pass (verbatim, but names)."""
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
    volume_drop.note(room, now, 1, cfg)  # (stop 22: the pace, in both)
    negative = obs.sentiment <= cfg.negative_sentiment
    label = obs.label
    terms = plain_watch_terms(self, c.room, obs.text)
    # A comment that is neither negative nor labelled other than chatter,
    # names no watched term and finds no near-duplicate group is kept by
    # no detector (no Hit holds its sample): its sample is not made.
    if negative or label != "chatter" or terms or room.groups:
        sample = sample_of(obs)
    else:
        sample = manager._UNKEPT
    user = c.user_key
    bucket = room.buckets[-1][1]
    window = room.window
    bucket["n"] += 1
    window["n"] += 1

    # Abuse raid: near-duplicate grouping.
    raid_member = abuse_raid.observe(cfg, room, obs, sample, negative)
    if raid_member and negative:
        bucket["rneg"] += 1
        window["rneg"] += 1

    # Grievance topic.
    topic = plain_topic_of(cfg, self._seed_terms, room, obs, negative, self._seed_finder)
    words = tuple(plain_salient(obs.tokens)) if topic is not None or negative else ()
    if topic is not None:
        key = "t:" + topic
        bucket[key] += 1
        window[key] += 1
        if negative:
            key = "tn:" + topic
            bucket[key] += 1
            window[key] += 1
        room.topics.setdefault(topic, deque()).append(
            Hit(now, user, negative, sample, words, topic)
        )
        room.topic_users.setdefault(topic, Counter())[user] += 1
        if user is not None:
            # Oldest first, so pruning stops at the first one still in the window.
            room.user_topic[user] = (topic, now)
            room.user_topic.move_to_end(user)

    if negative:
        bucket["neg"] += 1
        window["neg"] += 1
        if topic is None and label != "grievance":
            # Negative, but no complaint: what is left of the room's mood
            # while a complaint wave (whose grievances these are not) is on.
            bucket["nfree"] += 1
            window["nfree"] += 1
        room.negatives.append(
            Hit(
                now,
                user,
                True,
                sample,
                words,
                topic,
                raid_member,
                label=label,
            )
        )

    if terms:
        bucket["w"] += 1
        window["w"] += 1
        room.watch.append(Hit(now, user, negative, sample, terms, topic, raid_member))

    if not room.pruned_at <= now < room.pruned_at + _PRUNE_EVERY:
        plain_prune(self, room, now)
    is_warm = plain_warm(room, cfg)
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


def plain_watch_terms(self: Any, room: str, text: str) -> tuple[str, ...]:
    """``AlertManager._watch_terms`` before the sixth pass (verbatim, but the name)."""
    terms = self.config.watch_terms_for(room)
    if not terms:
        return ()
    known = self._watch_finders.get(room)
    if known is None or known[0] is not terms:
        known = self._watch_finders[room] = (terms, term_finder(terms))
    if known[1].search(text) is None:
        return ()  # the same as below: no term is in the text
    return tuple(t for t in terms if t in text)


def plain_prune(self: Any, room: Room, now: float) -> None:
    """``AlertManager._prune`` before the sixth pass (verbatim, but the name)."""
    room.pruned_at = now
    horizon = now - room.span  # (stop 25)
    for hits in (room.negatives, room.watch):
        while hits and hits[0].ts <= horizon:
            hits.popleft()
    for key in list(room.topics):
        hits = room.topics[key]
        users = room.topic_users[key]
        while hits and hits[0].ts <= horizon:
            gone = hits.popleft().user
            users[gone] -= 1
            if not users[gone]:
                del users[gone]
        if not hits and ("grievance_topic", key) not in room.active:
            del room.topics[key]
            del room.topic_users[key]
    raid_horizon = now - self.config.raid_window_seconds
    kept = []
    for group in room.groups:
        while group.members and group.members[0].ts <= raid_horizon:
            old = group.members.popleft()
            if old.label in abuse_raid.FLAGGED:
                group.abusive -= 1
            gone = old.user
            if gone is not None:
                group.users[gone] -= 1
                if not group.users[gone]:
                    del group.users[gone]
        if group.members:
            kept.append(group)
    room.groups = kept
    idle = now - 3 * self.config.baseline_half_life_seconds
    for key in [k for k, c in room.clusters.items() if c.last < idle]:
        del room.clusters[key]
    for pair in [k for k, until in room.cooldown.items() if until <= now]:
        del room.cooldown[pair]
    user_topic = room.user_topic
    while user_topic and next(iter(user_topic.values()))[1] <= horizon:
        user_topic.popitem(last=False)


def plain_topic_of(
    cfg: AlertConfig,
    seeds: SeedTerms,
    room: Room,
    obs: Observation,
    negative: bool,
    finder: re.Pattern[str] | None = None,
) -> str | None:
    """``grievance_topic.topic_of`` before the sixth pass (verbatim, but names).

    The topic a comment is about, or ``None`` when it is no complaint.

    ``finder``: :func:`seed_finder` of ``seeds`` (made here when not given).
    """
    if obs.label != "grievance" and not (negative and obs.label in ASIDE_LABELS):
        return None  # decided below too; this skips the term scan for most comments
    # The topic with most seed hits; ties go to the topic already busiest
    # in the window ("坏果包赔呢，退款被拒" during a refund wave is a refund).
    seeded = None
    text = obs.text
    if (finder or grievance_topic.seed_finder(seeds)).search(text) is not None:
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
    words = dict.fromkeys(plain_salient(obs.tokens))
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


def plain_salient(tokens: Iterable[str]) -> list[str]:
    """``state.salient`` before the sixth pass (verbatim, but the name)."""
    out = []
    for tok in tokens:
        tok = tok.strip()
        if len(tok) < 2 or tok in STOPWORDS:
            continue
        if tok.isdigit() and len(tok) < 3:
            continue
        if not any(ch.isalnum() for ch in tok):
            continue
        out.append(tok)
    return out


def plain_warm(room: Room, cfg: AlertConfig) -> bool:
    """``state.warm`` before the sixth pass (verbatim, but the name): past the warm-up.

    Measured on the comments seen, so a room that went quiet right after it
    appeared is still warming up.
    """
    return (
        room.last_ts - room.first_ts >= cfg.warmup_seconds and room.seen >= cfg.warmup_min_comments
    )


def plain_stage_call(self: Any, results: Sequence[Result]) -> list[Publish]:
    """``AlertStage.__call__`` before the sixth pass (verbatim, but the name)."""
    out: list[Publish] = []
    newest: dict[str, float] = {}
    tick_at = self._tick_at
    own = self._own
    manager = self.manager
    floor = math.floor
    for r in results:
        if not isinstance(r, Verdict):
            continue
        c = r.comment
        room = c.room
        ts = c.ts
        if r.lag_s is not None:
            lag_event = self.lag.observe(room, r.lag_s, ts)
            if lag_event is not None:
                self._lag_alert(lag_event, out)
        if c.kind not in TYPED_KINDS:
            continue
        last = tick_at.get(room)
        if last is None or floor(ts) > last:
            self._advance(room, ts, out)  # (a new second: the others are no-ops)
        if ts > newest.get(room, -math.inf):
            newest[room] = ts
        # Observation.from_verdict(r, text=r.normalized.text), without its lookups.
        observation = Observation(c, r.label, r.sentiment, r.normalized.text, r.tokens)
        events = own.get(room, manager).observe(observation)
        if events:
            self._emit(events, out)
    self._settle(newest)
    return out


def plain_closed_parts(room: Room, cfg: AlertConfig) -> tuple[tuple[int, int, int, bool], ...]:
    """``negative_spike._closed_parts`` before the sixth pass (verbatim, but
    names). Per part (the window first): its floor, its closed buckets' negatives
    and comments, and whether it is the whole window (then read as a whole,
    as :func:`~roomwatch.core.alerts.state.recent_count` reads it)."""
    out = []
    for seconds, floor in negative_spike._parts(held(room), cfg.negative_min_count):
        first = room.sec - math.ceil(seconds) + 1
        if first <= room.buckets[0][0]:
            out.append((floor, 0, 0, True))
            continue
        negatives, total = recent_pair(room, "neg", "n", seconds)
        sec, counts = room.buckets[-1]
        if sec >= first:
            negatives -= counts.get("neg", 0)
            total -= counts.get("n", 0)
        out.append((floor, negatives, total, False))
    return tuple(out)


def plain_fold_bucket(
    self: Fold, counts: Mapping[str, int], learning: Mapping[str, float], span: int
) -> None:
    """``Fold.bucket`` before the sixth pass: the baseline learns every key
    (verbatim, but the window: subtracted and ``+``-ed at once, as
    ``Fold.done`` did at the end; the same window, see the fold test)."""
    if self._empty:
        self._idle()
    self.room.baseline.step(counts, learning, span)
    self.steps += 1
    if counts:
        self.room.window.subtract(counts)
        self.room.window = +self.room.window
