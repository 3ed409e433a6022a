"""A worker decodes an input entry the gateway wrote without ``Comment.from_dict``'s
checks (streams/layout.py, ``_canonical``); the result must be what ``from_dict``
gives, and anything that is not exactly the gateway's form takes the full checks."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment, User
from roomwatch.streams.layout import Entry, _canonical, decode_entry, encode_entry

TS = 1_764_115_200.25


def _full(record: Any) -> Comment | str:
    try:
        return Comment.from_dict(record, received_at=math.nan)
    except RecordError as exc:
        return exc.reason


def _expected(record: Any) -> Comment | str:
    """What a worker makes of an entry holding ``record`` (one without ts is malformed)."""
    full = _full(record)
    return "malformed_entry" if isinstance(full, Comment) and math.isnan(full.ts) else full


def _decoded(record: Any, as_bytes: bool) -> Comment | str:
    line = json.dumps({"r": record, "s": "http", "t": 0, "p": 1.0, "a": "k"}, ensure_ascii=False)
    got = decode_entry("1-0", {"e": line.encode() if as_bytes else line})
    if isinstance(got, RecordError):
        return got.reason
    assert isinstance(got, Entry)
    return got.comment


GATEWAY_FORMS = [
    Comment("room-a", "主播好", TS),
    Comment("room-a", "这个多少钱", TS, id="m-1", user=User("u1", "小李", 12), platform="douyin"),
    Comment("room-a", "", TS, kind="enter", user=User(name="小王")),
    Comment("r" * 128, "x" * 10_000, 0.0, user=User(level=-3)),
    Comment("room-a", "hi", 1e11, kind="superchat", user=User(id="u2")),
]


@pytest.mark.parametrize("comment", GATEWAY_FORMS)
@pytest.mark.parametrize("as_bytes", [True, False])
def test_the_gateways_form_decodes_as_from_dict_does(comment: Comment, as_bytes: bool) -> None:
    record = orjson.loads(encode_entry(comment, "http", False, 1.0, "k"))["r"]
    assert _canonical(record) == comment  # the short way was taken ...
    assert _decoded(record, as_bytes) == comment == _full(record)  # ... and agrees


OTHER_FORMS: list[dict[str, Any]] = [
    {"room": "r", "text": "hi", "ts": 1764115200},  # an integer ts
    {"room": "r", "text": "hi", "ts": 1764115200250.0},  # milliseconds
    {"room": "r", "text": "hi", "ts": TS, "amount": 30.0, "kind": "gift"},
    {"room": "r", "text": "hi", "ts": TS, "extra": {"a": 1}},
    {"room": "r", "text": "hi", "ts": TS, "id": 17},
    {"room": "r", "text": "hi", "ts": TS, "user": {"id": 5, "level": 3.0}},
    {"room": "r", "text": "hi", "ts": TS, "user": {"level": True}},
    {"room": "r", "text": "hi", "ts": TS, "user": {"level": 10**10}},
    {"room": "r", "text": "hi", "ts": TS, "user": "u1"},
    {"room": "r", "text": "hi", "ts": TS, "user": {"name": "n", "other": 1}},
    {"room": "r", "text": "hi", "ts": TS, "kind": None},
    {"room": "r", "text": "hi", "ts": TS, "kind": "shout"},
    {"room": "r", "text": "   ", "ts": TS},
    {"room": " ", "text": "hi", "ts": TS},
    {"room": "r" * 129, "text": "hi", "ts": TS},
    {"room": "r", "text": "x" * 10_001, "ts": TS},
    {"room": "r", "text": "hi", "ts": -1.0},
    {"room": "r", "text": "hi", "ts": 1e300},
    {"room": "r", "text": "hi"},
    {"text": "hi", "ts": TS},
    {"room": "r", "text": 5, "ts": TS},
    {"room": "r", "text": "hi", "ts": TS, "platform": 3},
]


@pytest.mark.parametrize("record", OTHER_FORMS)
def test_any_other_form_takes_the_full_checks(record: dict[str, Any]) -> None:
    short = _canonical(record)
    full = _full(record)
    assert short is None or short == full
    assert _decoded(record, True) == _expected(record)


_text = st.text(max_size=12)
_value = st.none() | st.booleans() | st.integers() | st.floats() | _text
_user = st.none() | _value | st.dictionaries(st.sampled_from(["id", "name", "level", "x"]), _value)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {"room": _text | _value, "text": _text | _value, "ts": st.floats() | _value},
        optional={
            "id": _text | _value,
            "user": _user,
            "kind": st.sampled_from(["comment", "enter", "gift", "superchat", "x"]) | _value,
            "platform": _text | _value,
            "amount": _value,
        },
    )
)
def test_decoding_agrees_with_from_dict_on_any_record(record: dict[str, Any]) -> None:
    short = _canonical(record)
    full = _full(record)
    if short is not None:
        assert short == full
    try:
        json.dumps(record, allow_nan=False)
    except ValueError:
        return  # NaN and infinities are not JSON: no entry can hold them
    # Against from_dict on the record as a worker reads it: orjson reads an integer
    # beyond 64 bits as a float, where json keeps it an int (hypothesis found a
    # user id of -2**63 - 1: wrong_type as a float, a string id as an int).
    as_read = orjson.loads(json.dumps(record))
    assert _decoded(record, True) == _expected(as_read)
