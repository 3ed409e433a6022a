"""Features: one sparse row per comment, shared by training and inference.

A row holds

* character n-grams (``char_ngrams``, default 1–3) of the normalised text, with
  ``^``/``$`` marks at the start and end (``吗$``, ``^加``);
* word n-grams (``word_ngrams``, default 1–2) of the segmenter's tokens
  (bigrams joined by a space);
* evidence indicators: ``lex:<list>`` for each lexicon list hit, ``pat:<name>``
  for each contact/ad pattern hit and ``len:<bucket>`` for the text length.

Only n-grams in the vocabulary (fixed at training time) count. N-gram values
are ``1/sqrt(k)`` for ``k`` known n-grams in the row (repeats add up), so the
text part has roughly unit norm whatever the length; evidence values are 1.
Vocabulary lookups are plain ``dict`` hits, which is what makes batches of
short comments fast in pure Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from roomwatch.core.lexicon import BLOCK_LISTS, PATTERNS, Hit

__all__ = [
    "EVIDENCE",
    "FeatureSpec",
    "Featurizer",
    "char_ngrams",
    "feature_label",
    "word_ngrams",
]

START, END = "\x02", "\x03"
_LENGTH_BUCKETS = (2, 4, 8, 16, 32)
EVIDENCE: tuple[str, ...] = (
    *(f"lex:{name}" for name in BLOCK_LISTS),
    *(f"pat:{name}" for name in PATTERNS),
    *(f"len:<={b}" for b in _LENGTH_BUCKETS),
    f"len:>{_LENGTH_BUCKETS[-1]}",
)


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """N-gram ranges (inclusive)."""

    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)


def char_ngrams(text: str, spec: FeatureSpec) -> Iterable[str]:
    """All character n-grams of ``text`` with start/end marks (for vocabularies)."""
    padded = START + text + END
    lo, hi = spec.char_ngrams
    size = len(padded)
    for n in range(lo, hi + 1):
        for i in range(size - n + 1):
            gram = padded[i : i + n]
            if gram != START and gram != END:
                yield gram


def word_ngrams(tokens: Sequence[str], spec: FeatureSpec) -> Iterable[str]:
    """All word n-grams of ``tokens`` (for vocabularies)."""
    lo, hi = spec.word_ngrams
    for n in range(lo, hi + 1):
        for i in range(len(tokens) - n + 1):
            yield " ".join(tokens[i : i + n])


def feature_label(name: str) -> str:
    """A feature name as a moderator reads it (start/end marks as ^ and $)."""
    return name.replace(START, "^").replace(END, "$")


def _length_feature(size: int) -> str:
    for bucket in _LENGTH_BUCKETS:
        if size <= bucket:
            return f"len:<={bucket}"
    return f"len:>{_LENGTH_BUCKETS[-1]}"


class Featurizer:
    """Turns normalised texts, tokens and lexicon hits into a CSR matrix."""

    __slots__ = ("_chars", "_evidence", "_names", "_words", "n_features", "spec")

    def __init__(self, chars: Sequence[str], words: Sequence[str], spec: FeatureSpec) -> None:
        self.spec = spec
        self._chars = {gram: i for i, gram in enumerate(chars)}
        offset = len(self._chars)
        self._words = {gram: offset + i for i, gram in enumerate(words)}
        offset += len(self._words)
        self._evidence = {name: offset + i for i, name in enumerate(EVIDENCE)}
        self.n_features = offset + len(EVIDENCE)
        self._names: list[str] | None = None

    def name(self, index: int) -> str:
        """The name of feature ``index`` (char n-gram, word n-gram or evidence)."""
        if self._names is None:
            names = [""] * self.n_features
            for table in (self._chars, self._words, self._evidence):
                for key, i in table.items():
                    names[i] = key
            self._names = names
        return self._names[index]

    def transform(
        self,
        texts: Sequence[str],
        tokens: Sequence[Sequence[str]],
        hits: Sequence[Sequence[Hit]],
    ) -> sp.csr_matrix:
        """One row per comment."""
        chars = self._chars.get
        words = self._words.get
        evidence = self._evidence
        lo, hi = self.spec.char_ngrams
        wlo, whi = self.spec.word_ngrams
        indices: list[int] = []
        indptr = [0]
        values: list[float] = []
        for text, toks, row_hits in zip(texts, tokens, hits, strict=True):
            start = len(indices)
            padded = START + text + END
            size = len(padded)
            for n in range(lo, hi + 1):
                if n == 1:
                    for ch in text:
                        j = chars(ch)
                        if j is not None:
                            indices.append(j)
                    continue
                for i in range(size - n + 1):
                    j = chars(padded[i : i + n])
                    if j is not None:
                        indices.append(j)
            ntok = len(toks)
            for n in range(wlo, whi + 1):
                if n == 1:
                    for tok in toks:
                        j = words(tok)
                        if j is not None:
                            indices.append(j)
                elif n == 2:
                    for i in range(ntok - 1):
                        j = words(toks[i] + " " + toks[i + 1])
                        if j is not None:
                            indices.append(j)
                else:
                    for i in range(ntok - n + 1):
                        j = words(" ".join(toks[i : i + n]))
                        if j is not None:
                            indices.append(j)
            count = len(indices) - start
            if count:
                values.extend([1.0 / math.sqrt(count)] * count)
            seen: set[int] = set()
            for hit in row_hits:
                j = evidence.get(hit.evidence)
                if j is not None and j not in seen:
                    seen.add(j)
                    indices.append(j)
                    values.append(1.0)
            indices.append(evidence[_length_feature(len(text))])
            values.append(1.0)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (
                np.asarray(values, dtype=np.float32),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int32),
            ),
            shape=(len(texts), self.n_features),
        )
