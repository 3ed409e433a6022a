"""The shipped model on a frozen sample of held-out live-room rows.

``data/frozen_live_sample.jsonl`` is every 5th row of ``corpus/live/test.jsonl``
(seed 1126) as it was when the model was trained, with its label and sentiment;
it does not follow later corpus changes. The model never trains on test rows.
The floors sit a little under the shipped model's measured figures (recorded
below), so a retrained model that gets clearly worse fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

from roomwatch.core.classify import Classifier
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter
from roomwatch.training.cli import run_eval
from roomwatch.training.data import read_labelled

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parent / "data" / "frozen_live_sample.jsonl"
# Measured on the shipped model 2026.11.26-lr2: macro-F1 0.935, abuse precision 0.974,
# sentiment sign accuracy 0.929 on the 252 rows with sentiment -1 or +1 (lr1: 0.917).
# 2026.12.06-real2 (issue 11: no surface features, real chatter in training, a
# label other than chatter needs evidence): macro-F1 0.906, abuse precision 0.975;
# 2026.12.06-real3 (real2 + the domain_ad pattern, question cues in asks.tsv):
# macro-F1 0.904, abuse precision 0.975.
# the floor is issue 11's ">= 0.90, so nothing learned so far is lost".
MACRO_F1_FLOOR = 0.90
ABUSE_PRECISION_FLOOR = 0.94
SENTIMENT_SIGN_FLOOR = 0.90


def test_shipped_model_on_frozen_sample() -> None:
    pairs = read_labelled(SAMPLE, "text", "label")
    assert len(pairs) == 450
    result = run_eval(pairs, ROOT / "models", ROOT / "lexicons")
    assert result["macro_f1"] >= MACRO_F1_FLOOR, result["text"]
    per_label = result["per_label"]
    assert isinstance(per_label, dict)
    assert per_label["abuse"]["precision"] >= ABUSE_PRECISION_FLOOR, result["text"]


def test_shipped_sentiment_sign_on_frozen_sample() -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    polar = [row for row in rows if row["sentiment"] != 0]
    assert len(polar) == 252
    lexicons = ROOT / "lexicons"
    normalizer = Normalizer.from_dir(lexicons)
    segmenter = Segmenter.from_dir(lexicons)
    classifier = Classifier.load(ROOT / "models", lexicons)
    normalized = [normalizer(row["text"]) for row in polar]
    predictions = classifier.predict_batch(
        normalized, segmenter.cut_batch([n.text for n in normalized])
    )
    wrong = [
        (row["text"], row["sentiment"], round(p.sentiment, 3))
        for row, p in zip(polar, predictions, strict=True)
        if (p.sentiment > 0) != (row["sentiment"] > 0)
    ]
    accuracy = 1 - len(wrong) / len(polar)
    assert accuracy >= SENTIMENT_SIGN_FLOOR, wrong
