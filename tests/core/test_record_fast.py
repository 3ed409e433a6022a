"""``parse_json``'s fast path for plain records gives what the general way gives.

The general way (``Comment.from_dict`` of the decoded value, then the
canonical-size check) is kept here as it was before the fast path, and both
are run on generated records of every shape, valid and invalid: the same
:class:`Comment`, field by field with types and float signs, or the same
error (reason, message, field).
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

from roomwatch.core import record
from roomwatch.core.errors import RecordError
from roomwatch.core.record import MAX_RECORD_BYTES, Comment, parse_json


def general(data: bytes | str, received_at: float) -> Comment:
    """``parse_json`` before the fast path."""
    size = record._size(data)
    comment = Comment.from_dict(record._loads(data, size), received_at=received_at)
    record._check_canonical_size(comment, size)
    return comment


def _same_value(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


def outcome(fn: Any, data: bytes | str, received_at: float = 1764115200.5) -> Any:
    try:
        c = fn(data, received_at)
    except RecordError as err:
        return ("error", err.reason, str(err), err.field)
    fields = ("room", "text", "ts", "id", "kind", "platform", "amount")
    values = tuple((f, type(getattr(c, f)).__name__, getattr(c, f)) for f in fields)
    user = (c.user.id, c.user.name, c.user.level, type(c.user.level).__name__)
    return (
        "comment",
        values,
        user,
        dict(c.extra),
        type(c.extra).__name__,
        c.user is record._NO_USER,
    )


def fast(data: bytes | str, received_at: float) -> Comment:
    return parse_json(data, received_at=received_at)


def assert_same(data: bytes | str, received_at: float = 1764115200.5) -> None:
    want = outcome(general, data, received_at)
    got = outcome(fast, data, received_at)
    assert got[0] == want[0], (data, got, want)
    if want[0] == "error":
        assert got == want, data
        return
    _, want_values, *want_rest = want
    _, got_values, *got_rest = got
    assert got_rest == want_rest, data
    for (name, t1, v1), (_, t2, v2) in zip(got_values, want_values, strict=True):
        assert t1 == t2 and _same_value(v1, v2), (data, name, v1, v2)


_VALUES: dict[str, list[Any]] = {
    "room": ["r", "rt-dense", " ", "", "x" * 128, "x" * 129, 7, None, ["r"], True, "房间"],
    "text": ["好", "哈哈哈", "", "  ", "\t\n", "x" * 10_000, "x" * 10_001, 3, None, {"a": 1}],
    "ts": [
        1764115200.25,
        1764115200,
        0,
        0.0,
        -0.0,
        -1,
        -0.5,
        1e11,
        1.00000001e11,
        1764115200250,
        1e14,
        1.0000001e14,
        2**63,
        2**64,
        1e300,
        True,
        "1",
        None,
        [1],
    ],
    "id": ["m-1", "", 42, -7, 0, 2**70, True, 1.5, None, ["x"], {"a": 1}],
    "kind": [*sorted(record.KINDS), "Comment", "", 3, None, True],
    "user": [
        None,
        {},
        {"id": "u1"},
        {"id": 5, "name": "小李", "level": 12},
        {"id": 2**64},
        {"id": -(2**63) - 1},
        {"id": 123456789012345678901234567, "name": False},
        {"name": "n"},
        {"level": 3.0},
        {"level": 3.5},
        {"level": 10**10},
        {"level": 2**70},
        {"level": True},
        {"id": True},
        {"id": 1.5},
        {"name": 3},
        {"id": None, "name": None, "level": None},
        {"x": 1},
        {"id": "u", "x": [1, [2]]},
        {"id": ["u"]},
        [1],
        "u",
        3,
    ],
    "platform": ["douyin", "", 3, None, True, ["p"]],
    "amount": [0, 0.0, -0.0, 5, 5.5, -1, -0.5, 2**63, 2**64, 1e300, True, "5", None],
}


def random_record(rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = list(_VALUES)
    rng.shuffle(names)  # key order must not matter
    for name in names:
        if name in ("room", "text"):
            if rng.random() < 0.93:
                out[name] = (
                    rng.choice(_VALUES[name]) if rng.random() < 0.3 else "好" * rng.randint(1, 8)
                )
        elif rng.random() < 0.4:
            out[name] = rng.choice(_VALUES[name])
    if rng.random() < 0.1:
        out[rng.choice(["extra", "x", "Room", "meta"])] = rng.choice(
            [1, "v", None, [1], {"a": 2**70}]
        )
    return out


def encodings(doc: dict[str, Any], rng: random.Random) -> list[bytes | str]:
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.3)
    return [text.encode("utf-8"), text, (" " + text + " \r").encode("utf-8")]


def test_random_records_parse_alike() -> None:
    rng = random.Random(1407)
    for _ in range(6000):
        doc = random_record(rng)
        for data in encodings(doc, rng):
            assert_same(data)
            assert_same(data, received_at=math.nan)


@pytest.mark.parametrize(
    "data",
    [
        b'{"room":"r","text":"\\ud800"}',  # a lone surrogate escape: orjson refuses it
        b'{"room":"r","text":"\\ud83d\\ude00"}',  # a pair: both decode it
        '{"room":"r","text":"\ud800"}',  # a lone surrogate in a str
        b'{"room":"r","text":"\xed\xa0\x80"}',  # an encoded surrogate: not UTF-8
        b'{"room":"r","text":"\xc0\xaf"}',  # overlong
        b'{"room":"r","text":"\xff"}',
        b'\xef\xbb\xbf{"room":"r","text":"x"}',  # a BOM
        b'{"room":"r","text":"x","ts":1e999}',
        b'{"room":"r","text":"x","ts":NaN}',
        b'{"room":"r","text":"x","ts":Infinity}',
        b'{"room":"r","text":"x","ts":18446744073709551616}',
        b'{"room":"r","text":"x","ts":1764115200000.5}',
        b'{"room":"r","text":"x","id":18446744073709551616}',
        b'{"room":"r","text":"x","amount":18446744073709551616}',
        b'{"room":"r","text":"x","amount":9223372036854775808}',
        b'{"room":"r","text":"x","amount":9223372036854775807}',
        b'{"room":"r","text":"x","ts":-9223372036854775809}',
        b'{"room":"r","text":"x","user":{"level":-9223372036854775809}}',
        b'{"room":"r","text":"x","n":18446744073709551616}',
        b'{"room":"r","text":"x","room":"s"}',  # a repeated key: the last one
        b'{"room":"r","text":"x\x01"}',  # a raw control character
        b'{"room":"r","text":"x"} x',
        b'{"room":"r","text":"x"}\x00',
        b'[{"room":"r","text":"x"}]',
        b"3",
        b'"x"',
        b"",
        b"   ",
        b'{"room":"r","text":"x","user":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"room":"r","text":"x","user":{"id":"u","x":' + b"[" * 900 + b"]" * 900 + b"}}",
        # orjson takes it, the standard decoder finds it too deep
        b'{"room":"r","text":"x","user":{"id":"u","x":' + b"[" * 1010 + b"]" * 1010 + b"}}",
        b'{"room":"r","text":"x","user":{"id":' + b"[" * 1010 + b"]" * 1010 + b"}}",
        # within the limit as received, over it as recorded (ts and kind added)
        b'{"room":"r","text":"x","id":"' + b"i" * (MAX_RECORD_BYTES - 40) + b'"}',
        b'{"room":"r","text":"' + b"x" * (MAX_RECORD_BYTES - 25) + b'"}',
        b'{"room":"r","text":"' + b"x" * (MAX_RECORD_BYTES + 10) + b'"}',
        b'{"room":"r","text":"' + "好".encode() * 9_999 + b'","ts":1e10}',
        b'{"room":"r","text":"' + b"\\u0001" * 9_000 + b'"}',  # canonical size over the limit
    ],
)
def test_edge_records_parse_alike(data: bytes | str) -> None:
    assert_same(data)


def test_the_fast_path_is_taken_for_plain_records() -> None:
    # (so the comparisons above compare two ways, not one way twice)
    raw = {"room": "r", "text": "好", "ts": 5.0, "id": 3, "user": {"id": "u"}, "kind": "superchat"}
    c = record._plain(raw | {"amount": 2}, 0.0)
    assert c is not None and c.id == "3" and c.amount == 2.0 and c.user.id == "u"
    ms = record._plain(raw | {"ts": 1764115200250}, 0.0)
    assert ms is not None and ms.ts == 1764115200.25
    assert record._plain(raw | {"extra": 1}, 0.0) is None
    assert record._plain(raw | {"ts": -1}, 0.0) is None
