"""``json_lines``/``json_lines_utf8`` build the common line themselves (no amount,
no lag, finite values, a plain ts); this checks them against the loop they
replaced, kept verbatim below, on random batches of every kind of verdict:
with and without a user, other kinds, amounts, lags, odd timestamps, lone
surrogates, non-finite scores and another number of labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment, User
from roomwatch.core.verdict import Verdict, json_lines, json_lines_utf8, round4

LABELS = ("chatter", "question", "grievance", "abuse", "spam")
_L = TypeVar("_L", str, bytes)


def _old_lines(
    verdicts: Sequence[Verdict], encode: Callable[[Verdict, dict[str, float], float, bool], _L]
) -> list[_L]:
    # verdict.py's _lines before the common line was built in it (verbatim).
    if not verdicts:
        return []
    flat: list[float] = []
    extend = flat.extend
    append = flat.append
    for v in verdicts:
        extend(v.scores.values())
        append(v.sentiment)
    values = np.array(flat, dtype=np.float64)
    rounded = round4(values)
    sizes = np.fromiter((len(v.scores) + 1 for v in verdicts), np.int64, len(verdicts))
    ends = np.cumsum(sizes)
    # Whether every rounded value of a verdict is finite (then orjson may write it).
    bad = np.zeros(len(flat) + 1, dtype=np.int64)
    np.cumsum(~np.isfinite(rounded), out=bad[1:])
    finite = (bad[ends] - bad[ends - sizes] == 0).tolist()
    as_list: list[float] = rounded.tolist()
    out: list[_L] = []
    start = 0
    for v, end, ok in zip(verdicts, ends.tolist(), finite, strict=True):
        scores = dict(zip(v.scores, as_list[start : end - 1], strict=True))
        out.append(encode(v, scores, as_list[end - 1], ok))
        start = end
    return out


_FLOATS = st.floats(allow_nan=True, allow_infinity=True)
_TS = (
    st.floats(min_value=1e9, max_value=2e9)
    | st.sampled_from([0.0, -0.0, 1e-05, 5e-324, 2.0**70, math.nan, math.inf])
    | st.integers(-(2**70), 2**70)
)
_USERS = st.sampled_from(
    [User(), User("u1", "小李", 12), User(None, "名", None), User("u", None, 2**70), User(level=0)]
)
_TEXT = st.text(max_size=12) | st.sampled_from(["主播好", "lone \ud800", 'q"\\\n', ""])


@st.composite
def _verdicts(draw: st.DrawFn) -> Verdict:
    n_labels = draw(st.sampled_from([5, 5, 5, 1]))
    scores = draw(
        st.tuples(*[st.floats(0, 1)] * n_labels)
        | st.tuples(*[_FLOATS] * n_labels)
        | st.tuples(*[st.sampled_from([0.0, 0.00005, 0.99995, 0.12345])] * n_labels)
    )
    comment = Comment(
        room=draw(st.sampled_from(["r1", "房间"])),
        text=draw(_TEXT),
        ts=draw(_TS),
        id=draw(st.none() | st.sampled_from(["m-1", "弹幕"])),
        user=draw(_USERS),
        kind=draw(st.sampled_from(["comment", "comment", "system", "gift"])),
        amount=draw(st.none() | st.none() | _FLOATS),
    )
    return Verdict(
        comment,
        Normalized(comment.text, ()),
        (comment.text,),
        draw(st.sampled_from(LABELS)),
        dict(zip(LABELS, scores, strict=False)),
        draw(st.floats(-1, 1) | _FLOATS),
        draw(st.sampled_from([(), ("lex:x", "norm:width"), ("feature:+好",)])),
        "m1",
        "lexhash",
        "cfghash",
        draw(st.none() | st.none() | _FLOATS),
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(_verdicts(), max_size=10))
def test_lines_are_the_old_loops(batch: list[Verdict]) -> None:
    assert json_lines(batch) == _old_lines(batch, Verdict._encode)
    for errors in ("strict", "surrogateescape"):
        old = partial(_old_lines, batch, partial(Verdict._encode_utf8, errors=errors))
        assert _outcome(partial(json_lines_utf8, batch, errors)) == _outcome(old)


def _outcome(run: Callable[[], list[bytes]]) -> list[bytes] | str:
    """The lines, or the error (a lone surrogate in strict UTF-8 raises)."""
    try:
        return run()
    except UnicodeEncodeError as exc:
        return repr(exc)


def test_the_common_line_is_to_json() -> None:
    plain = Comment("r1", "主播好", 1796620760.294464, kind="comment")
    system = Comment("r1", "", 1796620760.5, kind="system")
    users = Comment("r1", "好", 1796620761.0, id="x", user=User("u1", "小李", 3))
    batch = [
        Verdict(c, Normalized(c.text, ()), (c.text,), "chatter", {"chatter": 1.0}, 0.0, (), "m")
        for c in (plain, system, users)
    ]
    assert json_lines(batch) == [v.to_json() for v in batch]
    assert json_lines_utf8(batch) == [v.to_json().encode() for v in batch]
    assert '"kind":"system"' in json_lines(batch)[1]
    assert '"user":{"id":"u1","name":"小李","level":3}' in json_lines(batch)[2]
