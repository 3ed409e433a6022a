"""The classifier's verdict on one comment, and a batch's verdicts built at once.

:func:`assemble` turns a batch's columns (label indices, probabilities,
sentiment, hits, feature reasons and the few per-row notes the decision rules
add) into :class:`Prediction` objects with C-level iteration wherever the
rows need no special handling: the per-row Python loop it replaced was a
third of :meth:`~roomwatch.core.classify.Classifier.predict_batch`'s time.
``tests/core/test_prediction_assembly.py`` checks it against that loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from itertools import repeat
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

    __slots__ = ("_applied", "_hits")

    def __init__(self) -> None:
        self._hits: dict[Hit, str] = {}
        self._applied: dict[tuple[str, ...], list[str]] = {}

    def hit(self, hit: Hit) -> str:
        name = self._hits.get(hit)
        if name is None:
            if len(self._hits) >= _CACHE_LIMIT:
                self._hits.clear()
            name = self._hits[hit] = hit.reason()
        return name

    def applied(self, applied: tuple[str, ...]) -> list[str]:
        names = self._applied.get(applied)
        if names is None:
            if len(self._applied) >= _CACHE_LIMIT:
                self._applied.clear()
            names = self._applied[applied] = ["norm:" + a for a in applied]
        return names


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
    n = len(hits)
    label_list = [labels[i] for i in chosen.tolist()]
    scores = list(map(dict, map(zip, repeat(labels), probs.tolist())))
    reasons: list[tuple[str, ...]] = list(map(tuple, top))
    special = {i for i in range(n) if hits[i] or normalized[i].applied}
    for note in notes:
        special.update(note)
    hit_name = names.hit
    applied_names = names.applied
    for i in special:
        row_hits = hits[i]
        applied = normalized[i].applied
        if row_hits or applied:
            row = [hit_name(h) for h in row_hits]
            if applied:
                row += applied_names(applied)
            row += top[i]
        else:
            row = list(top[i])
        for note in notes:
            extra = note.get(i)
            if extra is not None:
                row = [*row, extra]
        reasons[i] = tuple(row)
    return list(
        map(_new_prediction, zip(label_list, scores, polarity.tolist(), reasons, strict=True))
    )
