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
        (["lexicon:profanity:你妈"], "term"),
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
