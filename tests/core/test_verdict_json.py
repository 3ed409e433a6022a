"""``Verdict.to_json`` writes exactly what ``json.dumps`` wrote, byte for byte.

It uses orjson where the two encoders agree and ``json`` elsewhere; these
cases are the ones where they differ (tiny floats, NaN and infinities, lone
surrogates, ints past 64 bits) and the text a live room sends.
"""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment, User
from roomwatch.core.verdict import Verdict

LABELS = ("chatter", "question", "grievance", "abuse", "spam")


def _verdict(
    text: str = "主播好",
    *,
    ts: float = 1733456789.125,
    amount: float | None = None,
    lag_s: float | None = None,
    scores: tuple[float, ...] = (0.9, 0.05, 0.03, 0.01, 0.01),
    sentiment: float = 0.25,
    user: User | None = None,
    kind: str = "comment",
) -> Verdict:
    comment = Comment(
        room="r1",
        text=text,
        ts=ts,
        id="m-1",
        user=user if user is not None else User("u1", "小李", 12),
        kind=kind,
        amount=amount,
    )
    return Verdict(
        comment,
        Normalized(text, ()),
        (text,),
        "chatter",
        dict(zip(LABELS, scores, strict=True)),
        sentiment,
        ("lex:x", "norm:width"),
        "m1",
        "lexhash",
        "cfghash",
        lag_s,
    )


def _old(v: Verdict) -> str:
    return json.dumps(v.to_dict(), ensure_ascii=False, separators=(",", ":"))


def test_where_orjson_and_json_differ_the_output_is_json_s() -> None:
    cases = [
        _verdict(ts=1e-05),
        _verdict(ts=5e-324),
        _verdict(amount=3e-07, kind="gift"),
        _verdict(amount=math.nan, kind="gift"),
        _verdict(sentiment=math.nan),
        _verdict(scores=(math.inf, 0.0, 0.0, 0.0, -math.inf)),
        _verdict(lag_s=math.inf),
        _verdict("lone \ud800 surrogate"),
        _verdict(user=User("u1", None, 2**70)),
        _verdict(ts=float(2**70)),
        _verdict(scores=(0.00004, 0.00005, 0.00015, 0.99976, 0.0)),
    ]
    for v in cases:
        assert v.to_json() == _old(v)
    # The tiny ts really is one json and orjson write differently.
    assert '"ts":1e-05' in cases[0].to_json()
    assert '"amount":NaN' in cases[3].to_json()


def test_room_text_escapes_and_all_fields() -> None:
    text = 'a\x00\x1f\x7f"\\\n\t\r\b\f\u2028\u2029\ufeff 😀 弹幕 ｆｕｌｌ'
    v = _verdict(text, amount=5.5, lag_s=0.1234, kind="gift", user=User("u", "名字", 0))
    assert v.to_json() == _old(v)
    assert json.loads(v.to_json())["text"] == text
    plain = _verdict(user=User())
    assert plain.to_json() == _old(plain)
    assert "user" not in json.loads(plain.to_json())


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=40),
    ts=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**70), 2**70),
    amount=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    lag_s=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    scores=st.tuples(*[st.floats(allow_nan=True, allow_infinity=True)] * 5),
    sentiment=st.floats(allow_nan=True, allow_infinity=True),
)
def test_any_verdict_is_written_as_json_dumps_wrote_it(
    text: str,
    ts: float,
    amount: float | None,
    lag_s: float | None,
    scores: tuple[float, ...],
    sentiment: float,
) -> None:
    v = _verdict(text, ts=ts, amount=amount, lag_s=lag_s, scores=scores, sentiment=sentiment)
    assert v.to_json() == _old(v)
