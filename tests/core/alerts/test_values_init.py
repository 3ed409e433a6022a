"""``Observation`` and ``Sample`` set their slots themselves (a frozen
dataclass's generated ``__init__`` cost a few µs per comment): they must
still be the same values, frozen, with the same checks."""

from __future__ import annotations

import dataclasses
import math

import pytest

from roomwatch.core.alerts import AlertError, Observation, Sample
from roomwatch.core.record import Comment


def test_observation_fields_keywords_defaults_and_equality() -> None:
    c = Comment(room="r", text="好", ts=1.0)
    a = Observation(c, "chatter", 0.5, "好", ("好",))
    b = Observation(comment=c, label="chatter", sentiment=0.5, text="好", tokens=("好",))
    assert a == b and hash(a) == hash(b)
    assert (a.comment, a.label, a.sentiment, a.text, a.tokens) == (c, "chatter", 0.5, "好", ("好",))
    assert Observation(c, "question", -1.0, "x").tokens == ()
    assert dataclasses.replace(a, label="spam").label == "spam"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.label = "spam"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("label", "sentiment", "message"),
    [
        ("angry", 0.0, "unknown label 'angry'"),
        ("chatter", 1.5, "sentiment must be in [-1, 1], not 1.5"),
        ("chatter", -1.01, "sentiment must be in [-1, 1]"),
        ("chatter", math.nan, "sentiment must be in [-1, 1], not nan"),
    ],
)
def test_observation_checks_label_and_sentiment(label: str, sentiment: float, message: str) -> None:
    c = Comment(room="r", text="x", ts=1.0)
    with pytest.raises(AlertError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Observation(c, label, sentiment, "x")


def test_sample_fields_and_round_trip() -> None:
    s = Sample("text", None, "abuse", -0.8, 2.5)
    assert (s.text, s.user, s.label, s.sentiment, s.ts) == ("text", None, "abuse", -0.8, 2.5)
    assert Sample.from_dict(s.to_dict()) == Sample("text", None, "abuse", -0.8, 2.5)
    assert s == Sample(text="text", user=None, label="abuse", sentiment=-0.8, ts=2.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.text = "y"  # type: ignore[misc]
