"""``prediction.assemble`` (a batch's predictions built at once) gives exactly what
the per-row loop it replaced in ``Classifier.predict_batch`` gave.

The reference below is that loop, kept verbatim apart from its inputs; the
rows are random mixes of what the real ones carry (hits, normalisations,
feature reasons, ask cues, targets, ``weak:`` notes), and a real batch is
checked through the classifier as well.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core.classify import LABELS, Classifier
from roomwatch.core.lexicon import Hit
from roomwatch.core.normalize import Normalized, Normalizer
from roomwatch.core.prediction import Prediction, ReasonNames, _score_dicts, assemble
from roomwatch.core.segment import Segmenter

ROOT = Path(__file__).resolve().parents[2]
_ABUSE = LABELS.index("abuse")
_SPAM = LABELS.index("spam")

_HITS = [
    Hit("insult", "lex:insult", "傻逼"),
    Hit("question", "lex:question", "吗"),
    Hit("question", "lex:question", "?"),
    Hit("pattern:phone", "pat:phone", "13800138000"),
    Hit("room-abuse", "lex:insult", "坏词"),
    Hit("ad", "lex:ad", "加微信"),
]
_APPLIED = ["fullwidth", "evasion:sb", "repeat", "homophone"]
_FEATURES = ["feature:+好听", "feature:+^这是", "feature:+多少 钱", "feature:+吗$"]


def reference(
    probs: np.ndarray,
    polarity: np.ndarray,
    chosen: np.ndarray,
    hits: Sequence[tuple[Hit, ...]],
    normalized: Sequence[Normalized],
    top: Sequence[list[str]],
    cued: Mapping[int, str],
    aimed: Mapping[int, str],
    weak: Mapping[int, str],
) -> list[Prediction]:
    """The loop ``Classifier.predict_batch`` ran before ``assemble``."""
    labels = LABELS
    out: list[Prediction] = []
    for i, (row, pol, label_i, row_hits, norm, row_top) in enumerate(
        zip(
            probs.tolist(),
            polarity.tolist(),
            chosen.tolist(),
            hits,
            normalized,
            top,
            strict=True,
        )
    ):
        if row_hits or norm.applied:
            reasons = [h.reason() for h in row_hits]
            reasons.extend(["norm:" + a for a in norm.applied])
            reasons.extend(row_top)
        else:
            reasons = row_top
        if cued and i in cued:
            reasons = [*reasons, cued[i]]
        if aimed and i in aimed and label_i in (_ABUSE, _SPAM):
            reasons = [*reasons, aimed[i]]
        if weak and i in weak:
            reasons = [*reasons, weak[i]]
        out.append(
            Prediction(labels[label_i], dict(zip(labels, row, strict=True)), pol, tuple(reasons))
        )
    return out


def _batch(seed: int, n: int) -> tuple:
    rnd = random.Random(seed)
    probs = np.array([[rnd.random() for _ in LABELS] for _ in range(n)]).reshape(n, len(LABELS))
    polarity = np.array([rnd.uniform(-1, 1) for _ in range(n)])
    chosen = np.array([rnd.randrange(len(LABELS)) for _ in range(n)], dtype=np.int64)
    hits = [tuple(rnd.sample(_HITS, rnd.choice([0, 0, 0, 1, 2]))) for _ in range(n)]
    normalized = [
        Normalized("文本", tuple(rnd.sample(_APPLIED, rnd.choice([0, 0, 0, 1, 2]))))
        for _ in range(n)
    ]
    top = [rnd.sample(_FEATURES, rnd.choice([0, 1, 2])) for _ in range(n)]
    picks = list(range(n))
    cued = {
        i: rnd.choice(["ask:多少钱", "rhetoric:难道", "weak:question"])
        for i in rnd.sample(picks, n // 5)
    }
    aimed = {i: rnd.choice(["target:你", "adform:加"]) for i in rnd.sample(picks, n // 5)}
    weak = {i: "weak:" + rnd.choice(LABELS) for i in rnd.sample(picks, n // 5)}
    return probs, polarity, chosen, hits, normalized, top, cued, aimed, weak


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60))
def test_assemble_is_the_per_row_loop(seed: int, n: int) -> None:
    probs, polarity, chosen, hits, normalized, top, cued, aimed, weak = _batch(seed, n)
    want = reference(probs, polarity, chosen, hits, normalized, top, cued, aimed, weak)
    # The classifier passes only the targets and ad forms of rows still abuse or spam.
    aimed_kept = {i: r for i, r in aimed.items() if chosen[i] in (_ABUSE, _SPAM)}
    names = ReasonNames()
    for _ in range(2):  # the second time from the name caches
        got = assemble(
            LABELS, chosen, probs, polarity, hits, normalized, top, (cued, aimed_kept, weak), names
        )
        assert got == want
        assert [type(p.scores) for p in got] == [dict] * n
        assert all(type(p.reasons) is tuple for p in got)
    # top's lists are the caller's: assembling must not change them.
    assert top == _batch(seed, n)[5]


def test_a_real_batch_matches_the_loop_and_single_rows() -> None:
    clf = Classifier.load(ROOT / "models", ROOT / "lexicons")
    texts = [
        "这个多少钱？",
        "主播是傻逼",
        "加微信 13800138000 领优惠",
        "ＡＢＣ好听",
        "哈哈哈哈哈哈",
        "你们这种人真恶心",
        "不会吧",
        "小可爱？",
        "",
        "煞笔",
    ] * 3
    normalized = Normalizer.from_dir(ROOT / "lexicons").normalize_batch(texts)
    tokens = Segmenter.from_dir(ROOT / "lexicons").cut_batch([n.text for n in normalized])
    batch = clf.predict_batch(normalized, tokens)
    single = [clf.predict_batch([n], [t])[0] for n, t in zip(normalized, tokens, strict=True)]
    assert batch == single
    assert {p.label for p in batch} >= {"question", "abuse", "spam", "chatter"}
    assert any(r.startswith("norm:") for p in batch for r in p.reasons)
    assert any(r.startswith("lexicon:") for p in batch for r in p.reasons)


def test_hit_names_by_object_survive_new_objects_and_clearing() -> None:
    # Names are remembered per Hit object: new objects (pattern hits are made
    # per match), equal ones and a cache that starts again all name alike.
    names = ReasonNames()
    for k in range(3 * 4096 + 10):
        hit = Hit("pattern:phone", "pat:phone", str(k % 5000))
        assert names.hits((hit, _HITS[0])) == [hit.reason(), _HITS[0].reason()]
        del hit
    assert names.applied(("repeat", "fullwidth")) == ("norm:repeat", "norm:fullwidth")


def test_score_dicts_for_any_number_of_labels() -> None:
    rnd = np.random.default_rng(7)
    for labels in (LABELS, ("a", "b", "c"), tuple("abcdefg")):
        probs = rnd.random((9, len(labels)))
        got = _score_dicts(labels, probs)
        assert got == [dict(zip(labels, row, strict=True)) for row in probs.tolist()]
        assert all(list(d) == list(labels) for d in got)
