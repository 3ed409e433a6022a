"""``jsonfast.loads`` (orjson where it agrees) gives what the standard decoder gives.

Values are compared with their types (``1`` is not ``1.0``), float signs
included, and errors must be the standard decoder's own.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core import jsonfast
from roomwatch.core.record import _DECODER, parse_json


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    return bool(a == b)


def _outcome(fn: Any, doc: str | bytes) -> tuple[str, Any]:
    try:
        return "value", fn(doc)
    except Exception as exc:
        return type(exc).__name__, str(exc)


def _check(doc: str | bytes) -> None:
    want = _outcome(_DECODER.decode, doc)
    got = _outcome(lambda d: jsonfast.loads(d, _DECODER.decode), doc)
    assert got[0] == want[0], doc
    if want[0] == "value":
        assert _same(got[1], want[1]), doc
    else:
        assert got[1] == want[1], doc


_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=2**62, max_value=2**65).flatmap(lambda n: st.sampled_from([n, -n])),
    st.floats(allow_nan=False, allow_infinity=False),
)
_scalars = st.one_of(st.none(), st.booleans(), _numbers, st.text(max_size=12))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(_values, st.booleans())
def test_generated_documents_decode_alike(value: Any, spaced: bool) -> None:
    doc = json.dumps(value, ensure_ascii=not spaced, indent=1 if spaced else None)
    _check(doc)


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(
        r"\A-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?\Z", fullmatch=True
    )
)
def test_number_literals_decode_alike(literal: str) -> None:
    _check(literal)
    _check('{"ts": ' + literal + ', "x": [' + literal + "]}")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]",:0123456789.eE-+ \\u\td8ab\ud800nulltrefaNIy', max_size=24))
def test_broken_documents_fail_alike(doc: str) -> None:
    _check(doc)


@pytest.mark.parametrize(
    "doc",
    [
        "12345678901234567890123",
        "-9223372036854775809",
        "18446744073709551616",
        "9223372036854775807",
        '{"id": 99999999999999999999, "ts": 1.5}',
        "1e999",
        "-1E400",
        "NaN",
        "[Infinity]",
        '"\\ud800"',
        '{"a": 1, "a": 2, "b": 3}',
        "\ufeff{}",
        " {} ",
        "{} x",
        "[" * 999 + "]" * 999,
        "[" * 3000 + "]" * 3000,
        '{"t": "\ud83d\ude00"}',
        "1e19",
        "-0",
        "-0.0",
        "0.1000000000000000055511151231257827",
    ],
)
def test_edge_cases_decode_alike(doc: str) -> None:
    _check(doc)


def test_records_keep_their_big_ids_exact() -> None:
    line = b'{"room": "r", "text": "hi", "ts": 1.0, "id": 123456789012345678901234567890}'
    comment = parse_json(line, received_at=0.0)
    # json keeps the int; orjson alone would have made it 1.2345678901234568e+29.
    assert comment.id == "123456789012345678901234567890"
