"""Records that used to crash the parser or slip past its limits (issue #12)."""

import json

import pytest

from roomwatch.core.errors import RecordError
from roomwatch.core.payload import parse_many
from roomwatch.core.record import MAX_RECORD_BYTES, REJECT_REASONS, Comment, parse_json


def _items(payload: str | bytes) -> list[Comment | RecordError]:
    return list(parse_many(payload, received_at=1.0))


@pytest.mark.parametrize(
    "body",
    [
        '{"room":"r","text":"hi","user":{"level":1e999}}',
        '{"room":"r","text":"hi","user":{"level":-1e999}}',
        '{"room":"r","text":"hi","user":{"level":NaN}}',
        '{"room":"r","text":"hi","user":{"level":Infinity}}',
        '{"room":"r","text":"hi","user":{"level":1e300}}',
        '{"room":"r","text":"hi","ts":' + "9" * 400 + "}",
        '{"room":"r","text":"hi","amount":' + "9" * 400 + ',"kind":"gift"}',
        '{"room":"r","text":"hi","ts":' + "9" * 5000 + "}",
        '{"room":"r","text":"hi","extra":NaN}',
        '{"room":"r","text":"hi","extra":[1e999]}',
        '{"room":"r","text":"hi","platform":"\\ud800"}',
        # Found by the long fuzz run: /1000 still reads as milliseconds, so
        # the recorded ts would be divided again on replay.
        '{"room":"r","text":"hi","ts":100000000000001.0}',
    ],
)
def test_numbers_the_parser_cant_convert_are_clean_rejections(body):
    with pytest.raises(RecordError) as info:
        parse_json(body, received_at=1.0)
    assert info.value.reason in REJECT_REASONS
    # And inside a batch, the records beside it still pass.
    good = '{"room":"r","text":"ok"}'
    items = _items(f"{good}\n{body}\n{good}")
    assert [type(i) for i in items] == [Comment, RecordError, Comment]
    items = _items(f"[{good}, {body}, {good}]")
    assert [type(i) for i in items] == [Comment, RecordError, Comment]


def test_an_array_element_is_held_to_the_per_record_limit():
    huge = {"room": "r", "text": "big", "pad": "x" * (MAX_RECORD_BYTES + 1)}
    body = json.dumps([{"room": "r", "text": "a"}, huge, {"room": "r", "text": "b"}])
    items = _items(body)
    assert [type(i) for i in items] == [Comment, RecordError, Comment]
    assert isinstance(items[1], RecordError) and items[1].reason == "too_large"


def test_a_record_whose_recorded_form_is_too_large_is_refused_live():
    # 1e15 is 4 bytes received but 18 recorded; replay would skip the line.
    body = '{"room":"r","text":"a","xs":[' + ",".join(["1e15"] * 12_000) + "]}"
    assert len(body) < MAX_RECORD_BYTES
    with pytest.raises(RecordError) as info:
        parse_json(body, received_at=1.0)
    assert info.value.reason == "too_large"


def test_every_accepted_record_replays_to_the_same_record():
    bodies = [
        '{"room":"r","text":"a","xs":[' + ",".join(["1e15"] * 3_000) + "]}",
        '{"room":"r","text":"a","x":"lone \\ud800 and \\udfff here","\\udc00k":1}',
        '{"room":"r","text":"a\u2028b\u0085c","ts":5}',
    ]
    for body in bodies:
        first = parse_json(body, received_at=1.0)
        line = first.to_json().encode("utf-8")  # what the recorder writes
        again = parse_json(line, received_at=0.0)
        assert again == first
        assert dict(again.extra) == dict(first.extra)


def test_lone_surrogates_in_unknown_fields_are_kept_as_received():
    c = parse_json('{"room":"r","text":"a","note":"x\\ud800y"}', received_at=1.0)
    assert c.extra["note"] == "x\ud800y"
    line = c.to_json()
    line.encode("utf-8")  # writable as UTF-8, no "?" in its place
    assert "\\ud800" in line
    assert "?" not in line


def test_ndjson_splits_only_on_newlines():
    # U+2028 and U+0085 are legal raw inside JSON strings; str.splitlines()
    # used to cut such a record in two.
    one = json.dumps({"room": "r", "text": "a\u2028b\u0085c\x1cd"}, ensure_ascii=False)
    for payload in (one, one.encode("utf-8"), f"{one}\r\n{one}\n"):
        items = _items(payload)
        assert items and all(isinstance(i, Comment) for i in items)
