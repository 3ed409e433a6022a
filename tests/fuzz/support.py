"""Hostile inputs shared by the fuzz tests, and their example budgets."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: How many times more examples a long run (--hypothesis-profile=long) makes.
LONG_FACTOR = 20


def budget(ci: int) -> settings:
    """Settings for a surface that runs ``ci`` examples in CI."""
    factor = LONG_FACTOR if settings.get_current_profile_name() == "long" else 1
    return settings(
        max_examples=ci * factor,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.large_base_example,
        ],
    )


#: Characters that break naive code: zero-width, bidi overrides, line and
#: paragraph separators JSON keeps raw, NUL and C1 controls, a BOM, lone
#: surrogates, astral-plane emoji, full-width forms, combining marks.
NASTY_CHARS = (
    "\u200b\u200c\u200d\u2060\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    "\u2028\u2029\u0085\x1c\x1d\x1e\x0b\x0c\r\n\t\x00\x7f\x9f"
    "\ud800\udbff\udc00\udfff"
    "😀🇨🇳\U0010ffff\uff21\uff10\u0301\u0338傻逼多少钱"
    '"\\/{}[],:'
)

nasty_text = st.text(alphabet=st.one_of(st.sampled_from(NASTY_CHARS), st.characters()), max_size=64)
#: A string that is sometimes a megabyte long (built by repetition, cheaply).
big_text = st.one_of(
    *[nasty_text] * 6,
    # n characters exactly (not n copies of s: 64 astral characters times a
    # million would be a quarter of a gigabyte per string).
    st.builds(
        lambda s, n: ((s or "x") * (n // len(s or "x") + 1))[:n],
        nasty_text,
        st.sampled_from([1_000, 70_000, 1_100_000]),
    ),
)
nasty_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            0,
            -1,
            -0.0,
            1e308,
            -1e308,
            5e-324,
            2**63,
            2**64,
            -(2**63) - 1,
            1e15,
            1.7e15,
            1e30,
            253402300800,
            4102444800000,
        ]
    ),
)
scalars = st.one_of(st.none(), st.booleans(), nasty_numbers, nasty_text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(nasty_text, children, max_size=5),
    ),
    max_leaves=20,
)
FIELDS = ("room", "text", "ts", "id", "user", "kind", "platform", "amount")


@st.composite
def record_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly-plausible records with hostile values in some fields."""
    rec: dict[str, Any] = {
        "room": draw(st.sampled_from(["r", "room-a", ""]) | nasty_text),
        "text": draw(st.sampled_from(["多少钱", " "]) | big_text),
    }
    for name in draw(st.sets(st.sampled_from(FIELDS))):
        rec[name] = draw(json_values | nasty_numbers | big_text)
    if draw(st.booleans()):
        rec["user"] = draw(
            st.fixed_dictionaries(
                {}, optional={"id": json_values, "name": big_text, "level": nasty_numbers}
            )
        )
    if draw(st.booleans()):
        rec[draw(nasty_text)] = draw(json_values)
    if draw(st.booleans()):
        rec["kind"] = draw(st.sampled_from(["comment", "superchat", "gift", "like", "bogus"]))
    return rec


def deep(n: int) -> str:
    return "[" * n + "]" * n


def encode(value: Any, *, mode: str) -> bytes:
    """JSON text for ``value`` (NaN/Infinity allowed), encoded hostilely."""
    text = json.dumps(value, ensure_ascii=(mode == "ascii"), allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    """Whole request bodies / frames: records, arrays, NDJSON, junk."""
    kind = draw(st.sampled_from(["record", "array", "ndjson", "junk", "deep", "mixed"]))
    mode = draw(st.sampled_from(["ascii", "raw"]))
    if kind == "record":
        return encode(draw(record_dicts()), mode=mode)
    if kind == "array":
        return encode(draw(st.lists(record_dicts() | json_values, max_size=6)), mode=mode)
    if kind == "ndjson":
        rows = draw(st.lists(record_dicts() | json_values, max_size=6))
        sep = draw(st.sampled_from([b"\n", b"\r\n", b"\n\n", "\u2028".encode()]))
        return sep.join(encode(r, mode=mode) for r in rows)
    if kind == "deep":
        return deep(draw(st.integers(1, 200_000))).encode()
    if kind == "mixed":
        good = encode({"room": "r", "text": "好"}, mode="raw")
        return good + b"\n" + draw(st.binary(max_size=200)) + b"\n" + good
    return draw(st.binary(max_size=2000))
