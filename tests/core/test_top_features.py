"""``Classifier._top_features`` (feature reasons picked for a whole batch with
array operations) gives exactly what its per-row loop gave.

The reference below is that loop, kept verbatim apart from its inputs. The
rows are real feature rows of corpus texts, and made-up rows of features
chosen to share reason names (a character n-gram and the same text as a word
unigram read the same), in random amounts so that rows have fewer, as many
and more than ``_CANDIDATES`` strong entries.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from roomwatch.core import classify as C
from roomwatch.core.classify import Classifier
from roomwatch.core.features import Rows, feature_label
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus" / "live" / "test.jsonl"


def reference(clf: Classifier, x: Rows, chosen: np.ndarray) -> tuple[list[list[str]], np.ndarray]:
    """The loop ``_top_features`` ran before (stop 19)."""
    n = x.shape[0]
    out: list[list[str]] = [[] for _ in range(n)]
    evidenced = np.zeros(n, dtype=bool)
    if x.nnz == 0:
        return out, evidenced
    counts = np.diff(x.indptr)
    rows = np.repeat(np.arange(n), counts)
    flat = clf._weights.reshape(-1)
    at = x.indices.astype(np.int64) * C._N_COLS
    label = chosen[rows]
    weight = flat[at + label]
    abuse = np.flatnonzero(label == C._ABUSE)
    if len(abuse):
        a, b, _ = clf._stack
        at = at[abuse]
        weight[abuse] = a * flat[at + C._ABUSE] + b * flat[at + C._COL_ABUSE]
    contrib = x.data * weight
    evidenced[rows[(contrib >= C._MIN_EVIDENCE) & clf._multi[x.indices]]] = True
    strong = np.flatnonzero((contrib >= C._MIN_CONTRIBUTION) & clf._shown[x.indices])
    if not len(strong):
        return out, evidenced
    key = rows[strong] * 1e6 - np.minimum(contrib[strong], 1e5)
    order = strong[np.argsort(key, kind="stable")]
    sorted_rows = rows[order]
    new_row = np.ones(len(order), dtype=bool)
    new_row[1:] = sorted_rows[1:] != sorted_rows[:-1]
    starts = np.flatnonzero(new_row)
    stops = np.minimum(np.append(starts[1:], len(order)), starts + C._CANDIDATES)
    features = x.indices[order].tolist()
    name = clf._featurizer.name
    for i, start, stop in zip(
        sorted_rows[starts].tolist(), starts.tolist(), stops.tolist(), strict=True
    ):
        picked = out[i]
        for feature in features[start:stop]:
            reason = "feature:+" + feature_label(name(feature))
            if reason not in picked:
                picked.append(reason)
                if len(picked) == C._MAX_FEATURE_REASONS:
                    break
    return out, evidenced


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier.load(ROOT / "models", ROOT / "lexicons")


def _check(clf: Classifier, x: Rows, chosen: np.ndarray) -> int:
    want, want_evidenced = reference(clf, x, chosen)
    got, evidenced = clf._top_features(x, chosen)
    assert [list(t) for t in got] == want
    assert all(type(t) is tuple for t in got)
    assert np.array_equal(evidenced, want_evidenced)
    return sum(len(t) == 2 for t in got)


def test_real_rows(clf: Classifier) -> None:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()][:1500]
    normalized = Normalizer.from_dir(ROOT / "lexicons").normalize_batch(texts)
    tokens = Segmenter.from_dir(ROOT / "lexicons").cut_batch([n.text for n in normalized])
    probs, _, _, x = clf.scores_matrix(normalized, tokens)
    rnd = np.random.default_rng(19)
    pairs = 0
    for chosen in (probs.argmax(axis=1), rnd.integers(0, len(C.LABELS), len(texts))):
        pairs += _check(clf, x, chosen)
    assert pairs > 100


def test_rows_of_features_sharing_reasons(clf: Classifier) -> None:
    # Features whose reasons coincide: the same text as a char n-gram and a word.
    f = clf.featurizer
    by_reason: dict[str, list[int]] = defaultdict(list)
    for i in range(f.n_chars + f.n_words):
        if clf._shown[i]:
            by_reason[feature_label(f.name(i))].append(i)
    shared = [ids for ids in by_reason.values() if len(ids) > 1]
    assert len(shared) > 100
    rnd = random.Random(19)
    pool = [i for ids in shared[:400] for i in ids] + rnd.sample(range(f.n_chars), 200)
    for _ in range(20):
        n = rnd.randrange(1, 60)
        indptr = [0]
        indices: list[int] = []
        for _ in range(n):
            row = sorted(set(rnd.sample(pool, rnd.randrange(0, 40))))
            indices += row
            indptr.append(len(indices))
        data = np.array([rnd.choice([0.3, 0.5, 1.0]) for _ in indices], dtype=np.float32)
        x = Rows(
            np.array(indptr, dtype=np.int32),
            np.array(indices, dtype=np.int32),
            data,
            (n, f.n_features),
        )
        chosen = np.array([rnd.randrange(len(C.LABELS)) for _ in range(n)], dtype=np.int64)
        _check(clf, x, chosen)
