"""Grievance topics: grievances grouped by their salient tokens, weighted by
how rare each token is among grievances, into at most ``max_topics``
clusters; the smallest cluster is dropped when a new one does not fit.

A grievance holding a seed term of the alert detector's topics (``[alerts]
topic_seeds``: 退款售后, 食品安全 ...) goes to that named topic instead, so the
report groups complaints under the names the comms alerts used, and one
topic is not split by its incidental words ("处理 退款", "没人管 退款")."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Final

from roomwatch.core.alerts.grouping import compact
from roomwatch.core.verdict import Verdict
from roomwatch.report.config import ReportConfig
from roomwatch.report.counters import Pruned, SpaceSaving, keep_samples
from roomwatch.report.values import Sample, Topic

__all__ = ["Topics"]

# Words that say nothing about what a grievance is about: particles, pronouns,
# forms of address, and the normaliser's emoji placeholders.
_STOPWORDS: Final = frozenset(
    """
    的 了 吗 呢 啊 吧 呀 哦 嘛 么 是 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 都 也 就 还
    在 有 和 个 不 没 没有 很 太 又 被 把 给 要 会 能 不能 说 人 主播 直播间 家 买 东西 什么
    怎么 为什么 一个 一下 真的 就是 还是 现在 今天 已经 可以 大家 自己 这么 那么 知道 感觉
    觉得 好像 然后 但是 因为 所以 号 啦 哈 哈哈 哈哈哈 嗯 哎 唉 这是 不是 宝宝 家人 家人们
    姐妹 姐妹们 姐姐 宝子 宝子们 老铁 县长 书记 领导 您 看看 您看 同问 有没有 一直 到底 好几
    emopos emoneg emolol emoask emoneu
    """.split()  # noqa: SIM905
)


def _salient(tokens: Iterable[str]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        tok = tok.strip()
        if len(tok) < 2 or tok in _STOPWORDS or tok in out:
            continue
        if tok.isdigit() or not any(ch.isalnum() for ch in tok):
            continue
        out.append(tok)
    return out


class _Topic:
    __slots__ = ("count", "first_ts", "id", "last_ts", "name", "rooms", "samples", "sent", "terms")

    def __init__(self, topic_id: int, k: int, ts: float, name: str = "") -> None:
        self.id = topic_id
        self.name = name
        self.count = 0
        self.terms = SpaceSaving(k)
        #: Per room (of those counted in ``rooms``): its first distinct samples,
        #: so that a topic's samples come from the rooms that raised it most.
        self.samples: dict[str, list[Sample]] = {}
        self.rooms: dict[str, int] = {}
        self.first_ts = ts
        self.last_ts = ts
        self.sent = 0.0


class Topics:
    """The grievance clusters, with an index from token to the topics holding it."""

    def __init__(
        self,
        config: ReportConfig,
        sample: Callable[[Verdict], Sample],
        seeds: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.config = config
        # Seed topic i is topics[-(i + 1)] (made when first hit; never dropped).
        self._seeds = [
            (name, tuple(term for term in terms if term)) for name, terms in (seeds or {}).items()
        ]
        self._sample = sample
        self.topics: dict[int, _Topic] = {}
        self._index: dict[str, set[int]] = {}
        self._seq = 0
        self.vocab = Pruned(config.max_vocabulary)
        #: Grievances seen.
        self.grievances = 0
        #: Grievances whose small clusters were dropped to stay in bounds.
        self.unclustered = 0

    def add(self, v: Verdict) -> None:
        """Take one typed grievance."""
        cfg = self.config
        c = v.comment
        self.grievances += 1
        tokens = _salient(v.tokens)
        if not tokens:
            tokens = [compact(v.normalized.text)[:12] or "…"]
        vocab = self.vocab
        for t in tokens:
            vocab.add(t)
        seeded = self._seeded(v.normalized.text, c.ts)
        if seeded is not None:
            self._join(seeded, v, tokens)
            return
        n = self.grievances
        weights = [math.log1p(n / (1 + vocab.get(t))) + 0.1 for t in tokens]
        total_w = sum(weights)
        best: _Topic | None = None
        best_score = 0.0
        candidates: set[int] = set()
        for t in tokens:
            ids = self._index.get(t)
            if ids:
                candidates |= ids
        for tid in candidates:
            topic = self.topics[tid]
            counts = topic.terms.counts
            score = sum(
                w * min(counts.get(t, 0) / topic.count, 1.0)
                for t, w in zip(tokens, weights, strict=True)
            )
            score /= total_w
            if score > best_score or (
                score == best_score and best is not None and topic.count > best.count
            ):
                best, best_score = topic, score
        if best is None or best_score < cfg.topic_threshold:
            if len(self.topics) >= cfg.max_topics:
                self._drop_smallest()
            self._seq += 1
            best = _Topic(self._seq, cfg.topic_terms, c.ts)
            self.topics[best.id] = best
        self._join(best, v, tokens)

    def _seeded(self, text: str, ts: float) -> _Topic | None:
        """The seed topic ``text`` names, if any: the one whose terms it holds most
        of (the first in config order on a tie), as the alert detector picks."""
        best, hits = -1, 0
        for i, (_, terms) in enumerate(self._seeds):
            n = sum(term in text for term in terms)
            if n > hits:
                best, hits = i, n
        if best < 0:
            return None
        topic = self.topics.get(-(best + 1))
        if topic is None:
            name = self._seeds[best][0]
            topic = self.topics[-(best + 1)] = _Topic(
                -(best + 1), self.config.topic_terms, ts, name
            )
        return topic

    def _join(self, topic: _Topic, v: Verdict, tokens: list[str]) -> None:
        """Count grievance ``v`` (its salient ``tokens``) in ``topic``."""
        cfg = self.config
        c = v.comment
        topic.count += 1
        topic.sent += v.sentiment
        topic.first_ts = min(topic.first_ts, c.ts)
        topic.last_ts = max(topic.last_ts, c.ts)
        if c.room in topic.rooms or len(topic.rooms) < 16:
            topic.rooms[c.room] = topic.rooms.get(c.room, 0) + 1
            kept = topic.samples.setdefault(c.room, [])
            if len(kept) < cfg.samples:
                keep_samples(kept, self._sample(v), cfg.samples)
        for t in tokens:
            evicted = topic.terms.add(t)
            if topic.name:
                continue  # (a seed topic is found by its seeds, not in the index)
            if evicted is not None:
                ids = self._index.get(evicted)
                if ids is not None:
                    ids.discard(topic.id)
                    if not ids:
                        del self._index[evicted]
            self._index.setdefault(t, set()).add(topic.id)

    def _drop_smallest(self) -> None:
        clusters = [t for t in self.topics.values() if not t.name]
        if not clusters:
            return  # (only seed topics, at most one per seed: bounded by the config)
        victim = min(clusters, key=lambda t: (t.count, -t.id))
        del self.topics[victim.id]
        self.unclustered += victim.count
        for term in victim.terms.counts:
            ids = self._index.get(term)
            if ids is not None:
                ids.discard(victim.id)
                if not ids:
                    del self._index[term]

    def summaries(self) -> tuple[Topic, ...]:
        """Every topic held, largest first, each named by its most telling words
        (the HTML shows the first 12 and counts the rest)."""
        topics = sorted(self.topics.values(), key=lambda t: (-t.count, t.id))
        out = []
        g = max(self.grievances, 1)
        vocab = self.vocab
        for t in topics:
            # Name a topic by the words it holds far more often than grievances
            # at large: share in the topic × log(lift).
            def weight(kv: tuple[str, int], t: _Topic = t) -> float:
                share = min(kv[1] / t.count, 1.0)
                overall = max(vocab.get(kv[0]), kv[1]) / g
                return share * math.log(max(share / overall, 1.0) + 1e-9)

            ranked = sorted(
                (kv for kv in t.terms.counts.items() if kv[0] != t.name),
                key=lambda kv: (-weight(kv), kv[0]),
            )
            # Words most members share; at least the best two.
            common = [kv for kv in ranked if kv[1] * 2 >= t.count]
            terms = tuple(term for term, _ in (common if len(common) >= 2 else ranked)[:4])
            rooms = dict(sorted(t.rooms.items(), key=lambda kv: -kv[1]))
            # Samples from the room that raised the topic most, then the next
            # (a food-safety wave in one room, not another room's allergies).
            samples = [s for room in rooms for s in t.samples.get(room, ())][: self.config.samples]
            out.append(
                Topic(
                    terms=terms,
                    count=t.count,
                    rooms=MappingProxyType(rooms),
                    first_ts=t.first_ts,
                    last_ts=t.last_ts,
                    sentiment=t.sent / t.count if t.count else 0.0,
                    samples=tuple(samples),
                    name=t.name,
                )
            )
        return tuple(out)
