"""``Verdict.to_json`` writes exactly what ``json.dumps`` wrote, byte for byte.

It uses orjson where the two encoders agree and ``json`` elsewhere; these
cases are the ones where they differ (tiny floats, NaN and infinities, lone
surrogates, ints past 64 bits) and the text a live room sends. ``json_lines``
(a batch's lines, rounded at once by ``round4``) writes what ``to_json`` writes.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment, User
from roomwatch.core.verdict import Verdict, json_lines, json_lines_utf8, round4

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


# -- the batch writer (json_lines) and its rounding ---------------------------


def test_json_lines_writes_what_to_json_writes_for_the_edge_cases() -> None:
    cases = [
        _verdict(ts=1e-05),
        _verdict(amount=math.nan, kind="gift"),
        _verdict(sentiment=math.nan),
        _verdict(sentiment=-0.00001),
        _verdict(sentiment=-0.0),
        _verdict(scores=(math.inf, 0.0, 0.0, 0.0, -math.inf)),
        _verdict(scores=(1e300, 1e300, 0.5, 0.00005, 0.00015)),
        _verdict(scores=(0.00004, 0.00005, 0.00015, 0.99976, 0.0)),
        _verdict(scores=(0.12345, 0.23455, 0.5, 1.00005, 2.5e-5)),
        _verdict("lone \ud800 surrogate"),
        _verdict(user=User("u1", None, 2**70)),
        _verdict(lag_s=0.1234, amount=5.5, kind="gift"),
    ]
    assert json_lines(cases) == [v.to_json() for v in cases]
    assert json_lines([]) == []
    # One verdict whose scores have another number of labels than the rest.
    odd = _verdict()
    odd = Verdict(
        odd.comment, odd.normalized, odd.tokens, "chatter", {"chatter": 1.0}, 0.3, (), "m1"
    )
    assert json_lines([cases[0], odd, cases[1]]) == [
        cases[0].to_json(),
        odd.to_json(),
        cases[1].to_json(),
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.tuples(*[st.floats(allow_nan=True, allow_infinity=True)] * 5),
            st.floats(allow_nan=True, allow_infinity=True),
            st.none() | st.floats(allow_nan=True, allow_infinity=True),
        ),
        max_size=12,
    )
)
def test_json_lines_is_to_json_for_any_batch(
    rows: list[tuple[tuple[float, ...], float, float | None]],
) -> None:
    batch = [_verdict(scores=s, sentiment=m, lag_s=lag) for s, m, lag in rows]
    assert json_lines(batch) == [v.to_json() for v in batch]


def _same(a: float, b: float) -> bool:
    return repr(a) == repr(b)  # -0.0 and 0.0 differ, NaN equals NaN


@settings(max_examples=500, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30))
def test_round4_is_pythons_round_for_any_float(values: list[float]) -> None:
    got = round4(np.array(values, dtype=np.float64)).tolist()
    assert all(_same(a, round(x, 4)) for a, x in zip(got, values, strict=True))


def test_round4_at_and_near_every_half_between_minus_one_and_one() -> None:
    halves = [k / 1e4 + 0.00005 for k in range(-10_000, 10_000)]
    near = [math.nextafter(h, d) for h in halves for d in (-math.inf, math.inf)]
    values = halves + near + [k / 1e4 for k in range(-10_000, 10_001)]
    values += [0.0, -0.0, 5e-324, -5e-324, 999_999.99995, 1e6, -1e6, 123_456.78905]
    got = round4(np.array(values)).tolist()
    assert all(_same(a, round(x, 4)) for a, x in zip(got, values, strict=True))


# -- the same lines as UTF-8 bytes (json_lines_utf8) --------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=20).filter(lambda t: not any(0xD800 <= ord(c) < 0xE000 for c in t)),
            st.tuples(*[st.floats(allow_nan=True, allow_infinity=True)] * 5),
            st.floats(allow_nan=True, allow_infinity=True),
            st.none() | st.floats(allow_nan=True, allow_infinity=True),
        ),
        max_size=12,
    )
)
def test_json_lines_utf8_is_json_lines_encoded(
    rows: list[tuple[str, tuple[float, ...], float, float | None]],
) -> None:
    batch = [_verdict(t, scores=s, sentiment=m, lag_s=lag) for t, s, m, lag in rows]
    assert json_lines_utf8(batch) == [line.encode("utf-8") for line in json_lines(batch)]


def test_json_lines_utf8_edge_cases_and_a_lone_surrogate() -> None:
    cases = [
        _verdict(ts=1e-05),
        _verdict(amount=math.nan, kind="gift"),
        _verdict(scores=(math.inf, 0.0, 0.0, 0.0, -math.inf)),
        _verdict(user=User("u1", None, 2**70)),
        _verdict('a\x00"\\\n\u2028 😀 弹幕'),
    ]
    assert json_lines_utf8(cases) == [v.to_json().encode("utf-8") for v in cases]
    # A line UTF-8 can't hold fails as writing it to a UTF-8 text file fails.
    with pytest.raises(UnicodeEncodeError):
        json_lines_utf8([_verdict("lone \ud800 surrogate")])


def test_json_lines_utf8_with_surrogateescape_is_what_the_text_file_writes() -> None:
    v = _verdict("byte \udcff here")
    assert json_lines_utf8([v], "surrogateescape") == [
        v.to_json().encode("utf-8", "surrogateescape")
    ]
