"""Folding: which open item a new question joins, and the index that finds it fast.

Each question becomes :class:`~roomwatch.core.slots.QuestionFeatures`
(intent + aspect, slots such as ``link=3`` or ``region=新疆``, topic words).
A question folds into an item whose signature (intent, aspect and *all*
slots) is equal and whose topic words are similar (Jaccard ≥
``fold_threshold``; an empty topic matches only an empty topic). Candidates
come from an inverted index keyed by (signature, topic word), and at most
``max_candidates`` of them are compared. Identical normalised texts skip
feature extraction (:attr:`FoldIndex.exact`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

from roomwatch.core.queue.config import QueueConfig
from roomwatch.core.queue.entry import LIVE, Entry

if TYPE_CHECKING:
    from roomwatch.core.slots import QuestionFeatures

__all__ = ["FoldIndex", "accepts", "jaccard"]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def accepts(entry: Entry, now: float, config: QueueConfig) -> bool:
    """Whether ``entry`` may still absorb a question asked at ``now``."""
    if entry.state in LIVE:
        return now - entry.last_seen <= config.window_s
    assert entry.closed_at is not None
    return now - entry.closed_at <= config.grace_s


class FoldIndex:
    """The inverted index, the exact-text shortcut and the features cache of one queue."""

    def __init__(self, config: QueueConfig, items: Mapping[str, Entry]) -> None:
        self.config = config
        self._items = items
        # (signature, topic word or "") -> item ids, oldest first.
        self._index: dict[tuple[Any, str], dict[str, None]] = {}
        #: Normalised text -> the item it last folded into (skips extraction).
        self.exact: dict[str, str] = {}
        self._features_cache: dict[str, QuestionFeatures] = {}

    def features(self, text: str, tokens: Sequence[str]) -> QuestionFeatures:
        feats = self._features_cache.get(text)
        if feats is None:
            if len(self._features_cache) >= 4096:
                self._features_cache.clear()
            # Imported here, not at the top: roomwatch.core.slots compiles about
            # 90 regexes at import (~20 ms), and every command that loads the
            # config imports this package, classify too, which never folds.
            from roomwatch.core.slots import extract, with_products

            feats = extract(text, tokens)
            if self.config.products:
                feats = with_products(feats, text, self.config.products)
            self._features_cache[text] = feats
        return feats

    def match(self, feats: QuestionFeatures, now: float) -> Entry | None:
        cfg = self.config
        sig = feats.signature
        words = feats.words
        limit = cfg.max_candidates
        seen: dict[str, int] = {}
        for word in words or ("",):
            posting = self._index.get((sig, word))
            if not posting:
                continue
            for item_id in islice(reversed(posting), limit):
                seen[item_id] = seen.get(item_id, 0) + 1
        if not seen:
            return None
        # Jaccard ≥ t needs at least ⌈t·|words|⌉ shared words: skip the rest
        # without computing anything (postings are read for recent items only,
        # so the shared count is a lower bound; that only costs recall).
        need = math.ceil(cfg.fold_threshold * len(words) - 1e-9) if words else 1
        hits = [kv for kv in seen.items() if kv[1] >= need]
        if not hits:
            return None
        ranked = (
            sorted(hits, key=lambda kv: kv[1], reverse=True)[:limit] if len(hits) > limit else hits
        )
        best: Entry | None = None
        best_sim = cfg.fold_threshold
        for item_id, _ in ranked:
            entry = self._items[item_id]
            if not accepts(entry, now, cfg):
                continue
            sims = [jaccard(words, topic) for topic in entry.topics]
            sim = max(sims)
            if len(sims) > 1 and min(sims) < cfg.fold_conflict:
                continue
            if sim > best_sim or (sim == best_sim and (best is None or entry.seq > best.seq)):
                best, best_sim = entry, sim
        return best

    def learn_topic(self, entry: Entry, feats: QuestionFeatures) -> None:
        words = feats.words
        if words in entry.topics or len(entry.topics) >= 4:
            return
        entry.topics.append(words)
        self.index_entry(entry, words)

    def index_entry(self, entry: Entry, words: frozenset[str]) -> None:
        for word in words or ("",):
            key = (entry.signature, word)
            posting = self._index.get(key)
            if posting is None:
                posting = self._index[key] = {}
            if entry.id not in posting:
                posting[entry.id] = None
                entry.index_keys.append(key)

    def add_wording(self, entry: Entry, key: str, raw: str) -> None:
        wordings = entry.wordings
        slot = wordings.get(key)
        if slot is not None:
            slot[0] += 1
        else:
            count = 1
            if len(wordings) >= self.config.max_wordings:
                # Space-saving: the newcomer inherits the smallest count + 1.
                victim = min(wordings, key=lambda k: wordings[k][0])
                count = wordings.pop(victim)[0] + 1
                if self.exact.get(victim) == entry.id:
                    del self.exact[victim]
            wordings[key] = [count, raw.strip()[: self.config.max_text_chars]]
        self.exact[key] = entry.id

    def forget(self, entry: Entry) -> None:
        """Drop a removed entry from the index and the exact-text shortcut."""
        for key in entry.index_keys:
            posting = self._index.get(key)
            if posting is not None:
                posting.pop(entry.id, None)
                if not posting:
                    del self._index[key]
        for text in entry.wordings:
            if self.exact.get(text) == entry.id:
                del self.exact[text]
