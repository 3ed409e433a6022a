"""The classifier's verdict on one comment, and a batch's verdicts built at once.

:func:`assemble` turns a batch's columns (label indices, probabilities,
sentiment, hits, feature reasons and the few per-row notes the decision rules
add) into :class:`Prediction` objects with C-level iteration wherever the
rows need no special handling: the per-row Python loop it replaced was a
third of :meth:`~roomwatch.core.classify.Classifier.predict_batch`'s time.
``tests/core/test_prediction_assembly.py`` checks it against that loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from itertools import compress, repeat
from operator import attrgetter
from typing import NamedTuple

import numpy as np

from roomwatch.core.lexicon import Hit
from roomwatch.core.normalize import Normalized

__all__ = ["Prediction", "ReasonNames", "assemble"]


class Prediction(NamedTuple):
    """The classifier's verdict on one comment.

    A named tuple (immutable, fields by name), so a batch of them is made
    by C code (:func:`assemble`) rather than one ``__init__`` call each.
    """

    label: str
    scores: Mapping[str, float]  # label -> probability; sums to 1
    sentiment: float  # [-1, 1]; negative = unhappy or angry
    reasons: tuple[str, ...]  # lexicon hits, normalisations, top features


_new_prediction = partial(tuple.__new__, Prediction)

#: Entries a :class:`ReasonNames` keeps before it starts again.
_CACHE_LIMIT = 4096


class ReasonNames:
    """``Hit.reason()`` and ``"norm:" + name``, remembered: a batch names the same
    few hits and normalisations over and over."""

    __slots__ = ("_applied", "_by_id", "_hits")

    def __init__(self) -> None:
        self._hits: dict[Hit, str] = {}
        # id(hit) -> (hit, name): the lexicon hands out one Hit object per term
        # hit, and an id costs less than a dataclass hash. The entry holds the
        # hit, so no other object can have its id while the entry lives.
        self._by_id: dict[int, tuple[Hit, str]] = {}
        self._applied: dict[tuple[str, ...], tuple[str, ...]] = {}

    def hit(self, hit: Hit) -> str:
        name = self._hits.get(hit)
        if name is None:
            if len(self._hits) >= _CACHE_LIMIT:
                self._hits.clear()
            name = self._hits[hit] = hit.reason()
        return name

    def hits(self, hits: tuple[Hit, ...]) -> list[str]:
        """:meth:`hit` of each of ``hits``."""
        by_id = self._by_id
        out = []
        for hit in hits:
            entry = by_id.get(id(hit))
            if entry is None:
                if len(by_id) >= _CACHE_LIMIT:
                    by_id.clear()
                entry = by_id[id(hit)] = (hit, self.hit(hit))
            out.append(entry[1])
        return out

    def applied(self, applied: tuple[str, ...]) -> tuple[str, ...]:
        names = self._applied.get(applied)
        if names is None:
            if len(self._applied) >= _CACHE_LIMIT:
                self._applied.clear()
            names = self._applied[applied] = tuple("norm:" + a for a in applied)
        return names


def _score_dicts(labels: Sequence[str], probs: np.ndarray) -> list[dict[str, float]]:
    """One ``{label: probability}`` dict per row, in label order (five labels,
    the model's: a dict display per row, a quarter cheaper than ``dict(zip())``)."""
    if len(labels) != 5:
        return list(map(dict, map(zip, repeat(labels), probs.tolist())))
    l0, l1, l2, l3, l4 = labels
    return [{l0: p0, l1: p1, l2: p2, l3: p3, l4: p4} for p0, p1, p2, p3, p4 in probs.tolist()]


def assemble(
    labels: Sequence[str],
    chosen: np.ndarray,
    probs: np.ndarray,
    polarity: np.ndarray,
    hits: Sequence[tuple[Hit, ...]],
    normalized: Sequence[Normalized],
    top: Sequence[Sequence[str]],
    notes: Sequence[Mapping[int, str]],
    names: ReasonNames,
) -> list[Prediction]:
    """One :class:`Prediction` per row.

    A row's reasons are its hits' reasons, its normalisations (``norm:``), its
    top features, then the row's entry in each of ``notes`` in turn (the ask
    cue, the target or ad form, the ``weak:`` note). ``polarity`` is clipped to
    [-1, 1] by the caller.
    """
    label_list = [labels[i] for i in chosen.tolist()]
    scores = _score_dicts(labels, probs)
    reasons: list[tuple[str, ...]] = list(map(tuple, top))
    hit_names = names.hits
    applied_names = names.applied
    # Rows with hits, then rows with normalisations (C-level filters; most rows
    # have neither).
    with_hits = list(compress(range(len(hits)), hits))
    for i in with_hits:
        applied = normalized[i].applied
        if applied:
            reasons[i] = (*hit_names(hits[i]), *applied_names(applied), *reasons[i])
        else:
            reasons[i] = (*hit_names(hits[i]), *reasons[i])
    applied_rows: Iterable[int] = compress(range(len(hits)), map(attrgetter("applied"), normalized))
    if with_hits:
        done = set(with_hits)
        applied_rows = (i for i in applied_rows if i not in done)
    for i in applied_rows:
        reasons[i] = applied_names(normalized[i].applied) + reasons[i]
    # Then each note, in turn, at the end of its rows' reasons.
    for note in notes:
        for i, extra in note.items():
            reasons[i] = (*reasons[i], extra)
    return list(
        map(_new_prediction, zip(label_list, scores, polarity.tolist(), reasons, strict=True))
    )
