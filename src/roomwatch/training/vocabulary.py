"""Texts made ready for features (normalised, segmented, matched) and the vocabulary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from roomwatch.core.features import (
    FeatureSpec,
    char_codes,
    code_gram,
    is_content_gram,
    word_ngrams,
)
from roomwatch.core.lexicon import Hit, Lexicon
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter

__all__ = ["Prepared", "content_codes", "prepare", "vocabulary"]


@dataclass(frozen=True, slots=True)
class Prepared:
    """Normalised texts, tokens and lexicon hits, aligned with the examples."""

    texts: list[str]
    tokens: list[tuple[str, ...]]
    hits: list[tuple[Hit, ...]]


def prepare(
    texts: Sequence[str], normalizer: Normalizer, segmenter: Segmenter, lexicon: Lexicon
) -> Prepared:
    norm = [normalizer(t).text for t in texts]
    toks = segmenter.cut_batch(norm)
    hits = [lexicon.match(t, k) for t, k in zip(norm, toks, strict=True)]
    return Prepared(norm, toks, hits)


def content_codes(codes: np.ndarray) -> np.ndarray:
    """:func:`is_content_gram` of packed char n-gram codes, vectorised over code points."""
    mask = np.uint64((1 << 21) - 1)
    cps = [(codes >> np.uint64(21 * k)) & mask for k in range(3)]
    distinct = np.unique(np.concatenate(cps)).tolist()
    marks = (0, 2, 3, ord("?"))  # no character, start mark, end mark, question mark
    good = np.array([c for c in distinct if c in marks or is_content_gram(chr(c))], np.uint64)
    ok = np.ones(len(codes), dtype=bool)
    real = np.zeros(len(codes), dtype=bool)
    for cp in cps:
        ok &= np.isin(cp, good)
        real |= ~np.isin(cp, np.array(marks, np.uint64))
    return ok & real


def vocabulary(
    prepared: Prepared, spec: FeatureSpec, min_df: int, max_chars: int, max_words: int
) -> tuple[list[str], list[str]]:
    """The most frequent n-grams by document frequency (ties broken deterministically)."""
    rows, codes = char_codes(prepared.texts, spec)
    order = np.lexsort((codes, rows))
    rows, codes = rows[order], codes[order]
    first = np.ones(len(codes), dtype=bool)  # first occurrence of (row, code)
    first[1:] = (rows[1:] != rows[:-1]) | (codes[1:] != codes[:-1])
    uniq, df = np.unique(codes[first], return_counts=True)
    keep = df >= min_df
    keep &= content_codes(uniq)
    uniq, df = uniq[keep], df[keep]
    top = np.lexsort((uniq, -df))[:max_chars]  # by df, ties by code: deterministic
    chars = sorted(code_gram(int(c)) for c in uniq[top])

    words: Counter[str] = Counter()
    for toks in prepared.tokens:
        words.update(set(word_ngrams(toks, spec)))
    kept = [
        (df_, g)
        for g, df_ in words.items()
        if df_ >= min_df and len(g) <= 16 and is_content_gram(g, words=True)
    ]
    kept.sort(key=lambda item: (-item[0], item[1]))
    return chars, sorted(g for _, g in kept[:max_words])
