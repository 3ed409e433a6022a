"""bench/realtraffic_curve.py: how an abuse verdict's evidence is named, and the
curves' arithmetic, on made-up verdicts (no real-traffic text is read here)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from tests.support.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]

curve = load_script("realtraffic_curve", ROOT / "bench" / "realtraffic_curve.py")


@pytest.mark.parametrize(
    ("reasons", "kind"),
    [
        (["lexicon:insult:傻逼", "norm:evasion:啥b→傻逼"], "evasion"),
        (["lexicon:insult:王八蛋", "target:你"], "term"),
        (["lexicon:profanity:你妈"], "other"),  # profanity alone is no abuse evidence
        (["lexicon:profanity:你妈", "norm:evasion:nm→你妈", "target:你"], "target only"),
        (["pattern:curse:希望你出门被车撞"], "term"),
        (["feature:+女的", "target:女的"], "target only"),
        (["feature:+恶心"], "other"),
    ],
)
def test_evidence_kind(reasons: list[str], kind: str) -> None:
    assert curve.evidence_kind(reasons) == kind


def _verdict(label: str, p: float) -> SimpleNamespace:
    """What the curves read of a verdict: its label and scores."""
    scores = dict.fromkeys(("question", "grievance", "abuse", "spam", "chatter"), 0.0)
    scores[label] = p
    return SimpleNamespace(label=label, scores=scores, reasons=())


def test_review_curve_counts_spam_at_every_bar(capsys: pytest.CaptureFixture[str]) -> None:
    gold = ["abuse", "chatter", "spam", "abuse"]
    verdicts = [
        _verdict("abuse", 0.99),
        _verdict("abuse", 0.6),
        _verdict("spam", 0.1),
        _verdict("chatter", 0.9),
    ]
    curve.review_curve(gold, verdicts)
    lines = capsys.readouterr().out.splitlines()
    assert "review precision 0.667 (2/3)" in lines[0]  # bar 0: both abuse, the spam
    assert "abuse recall 0.500 (1/2)" in lines[0]
    assert "review precision 1.000 (2/2)" in lines[2]  # bar 0.7 drops the 0.6 one
    assert len(lines) == len(curve.BARS)


def test_ranking_counts_rows_down_to_each_recall(capsys: pytest.CaptureFixture[str]) -> None:
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    positive = np.array([True, False, True, False, False, False, False, True, False, False])
    curve.ranking("abuse", score, positive)
    out = capsys.readouterr().out
    assert "abuse: 3 of 10, AUC 0.714" in out  # 15 of 21 positive-other pairs in order
    assert "recall 0.3: top 1 rows, precision 1.000 (1/1)" in out
    assert "recall 0.7: top 8 rows, precision 0.375 (3/8)" in out  # ceil(2.1) = 3 found
    assert "best precision anywhere: 1.000 (1/1), recall 0.333" in out


def test_question_curve(capsys: pytest.CaptureFixture[str]) -> None:
    gold = ["question", "chatter", "question", "question"]
    verdicts = [_verdict("question", 0.96), _verdict("question", 0.75), _verdict("chatter", 0.9)]
    verdicts.append(_verdict("question", 0.5))
    curve.question_curve(gold, verdicts)
    lines = capsys.readouterr().out.splitlines()
    assert "precision 0.667 (2/3)" in lines[0] and "recall 0.667 (2/3)" in lines[0]
    assert "precision 0.500 (1/2)" in lines[2]  # bar 0.7: the 0.75 and the 0.96
    assert "precision 1.000 (1/1)" in lines[5] and "recall 0.333 (1/3)" in lines[5]  # bar 0.95


def test_evidence_table_likelihood_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    def abuse(*reasons: str) -> SimpleNamespace:
        return SimpleNamespace(label="abuse", scores={"abuse": 0.9}, reasons=reasons)

    term = abuse("lexicon:insult:王八蛋")
    target = abuse("target:你")
    other = SimpleNamespace(label="chatter", scores={}, reasons=())
    # 4 abuse rows of 10: the term on 2 of them and 1 of the 6 others, the
    # target only on 1 of the others and none of the abuse.
    gold = [True, True, True, True] + [False] * 6
    verdicts = [term, term, other, other, term, target, other, other, other, other]
    curve.evidence_table("made up", gold, verdicts)
    out = capsys.readouterr().out
    assert "made up: 4 abuse of 10" in out
    assert "term         true     2  false     1  likelihood ratio 3.0" in out  # (2/4)/(1/6)
    assert "target only  true     0  false     1  likelihood ratio 0.0" in out
    curve.evidence_table("no abuse", [False, False], [term, other])
    assert "likelihood ratio n/a" in capsys.readouterr().out
