"""The shipped model on a frozen sample of held-out live-room rows.

``data/frozen_live_sample.jsonl`` is every 5th row of ``corpus/live/test.jsonl``
(seed 1126) as it was when the model was trained; it does not follow later
corpus changes. The model never trains on test rows. The floor
sits a little under the shipped model's measured figure (recorded below), so
a retrained model that gets clearly worse fails here.
"""

from __future__ import annotations

from pathlib import Path

from roomwatch.training.cli import run_eval
from roomwatch.training.data import read_labelled

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parent / "data" / "frozen_live_sample.jsonl"
# Measured on the shipped model 2026.11.26-lr1: macro-F1 0.935, abuse precision 0.974.
MACRO_F1_FLOOR = 0.91
ABUSE_PRECISION_FLOOR = 0.94


def test_shipped_model_on_frozen_sample() -> None:
    pairs = read_labelled(SAMPLE, "text", "label")
    assert len(pairs) == 450
    result = run_eval(pairs, ROOT / "models", ROOT / "lexicons")
    assert result["macro_f1"] >= MACRO_F1_FLOOR, result["text"]
    per_label = result["per_label"]
    assert isinstance(per_label, dict)
    assert per_label["abuse"]["precision"] >= ABUSE_PRECISION_FLOOR, result["text"]
