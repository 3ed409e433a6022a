"""Batch fast paths give exactly what the one-at-a-time code gives.

normalize_batch, match_batch, char_codes, the code tables' windowed probing and
the CSR assembly of Featurizer.transform are speed paths: each is checked here
against the plain definition, on corpus texts and on generated strings made to
hit the edge cases (separators inside evasion spellings, runs straddling two
texts, control characters, astral characters, empty texts).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from roomwatch.core.features import (
    EVIDENCE,
    FeatureSpec,
    Featurizer,
    _CodeTable,
    char_codes,
    char_ngrams,
    gram_code,
)
from roomwatch.core.lexicon import Lexicon, RoomTerms
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter

ROOT = Path(__file__).resolve().parents[2]
LEXICONS = ROOT / "lexicons"
CORPUS = ROOT / "corpus" / "live" / "test.jsonl"


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer.from_dir(LEXICONS)


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()][:1500]


def _generated(norm: Normalizer, count: int, seed: int) -> list[str]:
    """Short strings from pieces that trigger (or nearly trigger) every step."""
    rnd = random.Random(seed)
    pieces = [
        *"傻逼sbSB 　,.，。!！?？~*·_\t\n\x00\x02\x03Σσ這個國加微信vx哈6aA[]",
        "𝐬𝐛",
        "😀",
        "❤️",
        "\u200d",
        "[比心]",
        "[哈哈]",
        "哈哈哈哈",
        "！！！",
        "  ",
        *[rule for rule in norm._rules][:300],
    ]
    return ["".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 8))) for _ in range(count)]


def test_normalize_batch_matches_one_by_one(norm: Normalizer, corpus: list[str]) -> None:
    texts = corpus + _generated(norm, 6000, seed=1) + ["", " ", "\n"]
    for start in range(0, len(texts), 256):
        chunk = texts[start : start + 256]
        assert norm.normalize_batch(chunk) == [norm(t) for t in chunk]
    assert norm.normalize_batch([]) == []
    # Lone surrogates (bad JSON escapes) go through like any other character.
    odd = ["a\ud800b  c", "\udfff", "傻\ud800逼"]
    assert norm.normalize_batch(odd) == [norm(t) for t in odd]


def test_normalize_batch_skips_only_unchanged_texts(norm: Normalizer) -> None:
    # The screen must not wave through a separated or folded evasion spelling.
    texts = ["主播好", "傻 逼", "傻~逼", "加 微 信", "nmsl", "n m s l", "哈哈哈哈", "。。。", " a"]
    got = norm.normalize_batch(texts)
    assert got == [norm(t) for t in texts]
    assert got[0].applied == ()
    assert all(g.applied or g.text != t for g, t in zip(got[1:], texts[1:], strict=True))


def test_match_batch_does_not_depend_on_batch_or_cache_state(
    norm: Normalizer, corpus: list[str]
) -> None:
    # The lexicon caches hits and pattern sets across comments: a comment's
    # hits must be the same whatever came before it, in any batch.
    seg = Segmenter.from_dir(LEXICONS)
    texts = [n.text for n in norm.normalize_batch(corpus + _generated(norm, 2000, seed=2))]
    tokens = seg.cut_batch(texts)
    room = RoomTerms.of(abuse=["主播"], spam=["链接"], allow=["傻逼"])
    for terms in (None, RoomTerms(), room):
        whole = Lexicon.from_dir(LEXICONS).match_batch(texts, tokens, terms)
        fresh = Lexicon.from_dir(LEXICONS)
        backwards = [
            fresh.match(t, k, terms) for t, k in zip(texts[::-1], tokens[::-1], strict=True)
        ]
        assert whole == backwards[::-1]
        assert any(whole)  # the corpus does hit the lists
    with pytest.raises(ValueError):
        Lexicon.from_dir(LEXICONS).match_batch(["a"], [])


def test_char_codes_are_the_ngrams(norm: Normalizer) -> None:
    texts = ["", "a", "\x00\x02\x03\x01", "主播好", "𝐬😀", *_generated(norm, 300, seed=3)]
    reserved = {0: " ", 2: " ", 3: " "}  # NUL, START and END inside a text
    for spec in (FeatureSpec(), FeatureSpec((1, 1)), FeatureSpec((2, 3))):
        rows, codes = char_codes(texts, spec)
        expected = [
            (i, gram_code(gram))
            for i, text in enumerate(texts)
            for gram in char_ngrams(text.translate(reserved), spec)
            if gram != "\x01"  # code 1 is no unigram either (codes <= 3 are not)
        ]
        got = sorted(zip(rows.tolist(), codes.tolist(), strict=True))
        assert got == sorted(expected)


def test_code_table_lookup_agrees_with_a_dict() -> None:
    rng = np.random.default_rng(4)
    # Few distinct home slots: long probe runs, so the windowed rounds are used.
    keys = np.unique(rng.integers(1, 2**63, size=3000, dtype=np.uint64))
    values = np.arange(len(keys), dtype=np.int64)
    table = _CodeTable.build(keys, values)
    assert table.max_probe > 1
    queries = np.concatenate([keys, rng.integers(1, 2**63, size=3000, dtype=np.uint64)])
    rng.shuffle(queries)
    index, found = table.lookup(queries)
    known = dict(zip(keys.tolist(), values.tolist(), strict=True))
    assert index.tolist() == [known.get(q, -1) for q in queries.tolist()]
    assert found.tolist() == [q in known for q in queries.tolist()]


def test_csr_assembly_matches_scipy() -> None:
    feat = Featurizer(["a", "b"], ["c"], FeatureSpec())
    rng = np.random.default_rng(5)
    n_rows = 40
    # N-gram entries with many repeats (about 25 per cell), so float32 sums of
    # many copies are checked, and one evidence entry per row.
    rows = rng.integers(0, n_rows, size=3000)
    cols = rng.integers(0, feat._evidence_start, size=3000)
    e_rows = np.arange(n_rows)
    e_cols = feat._evidence_start + rng.integers(0, len(EVIDENCE), size=n_rows)
    scale = (1.0 / np.sqrt(rng.integers(1, 500, size=n_rows))).astype(np.float32)
    keys = np.concatenate([rows, e_rows]) * feat.n_features + np.concatenate([cols, e_cols])
    got = feat._csr(n_rows, scale, keys)
    values = np.concatenate([scale[rows], np.ones(n_rows, dtype=np.float32)])
    want = sp.csr_matrix(
        (values, (np.r_[rows, e_rows].astype(np.int32), np.r_[cols, e_cols].astype(np.int32))),
        shape=(n_rows, feat.n_features),
        dtype=np.float32,
    )
    want.sum_duplicates()
    for a, b in ((got.indptr, want.indptr), (got.indices, want.indices), (got.data, want.data)):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)
    assert got.has_canonical_format


def test_transform_handles_empty_and_repeated_texts() -> None:
    feat = Featurizer(["哈", "哈哈", "a"], ["哈哈哈", "哈哈哈 哈哈哈"], FeatureSpec())
    texts = ["哈哈哈 " * 30, "", "a"]
    x = feat.transform(texts, [tuple(t.split()) for t in texts], [(), (), ()])
    assert x.shape == (3, feat.n_features)
    assert x.has_canonical_format
    assert feat.transform([], [], []).shape == (0, feat.n_features)
    # Row 0: 哈 90 times, 哈哈 60 times, the word 30 times and its bigram 29
    # times, each copy worth 1/sqrt(209), copies added one by one in float32.
    unit = np.float32(1.0) / np.sqrt(np.float32(209))
    total = np.float32(0)
    for _ in range(90):
        total = np.float32(total + unit)
    assert x[0, 0] == total
    assert x[1, : feat.n_chars + feat.n_words].nnz == 0
