"""The shipped model on a frozen, licensed sample of real text, labelled by hand.

``tests/data/real_text_sample.jsonl`` holds 600 real comments (see
``tests/data/NOTICE`` for sources, licenses and how they were drawn), each
labelled with ``docs/labelling-guide.md``: Weibo dialogue turns, QQ group chat
from a game community (phone and QQ numbers masked) and patients' question
titles. None of it is training data for the shipped model.

The floors below are the figures of the model they were recorded for,
rounded a little in the safe direction. A new model should move them
the right way; set them to its figures when it ships.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.classify import LABELS
from roomwatch.core.record import Comment

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "real_text_sample.jsonl"

#: Share of true chatter given another label. Model 2026.12.06-real3 with the
#: question cues of lexicons/asks.tsv, the n-gram abuse bar and the abuse
#: target rule (lexicons/targets.txt): 8/488 = 0.0164 (without the target rule
#: 10/488; real2 alone: 14/488).
MAX_CHATTER_FALSE_FLAG = 0.017
#: Question recall on the patients' question titles. real3 + asks.tsv: 40/40 = 1.0.
MIN_MEDICAL_QUESTION_RECALL = 0.95
#: Question precision on the whole sample. real3 + asks.tsv: 66/70 = 0.943
#: (real2 alone: 56/62).
MIN_QUESTION_PRECISION = 0.94
#: Question recall on the whole sample. real3 + asks.tsv: 66/106 = 0.623 (real2
#: alone: 56/106); with stop 14's anchors and asks (A-not-A, 多久, how-to with any
#: verb, the help ask 为什么我进不去 as a sure ask): 70/106 = 0.660, precision 70/74;
#: with stop 16's ask gate (0.1 -> 0.05): 72/106 = 0.679, precision 72/76; stop
#: 20's narrower closing wh-word cue (asks.tsv) loses a bare "为什么啊" reply:
#: 71/106 = 0.670, precision 71/75.
MIN_QUESTION_RECALL = 0.665
#: Spam recall (links and selling in the QQ chat). real3: 2/3 (the dotless
#: domain ads, via pattern:domain_ad; the selling line is missed). real2: 0/3.
MIN_SPAM_RECALL = 0.66
#: Rows that are not spam but get a spam verdict (they would fill the review
#: queue). real3 with the ad-form rule (lexicons/adforms.txt): 2/597 (without
#: it 4/597; real2: 3/597).
MAX_SPAM_FALSE_FLAGS = 2

#: Sentiment (stop 22; the rows' ``sentiment`` is a person's neg/neu/pos as -1/0/1,
#: the guide's sentiment section). A verdict's sentiment at or below -0.3 is what
#: the comms alerts count as negative (AlertConfig.negative_sentiment). Model
#: 2026.12.07-real3s (the sentiment head refitted with real chat turns as
#: neutral and handwritten live-room moods): rows not negative by hand called
#: negative 28/562 = 0.050 (real3: 289/562 = 0.514, half of all real chat was
#: "unhappy"); all three moods right (neg <= -0.3 < neu < 0.3 <= pos) 493/600 =
#: 0.822 (real3: 237/600); the sign right on the 122 rows with a mood 106/122 =
#: 0.869 (real3: 105/122).
MAX_FALSE_NEGATIVE_SHARE = 0.055
MIN_MOOD_ACCURACY = 0.81
MIN_SIGN_ACCURACY = 0.86
NEGATIVE = -0.3

Pair = tuple[dict[str, str], str]


@pytest.fixture(scope="module")
def judged(analyzer: Analyzer) -> list[Pair]:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    verdicts = analyzer.analyze(
        [
            Comment(room="real-text", text=row["text"], ts=0.0, id=str(i))
            for i, row in enumerate(rows)
        ]
    )
    return [(row, v.label) for row, v in zip(rows, verdicts, strict=True)]


@pytest.fixture(scope="module")
def moods(analyzer: Analyzer) -> list[tuple[int, float]]:
    """(the person's sentiment, the verdict's) per row."""
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    verdicts = analyzer.analyze(
        [
            Comment(room="real-mood", text=row["text"], ts=0.0, id=str(i))
            for i, row in enumerate(rows)
        ]
    )
    return [(row["sentiment"], v.sentiment) for row, v in zip(rows, verdicts, strict=True)]


def _share(hits: list[bool]) -> float:
    assert hits, "no rows to measure"
    return sum(hits) / len(hits)


def test_sample_is_well_formed(judged: list[Pair]) -> None:
    assert len(judged) == 600
    for row, _ in judged:
        assert set(row) == {"text", "label", "sentiment", "source"}
        assert row["label"] in LABELS
        assert row["sentiment"] in (-1, 0, 1)
        assert row["source"] in {"cdial_weibo", "qq_group_chat", "medical_questions"}
        assert row["text"].strip()


def test_chatter_false_flag_rate(judged: list[Pair]) -> None:
    flagged = [(row["text"], pred) for row, pred in judged if row["label"] == "chatter"]
    rate = _share([pred != "chatter" for _, pred in flagged])
    assert rate <= MAX_CHATTER_FALSE_FLAG, (
        f"{rate:.3f} of real chatter flagged (max {MAX_CHATTER_FALSE_FLAG}): "
        f"{[f for f in flagged if f[1] != 'chatter'][:20]}"
    )


def test_question_precision_and_recall(judged: list[Pair]) -> None:
    precision = _share([row["label"] == "question" for row, pred in judged if pred == "question"])
    recall = _share([pred == "question" for row, pred in judged if row["label"] == "question"])
    assert precision >= MIN_QUESTION_PRECISION
    assert recall >= MIN_QUESTION_RECALL


def test_patients_questions_are_questions(judged: list[Pair]) -> None:
    medical = [(row["text"], pred) for row, pred in judged if row["source"] == "medical_questions"]
    recall = _share([pred == "question" for _, pred in medical])
    assert recall >= MIN_MEDICAL_QUESTION_RECALL, [m for m in medical if m[1] != "question"]


def test_spam_recall(judged: list[Pair]) -> None:
    spam = [(row["text"], pred) for row, pred in judged if row["label"] == "spam"]
    assert _share([pred == "spam" for _, pred in spam]) >= MIN_SPAM_RECALL, spam


def test_spam_verdicts_are_spam(judged: list[Pair]) -> None:
    wrong = [
        (row["text"], row["label"])
        for row, pred in judged
        if pred == "spam" and row["label"] != "spam"
    ]
    assert len(wrong) <= MAX_SPAM_FALSE_FLAGS, wrong


def test_real_chat_is_not_called_unhappy(moods: list[tuple[int, float]]) -> None:
    # What a negative-sentiment spike counts: a model that calls ordinary chat
    # negative raises the comms staff's alarm on a roll-call of "1111".
    share = _share([got <= NEGATIVE for gold, got in moods if gold != -1])
    assert share <= MAX_FALSE_NEGATIVE_SHARE


def test_moods_are_read(moods: list[tuple[int, float]]) -> None:
    def mood(s: float) -> int:
        return -1 if s <= NEGATIVE else 1 if s >= -NEGATIVE else 0

    assert _share([mood(got) == gold for gold, got in moods]) >= MIN_MOOD_ACCURACY
    polar = [(gold, got) for gold, got in moods if gold != 0]
    assert _share([(got > 0) == (gold == 1) for gold, got in polar]) >= MIN_SIGN_ACCURACY
