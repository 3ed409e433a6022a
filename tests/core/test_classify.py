"""The shipped classifier: interface, scores, sentiment, reasons and room terms."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from roomwatch.core.classify import LABELS, Classifier, Prediction, load_artifacts
from roomwatch.core.errors import ModelError, RoomwatchError
from roomwatch.core.features import char_ngrams, feature_label
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
LEXICONS = ROOT / "lexicons"


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier.load(MODELS, LEXICONS)


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer.from_dir(LEXICONS)


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter.from_dir(LEXICONS)


def predict(
    clf: Classifier, norm: Normalizer, seg: Segmenter, texts: list[str], room: str | None = None
) -> list[Prediction]:
    normalized = [norm(t) for t in texts]
    return clf.predict_batch(normalized, seg.cut_batch([n.text for n in normalized]), room=room)


def test_interface(clf: Classifier) -> None:
    assert LABELS == ("question", "grievance", "abuse", "spam", "chatter")
    assert clf.labels == LABELS
    assert isinstance(clf.version, str) and clf.version
    assert clf.predict_batch([], []) == []


def test_scores_and_sentiment(clf: Classifier, norm: Normalizer, seg: Segmenter) -> None:
    texts = ["多少钱包邮吗", "哈哈哈", "收到的苹果全烂了，退款！", "", "a" * 500]
    for p in predict(clf, norm, seg, texts):
        assert set(p.scores) == set(LABELS)
        assert math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-9)
        assert all(0.0 <= v <= 1.0 for v in p.scores.values())
        assert p.label == max(p.scores, key=p.scores.__getitem__)
        assert -1.0 <= p.sentiment <= 1.0
        assert isinstance(p.reasons, tuple)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("主播这个多少钱包邮吗", "question"),
        ("几号链接啊", "question"),
        ("傻逼主播滚出直播间", "abuse"),
        ("煞 笔主播", "abuse"),
        ("加微信领福利 vx: abc12345", "spam"),
        ("收到的橙子全烂了，客服也不理人，要退款", "grievance"),
        ("哈哈哈主播好可爱", "chatter"),
    ],
)
def test_clear_cases(
    clf: Classifier, norm: Normalizer, seg: Segmenter, text: str, label: str
) -> None:
    (p,) = predict(clf, norm, seg, [text])
    assert p.label == label, p


def test_sentiment_sign(clf: Classifier, norm: Normalizer, seg: Segmenter) -> None:
    good, bad = predict(clf, norm, seg, ["质量很好，非常满意，推荐", "太差了，失望透顶，再也不买"])
    assert good.sentiment > 0.2
    assert bad.sentiment < -0.2


def test_reasons_are_truthful(clf: Classifier, norm: Normalizer, seg: Segmenter) -> None:
    texts = ["煞笔主播", "加v看主页 13812345678", "这个多少钱", "[比心]好美"]
    normalized = [norm(t) for t in texts]
    tokens = seg.cut_batch([n.text for n in normalized])
    preds = clf.predict_batch(normalized, tokens)
    for n, toks, p in zip(normalized, tokens, preds, strict=True):
        hits = {h.reason() for h in clf.lexicon.match(n.text, toks)}
        lexicon_reasons = {r for r in p.reasons if r.startswith(("lexicon:", "pattern:"))}
        assert lexicon_reasons == hits
        assert [r for r in p.reasons if r.startswith("norm:")] == ["norm:" + a for a in n.applied]
        grams = {feature_label(g) for g in char_ngrams(n.text, clf.featurizer.spec)}
        words = set(toks) | {" ".join(toks[i : i + 2]) for i in range(len(toks) - 1)}
        grams |= {feature_label(w) for w in words}  # (emopos reads [emoji:pos])
        for reason in p.reasons:
            if reason.startswith("feature:+"):
                name = reason[len("feature:+") :]
                fired = name.startswith(("lex:", "pat:", "len:"))
                assert fired or name in grams, (reason, n.text)
    assert "lexicon:insult:傻逼" in preds[0].reasons
    assert "norm:evasion:煞笔→傻逼" in preds[0].reasons
    assert "pattern:phone:13812345678" in preds[1].reasons
    assert any(r.startswith("feature:+") for r in preds[0].reasons)


def test_room_terms(norm: Normalizer, seg: Segmenter) -> None:
    clf = Classifier.load(MODELS, LEXICONS, room_terms={"r1": RoomTerms.of(abuse=["黑心商家"])})
    text = ["黑心商家"]
    (in_room,) = predict(clf, norm, seg, text, room="r1")
    (elsewhere,) = predict(clf, norm, seg, text, room="r2")
    assert "lexicon:room-abuse:黑心商家" in in_room.reasons
    assert not any(r.startswith("lexicon:room") for r in elsewhere.reasons)
    assert in_room.scores["abuse"] > elsewhere.scores["abuse"]
    clf.set_room_terms({})
    (cleared,) = predict(clf, norm, seg, text, room="r1")
    assert cleared.scores == elsewhere.scores


def test_batch_equals_single(clf: Classifier, norm: Normalizer, seg: Segmenter) -> None:
    texts = ["多少钱", "傻逼", "好看", "退款"]
    batch = predict(clf, norm, seg, texts)
    single = [predict(clf, norm, seg, [t])[0] for t in texts]
    assert batch == single


def test_artifacts_are_not_pickles() -> None:
    manifest = json.loads((MODELS / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["labels"] == list(LABELS)
    assert not list(MODELS.glob("*.pkl")) and not list(MODELS.glob("*.joblib"))
    artifacts = load_artifacts(MODELS)  # np.load(allow_pickle=False) inside
    assert artifacts.weights.flags.c_contiguous
    assert sum(p.stat().st_size for p in MODELS.iterdir()) < 20_000_000


def test_missing_or_corrupt_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        Classifier.load(tmp_path, LEXICONS)
    shutil.copy(MODELS / "manifest.json", tmp_path / "manifest.json")
    (tmp_path / "weights.npz").write_bytes(b"not a zip")
    with pytest.raises(RoomwatchError):
        Classifier.load(tmp_path, LEXICONS)
    (tmp_path / "manifest.json").write_text('{"format": 99}', encoding="utf-8")
    with pytest.raises(ModelError):
        Classifier.load(tmp_path, LEXICONS)


def test_gram_codes_round_trip() -> None:
    from roomwatch.core.features import code_gram, gram_code

    for gram in ["a", "来", "\x02加", "吗\x03", "多少钱", "😀x"]:
        assert code_gram(gram_code(gram)) == gram
    assert gram_code("来") != gram_code("eg")


def test_word_features_do_not_collide(clf: Classifier) -> None:
    # "来" and "eg" share raw bytes (and so Python's str hash); the featurizer
    # must still tell them apart.
    featurizer = clf.featurizer
    lo, hi = featurizer.n_chars, featurizer.n_chars + featurizer.n_words

    def words(text: str) -> set[int]:
        x = featurizer.transform([text], [(text,)], [()])
        return {int(i) for i in x.indices if lo <= i < hi}

    assert words("来") and words("来") != words("eg")
    assert {featurizer.name(i) for i in words("来")} == {"来"}


def test_feature_names_match_the_vocabulary(clf: Classifier) -> None:
    # Names are kept packed in one string; every kind of index must come back whole.
    artifacts = load_artifacts(MODELS)
    featurizer = clf.featurizer
    n_chars, n_words = len(artifacts.chars), len(artifacts.words)
    for i in (0, 1, n_chars // 2, n_chars - 1):
        assert featurizer.name(i) == artifacts.chars[i]
    for i in (0, 1, n_words // 2, n_words - 1):
        assert featurizer.name(n_chars + i) == artifacts.words[i]
    evidence = [featurizer.name(i) for i in range(n_chars + n_words, featurizer.n_features)]
    assert evidence[0].startswith("lex:") and evidence[-1].startswith("pat:")
    with pytest.raises(IndexError):
        featurizer.name(featurizer.n_features)


def test_no_length_feature(clf: Classifier) -> None:
    # Length told a generated corpus's labels apart, not real comments' (issue 11).
    featurizer = clf.featurizer
    texts = ["", "a", "ab", "abc", "a" * 8, "a" * 33]
    x = featurizer.transform(texts, [()] * len(texts), [()] * len(texts))
    assert x.nnz == 0
