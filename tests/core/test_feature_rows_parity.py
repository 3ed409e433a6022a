"""The classifier's feature rows, built for a whole batch, are each comment's own.

``Featurizer.rows`` builds a batch's rows at once (code tables probed in
numpy, one sort for the CSR form); these tests hold it to a plain
per-comment definition (the n-gram names looked up in a dict, ``1/sqrt(k)``
added up in float32 in order, evidence 1), to the same texts one at a time
and in other batch orders, and the predictions made from them likewise.
The code tables' windowed probing is checked where a window wraps past the
table's end.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from roomwatch.core.classify import Classifier
from roomwatch.core.codetable import CodeTable
from roomwatch.core.features import FeatureSpec, Featurizer, Rows, char_ngrams, word_ngrams
from roomwatch.core.lexicon import Hit
from roomwatch.core.normalize import Normalized, Normalizer
from roomwatch.core.segment import Segmenter

ROOT = Path(__file__).resolve().parents[2]
LEXICONS = ROOT / "lexicons"
CORPUS = ROOT / "corpus" / "live" / "test.jsonl"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load(ROOT / "models", LEXICONS)


@pytest.fixture(scope="module")
def inputs(classifier: Classifier) -> tuple[list[Normalized], list[tuple[str, ...]]]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()][:1200]
    rnd = random.Random(5)
    # Repeats inside a text (repeated n-grams add up) and glued copies.
    texts += ["哈" * rnd.randrange(1, 40) for _ in range(30)]
    texts += [a + b for a, b in zip(texts[:60], texts[60:120], strict=True)]
    normalized = Normalizer.from_dir(LEXICONS).normalize_batch(texts)
    tokens = Segmenter.from_dir(LEXICONS).cut_batch([n.text for n in normalized])
    return normalized, tokens


class Batch(NamedTuple):
    """One batch as ``Featurizer.rows`` takes it."""

    texts: list[str]
    tokens: list[tuple[str, ...]]
    hits: list[tuple[Hit, ...]]
    featurizer: Featurizer


@pytest.fixture(scope="module")
def batch(classifier: Classifier, inputs: tuple[list[Normalized], list[tuple[str, ...]]]) -> Batch:
    normalized, tokens = inputs
    texts = [n.text for n in normalized]
    hits = classifier.lexicon.match_batch(texts, tokens, None)
    return Batch(texts, tokens, hits, classifier.featurizer)


def _as_dicts(rows: Rows) -> list[dict[int, np.float32]]:
    out = []
    for r in range(rows.shape[0]):
        a, b = int(rows.indptr[r]), int(rows.indptr[r + 1])
        cols = rows.indices[a:b].tolist()
        assert cols == sorted(set(cols))  # canonical: sorted, no duplicates
        out.append(dict(zip(cols, rows.data[a:b].tolist(), strict=True)))
    return out


def test_batch_rows_are_the_per_comment_definition(batch: Batch) -> None:
    texts, tokens, hits, featurizer = batch
    # Names back to indices: char n-grams first, then words, then evidence.
    index: dict = {}
    n_chars = featurizer.n_chars
    for j in range(featurizer.n_features):
        name = featurizer.name(j)
        if j < n_chars:
            index.setdefault(name, j)
        elif name.startswith(("lex:", "pat:")) and j >= n_chars + featurizer.n_words:
            index[("evidence", name)] = j
        else:
            index.setdefault(name, j)
            index[(name, "w")] = True
    # (A word n-gram spelled like a char n-gram is still the word's column.)
    words = {featurizer.name(j): j for j in range(n_chars, n_chars + featurizer.n_words)}

    def ref(i: int) -> dict[int, np.float32]:
        spec = featurizer.spec
        known = [index[g] for g in char_ngrams(texts[i], spec) if g in index and index[g] < n_chars]
        known += [words[w] for w in word_ngrams(tokens[i], spec) if w in words]
        row: dict[int, np.float32] = {}
        if known:
            value = np.float32(1.0) / np.sqrt(np.float32(len(known)))
            for j in known:
                row[j] = np.float32(row.get(j, np.float32(0.0)) + value)
        for hit in hits[i]:
            j = index.get(("evidence", hit.evidence))
            if j is not None:
                row[j] = np.float32(1.0)
        return row

    got = _as_dicts(featurizer.rows(texts, tokens, hits))
    repeated = 0
    for i, row in enumerate(got):
        want = ref(i)
        assert row == {j: float(v) for j, v in want.items()}, texts[i]
        repeated += len(want) < len(
            [g for g in char_ngrams(texts[i], featurizer.spec) if g in index]
        )
    assert repeated > 10  # repeated n-grams were summed, not only set


def test_rows_do_not_depend_on_the_batch(batch: Batch) -> None:
    texts, tokens, hits, featurizer = batch
    whole = _as_dicts(featurizer.rows(texts, tokens, hits))
    alone = [
        _as_dicts(featurizer.rows([t], [k], [h]))[0]
        for t, k, h in zip(texts, tokens, hits, strict=True)
    ]
    assert whole == alone
    order = list(range(len(texts)))
    random.Random(2).shuffle(order)
    shuffled = _as_dicts(
        featurizer.rows(
            [texts[i] for i in order], [tokens[i] for i in order], [hits[i] for i in order]
        )
    )
    assert shuffled == [whole[i] for i in order]


def test_predictions_do_not_depend_on_the_batch(
    classifier: Classifier, inputs: tuple[list[Normalized], list[tuple[str, ...]]]
) -> None:
    normalized, tokens = inputs
    batch = classifier.predict_batch(normalized, tokens)
    single = [
        classifier.predict_batch([n], [t])[0] for n, t in zip(normalized, tokens, strict=True)
    ]
    assert batch == single
    assert {p.label for p in batch} >= {"chatter", "question"}


def test_windowed_probe_that_wraps_past_the_end() -> None:
    # Keys whose home slots are the table's last ones: their probe runs wrap
    # to its start, where the windows cannot be read as one row.
    rng = np.random.default_rng(9)
    candidates = rng.integers(1, 2**63, size=200_000, dtype=np.uint64)
    table = CodeTable.build(candidates[:14], np.arange(14, dtype=np.int64))  # its size
    shift = table.shift
    with np.errstate(over="ignore"):
        home = (candidates * np.uint64(0xFF51AFD7ED558CCD)) >> shift
    size = table.mask + 1
    tail = candidates[home >= size - 2][:12]
    rest = candidates[home < size - 2][:2]
    keys = np.concatenate([tail, rest])
    table = CodeTable.build(keys, np.arange(len(keys), dtype=np.int64))
    assert table.mask + 1 == size and table.max_probe > _window()
    queries = np.concatenate([keys, candidates[-500:]])
    index, found = table.lookup(queries)
    known = dict(zip(keys.tolist(), range(len(keys)), strict=True))
    assert index.tolist() == [known.get(q, -1) for q in queries.tolist()]
    assert found.tolist() == [q in known for q in queries.tolist()]


def _window() -> int:
    from roomwatch.core import codetable

    return codetable._PROBE_WINDOW


def test_single_characters_are_found_inside_and_beyond_the_bmp() -> None:
    # Single characters below U+10000 are read by code point, the others (and
    # every longer n-gram) by code: both must find their columns.
    chars = ["😀", "a", "𝐬", "😀a", "\x02😀", "哈", "哈哈", "\uffff", "\x02a"]
    words = ["哈哈", "😀", "a 😀"]
    featurizer = Featurizer(chars, words, FeatureSpec())
    texts = ["😀a", "a😀𝐬", "哈哈😀", "", "𝐬\uffff", "b"]
    tokens = [("😀", "a"), ("a", "😀", "𝐬"), ("哈哈", "😀"), (), ("𝐬", "\uffff"), ("b",)]
    rows = _as_dicts(featurizer.rows(texts, tokens, [()] * len(texts)))
    for i, text in enumerate(texts):
        want = [chars.index(g) for g in char_ngrams(text, featurizer.spec) if g in chars]
        want += [
            len(chars) + words.index(w)
            for w in word_ngrams(tokens[i], featurizer.spec)
            if w in words
        ]
        assert sorted(rows[i]) == sorted(set(want)), text
    assert sorted(rows[1]) == [0, 1, 2, 8, len(chars) + 1, len(chars) + 2]
