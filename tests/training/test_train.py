"""``roomwatch train`` on a tiny corpus: artifacts, reproducibility, round trip."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from roomwatch.core.classify import LABELS, Classifier, load_artifacts, save_artifacts
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter
from roomwatch.training.cli import add_parsers

ROOT = Path(__file__).resolve().parents[2]
LEXICONS = ROOT / "lexicons"
TINY = Path(__file__).parent / "data" / "tiny_corpus.jsonl"
TEXTS = ["这个多少钱", "傻逼主播", "加微信领福利", "收到的全烂了退款", "哈哈哈好可爱", "发货了吗"]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers())
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def train_tiny(out: Path) -> int:
    return run(
        [
            "train",
            "--corpus", str(TINY),
            "--extra",
            "--dev", "",
            "--no-public",
            "--min-df", "1",
            "--lexicons", str(LEXICONS),
            "--out", str(out),
            "--version", "tiny-test",
        ]
    )  # fmt: skip


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    assert train_tiny(out) == 0
    return out


def predict(models: Path) -> list[tuple[str, dict[str, float], float]]:
    clf = Classifier.load(models, LEXICONS)
    norm = Normalizer.from_dir(LEXICONS)
    seg = Segmenter.from_dir(LEXICONS)
    normalized = [norm(t) for t in TEXTS]
    preds = clf.predict_batch(normalized, seg.cut_batch([n.text for n in normalized]))
    return [(p.label, dict(p.scores), p.sentiment) for p in preds]


def test_artifacts(tiny_model: Path) -> None:
    assert sorted(p.name for p in tiny_model.iterdir()) == ["manifest.json", "weights.npz"]
    manifest = json.loads((tiny_model / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == "tiny-test"
    assert manifest["labels"] == list(LABELS)
    assert manifest["training"]["rows"]["corpus"] == 60
    assert "data/tiny_corpus.jsonl" in manifest["training"]["sources_sha256"]
    assert len(manifest["weights_sha256"]) == 64


def test_learns_the_tiny_corpus(tiny_model: Path) -> None:
    labels = [label for label, _, _ in predict(tiny_model)]
    assert labels[:5] == ["question", "abuse", "spam", "grievance", "chatter"]


def test_round_trip(tiny_model: Path, tmp_path: Path) -> None:
    before = predict(tiny_model)
    save_artifacts(tmp_path, load_artifacts(tiny_model))
    assert predict(tmp_path) == before
    original = load_artifacts(tiny_model)
    copied = load_artifacts(tmp_path)
    assert np.array_equal(original.weights, copied.weights)
    assert original.chars == copied.chars and original.words == copied.words


def test_reproducible(tiny_model: Path, tmp_path: Path) -> None:
    assert train_tiny(tmp_path) == 0
    a, b = load_artifacts(tiny_model), load_artifacts(tmp_path)
    assert np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.bias, b.bias)


def test_train_fails_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": "politics"}\n', encoding="utf-8")
    assert (
        run(
            [
                "train",
                "--corpus",
                str(bad),
                "--extra",
                "--dev",
                "",
                "--no-public",
                "--out",
                str(tmp_path),
            ]
        )
        == 1
    )
