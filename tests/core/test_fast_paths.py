"""The model's load and product fast paths give exactly what the plain paths give.

* the prepared model read back from its stored arrays classifies as the model
  built from ``models/`` does (cached against uncached), and a stored file that
  is broken, renamed or foreign is not used;
* ``Rows.dot`` (scipy's CSR kernel, loaded without ``scipy.sparse``) is bit for
  bit ``csr_matrix @ weights``, also when the kernel comes the ordinary way;
* word codes do not depend on the batch a token sits in, and tell apart
  tokens Python's str hash confuses.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from roomwatch.core import prepared, sparsedot
from roomwatch.core.asks import AskCues
from roomwatch.core.classify import Classifier
from roomwatch.core.codetable import TokenHasher
from roomwatch.core.lexicon import Lexicon
from roomwatch.core.model import PreparedModel, load_artifacts, load_prepared
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
LEXICONS = ROOT / "lexicons"
CORPUS = ROOT / "corpus" / "live" / "test.jsonl"


@pytest.fixture(scope="module")
def batch() -> tuple[list, list]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()][:800]
    texts += ["", "哈哈哈哈" * 40, "来", "eg", "加微信vx123456", "😀😀", "?"]
    normalized = Normalizer.from_dir(LEXICONS).normalize_batch(texts)
    tokens = Segmenter.from_dir(LEXICONS).cut_batch([n.text for n in normalized])
    return normalized, tokens


def _classifier(model: PreparedModel) -> Classifier:
    return Classifier(
        model, Lexicon.from_dir(LEXICONS), None, AskCues.from_file(LEXICONS / "asks.tsv")
    )


def test_stored_model_classifies_as_the_built_one(tmp_path: Path, batch: tuple) -> None:
    built = PreparedModel.from_artifacts(load_artifacts(MODELS))
    first = load_prepared(MODELS, tmp_path)  # builds and stores
    stored = list(tmp_path.glob("roomwatch-model-*.npz"))
    assert len(stored) == 1
    second = load_prepared(MODELS, tmp_path)  # reads the stored arrays
    assert second.featurizer is not first.featurizer
    normalized, tokens = batch
    want = _classifier(built).predict_batch(normalized, tokens)
    for model in (first, second):
        assert _classifier(model).predict_batch(normalized, tokens) == want
    assert np.array_equal(second.weights, built.weights)
    assert second.manifest == built.manifest


def test_broken_renamed_or_foreign_store_is_not_used(tmp_path: Path) -> None:
    load_prepared(MODELS, tmp_path)
    (path,) = tmp_path.glob("roomwatch-model-*.npz")
    assert prepared.read_arrays(path) is not None
    # Under another name: its stored name no longer matches.
    other = path.with_name("roomwatch-model-000000000000000000000000.npz")
    other.write_bytes(path.read_bytes())
    assert prepared.read_arrays(other) is None
    # Truncated: unreadable, rebuilt and stored again.
    path.write_bytes(path.read_bytes()[:1000])
    assert prepared.read_arrays(path) is None
    load_prepared(MODELS, tmp_path)
    assert prepared.read_arrays(path) is not None
    # Written by the process only for its user.
    assert os.stat(path).st_mode & 0o077 == 0


def test_rows_dot_is_scipys_product(batch: tuple) -> None:
    clf = Classifier.load(MODELS, LEXICONS)
    normalized, tokens = batch
    texts = [n.text for n in normalized]
    hits = clf.lexicon.match_batch(texts, tokens, None)
    x = clf.featurizer.rows(texts, tokens, hits)
    weights = clf._weights
    want = sp.csr_matrix((x.data, x.indices, x.indptr), shape=x.shape) @ weights
    got = x.dot(weights)
    assert got.dtype == want.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))  # to the bit
    # Many long rows of repeated grams: float32 sums where the order shows.
    rng = np.random.default_rng(3)
    dense = rng.random((50, 400)).astype(np.float32) * (rng.random((50, 400)) < 0.3)
    dense[7] = 0.0  # an empty row
    matrix = sp.csr_matrix(dense)
    w = rng.standard_normal((400, 9)).astype(np.float32)
    got = sparsedot.csr_dot(matrix.indptr, matrix.indices, matrix.data, 400, w)
    assert np.array_equal(got.view(np.uint32), (matrix @ w).view(np.uint32))


def test_kernel_falls_back_to_the_ordinary_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparsedot, "_kernel", None)
    monkeypatch.setattr(sparsedot.importlib.util, "find_spec", lambda name: None)
    monkeypatch.delitem(sparsedot.sys.modules, "scipy.sparse._sparsetools", raising=False)
    kernel = sparsedot._load_kernel()
    assert kernel is sp._sparsetools.csr_matvecs  # type: ignore[attr-defined]
    matrix = sp.random(20, 30, density=0.2, format="csr", dtype=np.float32, random_state=1)
    w = np.arange(30 * 4, dtype=np.float32).reshape(30, 4) / 7
    got = sparsedot.csr_dot(matrix.indptr, matrix.indices, matrix.data, 30, w)
    assert np.array_equal(got, matrix @ w)


def test_word_codes_do_not_depend_on_the_batch() -> None:
    hasher = TokenHasher(12345)
    alone = {t: int(hasher.codes([t])[0]) for t in ["来", "eg", "主播", "a", "😀x", "哈哈哈"]}
    mixed = ["哈哈哈", "a", "主播", "来", "😀x", "eg", "主播"] * 3
    assert hasher.codes(mixed).tolist() == [alone[t] for t in mixed]
    assert len(set(alone.values())) == len(alone)  # "来" and "eg" share str hash bytes
    # Same base, same codes (as stored); another base, other codes.
    assert TokenHasher(12345).codes(["主播"]).tolist() == [alone["主播"]]
    assert TokenHasher(999).codes(["主播"]).tolist() != [alone["主播"]]
    # Long batches grow the power tables without changing a code.
    assert hasher.codes(["x" * 10_000, "主播"]).tolist()[1] == alone["主播"]
