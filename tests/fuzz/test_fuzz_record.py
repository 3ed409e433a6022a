"""Fuzz the record parser: whatever comes in, a Comment or a counted RecordError."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from roomwatch.core.errors import RecordError
from roomwatch.core.payload import parse_many
from roomwatch.core.record import MAX_RECORD_BYTES, REJECT_REASONS, Comment, parse_json
from tests.fuzz.support import budget, deep, encode, payloads, record_dicts

# Hypothesis warns when it prints a megabyte-long failing example; that is
# the point of some examples here.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")


def _check(item: Comment | RecordError) -> None:
    if isinstance(item, RecordError):
        assert item.reason in REJECT_REASONS
        assert str(item)  # a message a person can read
        return
    # Accepted: the recorded line is valid UTF-8, within the limit, and
    # reads back to the same record (live and replay agree).
    line = item.to_json().encode("utf-8")
    assert len(line) <= MAX_RECORD_BYTES
    again = parse_json(line, received_at=0.0)
    assert again == item
    assert json.dumps(dict(again.extra), sort_keys=True) == json.dumps(
        dict(item.extra), sort_keys=True
    )


@budget(100)
@given(payloads())
@example(b'{"room":"r","text":"x","user":{"level":1e999}}')
@example(b'{"room":"r","text":"x","user":{"level":NaN}}')
@example(b'[{"room":"r","text":"x","ts":' + b"9" * 5000 + b"}]")
@example(deep(100_000).encode())
@example(b"\xff\xfe{}\n\xc3\x28")
def test_parse_many_never_raises(payload: bytes) -> None:
    for item in parse_many(payload, received_at=1_764_115_200.0):
        _check(item)
    # And the same payload decoded as text (the WebSocket source's frames).
    text = payload.decode("utf-8", "surrogateescape")
    for item in parse_many(text, received_at=1_764_115_200.0):
        _check(item)


@budget(150)
@given(record_dicts(), st.sampled_from(["ascii", "raw"]))
def test_one_record_is_accepted_or_rejected_cleanly(record: dict, mode: str) -> None:  # type: ignore[type-arg]
    try:
        comment = parse_json(encode(record, mode=mode), received_at=1.0)
    except RecordError as err:
        _check(err)
    else:
        _check(comment)


@budget(200)
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    try:
        parse_json(data, received_at=1.0)
    except RecordError as err:
        assert err.reason in REJECT_REASONS
    for item in parse_many(data, received_at=1.0):
        _check(item)
