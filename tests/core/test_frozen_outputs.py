"""Frozen outputs: speed and memory work must not change a single verdict.

``data/frozen_verdicts.jsonl`` holds ~300 texts (corpus, demo recording, XSS
probes and odd inputs: blank, emoji-only, mixed scripts, traditional and
full-width characters) with what :meth:`Analyzer.analyze` returned for them
before the hot path was optimised: normalised text, applied normalisations,
tokens, label, exact scores, sentiment and reasons.

If a deliberate model or lexicon change alters these, regenerate the file with
the new model and say so in the change; a pure speed change must leave it as is.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment

ROOT = Path(__file__).resolve().parents[2]
FROZEN = Path(__file__).resolve().parent / "data" / "frozen_verdicts.jsonl"


@pytest.fixture(scope="module")
def expected() -> list[dict[str, Any]]:
    with FROZEN.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(ROOT / "models", ROOT / "lexicons")


def _comments(texts: list[str]) -> list[Comment]:
    return [
        Comment(room=f"frozen-{i % 3}", text=text, ts=1764115200.0 + i, id=f"f{i}")
        for i, text in enumerate(texts)
    ]


def _check(got: list[Any], expected: list[dict[str, Any]]) -> None:
    assert len(got) == len(expected)
    for verdict, want in zip(got, expected, strict=True):
        text = want["text"]
        assert verdict.normalized.text == want["normalized"], text
        assert list(verdict.normalized.applied) == want["applied"], text
        assert list(verdict.tokens) == want["tokens"], text
        assert verdict.label == want["label"], text
        assert list(verdict.reasons) == want["reasons"], text
        assert list(verdict.scores) == list(want["scores"]), text
        for label, score in want["scores"].items():
            # Bit-identical on the machine that froze them; allow a few ulps elsewhere.
            assert math.isclose(verdict.scores[label], score, rel_tol=0, abs_tol=1e-12), text
        assert math.isclose(verdict.sentiment, want["sentiment"], rel_tol=0, abs_tol=1e-12), text


def test_frozen_slice_is_varied(expected: list[dict[str, Any]]) -> None:
    assert len(expected) >= 300
    assert {row["label"] for row in expected} == {
        "question",
        "grievance",
        "abuse",
        "spam",
        "chatter",
    }
    assert any(not row["text"].strip() for row in expected)
    assert any(row["applied"] for row in expected)


def test_outputs_match_the_frozen_slice(analyzer: Analyzer, expected: list[dict[str, Any]]) -> None:
    texts = [row["text"] for row in expected]
    _check(analyzer.analyze(_comments(texts)), expected)


def test_outputs_do_not_depend_on_batching(
    analyzer: Analyzer, expected: list[dict[str, Any]]
) -> None:
    # Small odd-sized batches, in reverse order: same answers row by row.
    rows = expected[::-1]
    got = []
    for start in range(0, len(rows), 7):
        got.extend(analyzer.analyze(_comments([r["text"] for r in rows[start : start + 7]])))
    _check(got, rows)
