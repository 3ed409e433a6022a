import json

import pytest

from roomwatch.core.errors import RecordError
from roomwatch.core.payload import parse_many
from roomwatch.core.record import (
    MAX_RECORD_BYTES,
    MAX_TEXT_CHARS,
    REJECT_REASONS,
    Comment,
    parse_json,
)

GOOD = {
    "room": "county-apples-1126",
    "text": "3号链接多少钱",
    "ts": 1764115200.25,
    "id": "m-81723",
    "user": {"id": "u42", "name": "小李", "level": 12},
    "kind": "comment",
    "platform": "douyin",
}


def test_parses_the_documented_example():
    c = parse_json(json.dumps(GOOD, ensure_ascii=False), received_at=1.0)
    assert c.room == "county-apples-1126"
    assert c.text == "3号链接多少钱"
    assert c.ts == 1764115200.25
    assert c.id == "m-81723"
    assert (c.user.id, c.user.name, c.user.level) == ("u42", "小李", 12)
    assert c.kind == "comment"
    assert c.platform == "douyin"


def test_defaults_and_receive_time():
    c = Comment.from_dict({"room": "r", "text": "hi"}, received_at=123.5)
    assert c.ts == 123.5
    assert c.kind == "comment"
    assert c.id is None
    assert c.user.id is None


def test_unknown_fields_are_kept_and_round_trip():
    raw = {**GOOD, "fans_club": {"lvl": 3}, "color": "#fff"}
    c = Comment.from_dict(raw, received_at=0)
    assert c.extra == {"fans_club": {"lvl": 3}, "color": "#fff"}
    back = c.to_dict()
    assert back["fans_club"] == {"lvl": 3}
    assert Comment.from_dict(back, received_at=0) == c


def test_millisecond_timestamps_are_converted():
    c = Comment.from_dict({"room": "r", "text": "x", "ts": 1764115200250}, received_at=0)
    assert c.ts == pytest.approx(1764115200.25)


def test_integer_ids_become_strings():
    c = Comment.from_dict({"room": "r", "text": "x", "id": 7, "user": {"id": 42}}, received_at=0)
    assert c.id == "7"
    assert c.user.id == "42"


def test_paid_kinds_carry_amount():
    c = Comment.from_dict(
        {"room": "r", "text": "主播看看我", "kind": "superchat", "amount": 30}, received_at=0
    )
    assert c.paid and c.amount == 30.0
    g = Comment.from_dict({"room": "r", "text": "", "kind": "gift"}, received_at=0)
    assert not g.paid


@pytest.mark.parametrize(
    ("raw", "reason", "field"),
    [
        ({"text": "x"}, "missing_field", "room"),
        ({"room": "r"}, "missing_field", "text"),
        ({"room": 5, "text": "x"}, "wrong_type", "room"),
        ({"room": "r", "text": ["x"]}, "wrong_type", "text"),
        ({"room": "r", "text": "x", "ts": "yesterday"}, "wrong_type", "ts"),
        ({"room": "r", "text": "x", "ts": True}, "wrong_type", "ts"),
        ({"room": "r", "text": "x", "ts": -1}, "bad_value", "ts"),
        ({"room": "r", "text": "x", "kind": "shout"}, "bad_value", "kind"),
        ({"room": "r", "text": "   "}, "bad_value", "text"),
        ({"room": " ", "text": "x"}, "bad_value", "room"),
        ({"room": "r", "text": "x", "user": "bob"}, "wrong_type", "user"),
        ({"room": "r", "text": "x", "user": {"level": "high"}}, "wrong_type", "user.level"),
        ({"room": "r", "text": "x", "amount": -3}, "bad_value", "amount"),
        ({"room": "r", "text": "x", "id": 1.5}, "wrong_type", "id"),
        ({"room": "r", "text": "x" * (MAX_TEXT_CHARS + 1)}, "too_large", "text"),
        ({"room": "r", "text": "bad \ud800 surrogate"}, "invalid_utf8", "text"),
    ],
)
def test_bad_records_name_the_problem(raw, reason, field):
    with pytest.raises(RecordError) as info:
        Comment.from_dict(raw, received_at=0)
    assert info.value.reason == reason
    assert info.value.reason in REJECT_REASONS
    assert info.value.field == field
    assert field.split(".")[-1] in str(info.value)


def test_not_json_not_object_invalid_utf8_too_large():
    with pytest.raises(RecordError) as info:
        parse_json("{nope", received_at=0)
    assert info.value.reason == "not_json"
    with pytest.raises(RecordError) as info:
        parse_json("[1, 2]", received_at=0)
    assert info.value.reason == "not_object"
    with pytest.raises(RecordError) as info:
        parse_json(b'{"room": "r", "text": "\xff"}', received_at=0)
    assert info.value.reason == "invalid_utf8"
    with pytest.raises(RecordError) as info:
        parse_json(b"{" + b" " * MAX_RECORD_BYTES + b"}", received_at=0)
    assert info.value.reason == "too_large"


def test_parse_many_single_array_and_ndjson_keep_good_records():
    single = list(parse_many('{"room": "r", "text": "a"}', received_at=0))
    assert [c.text for c in single] == ["a"]

    arr = list(
        parse_many(
            '[{"room": "r", "text": "a"}, {"room": 1}, {"room": "r", "text": "b"}]', received_at=0
        )
    )
    assert [type(x).__name__ for x in arr] == ["Comment", "RecordError", "Comment"]

    nd = b'{"room": "r", "text": "a"}\n\n{oops\n{"room": "r", "text": "\xe5\x8c\x85\xe9\x82\xae"}\n'
    out = list(parse_many(nd, received_at=0))
    assert [getattr(x, "text", None) for x in out] == ["a", None, "包邮"]
    assert out[1].reason == "not_json"


def test_parse_many_survives_a_bad_utf8_line_among_good_ones():
    nd = b'{"room": "r", "text": "a"}\n\xff\xfe{\n{"room": "r", "text": "b"}'
    out = list(parse_many(nd, received_at=0))
    assert [getattr(x, "text", None) for x in out] == ["a", None, "b"]
    assert out[1].reason == "invalid_utf8"


def test_parse_many_reads_a_pretty_printed_record_as_one():
    # json.dumps(record, indent=2) is one record, not three bad lines.
    body = json.dumps({"room": "r", "text": "多少钱", "ts": 1}, indent=2, ensure_ascii=False)
    out = list(parse_many(body.encode(), received_at=0))
    assert [getattr(x, "text", None) for x in out] == ["多少钱"]
    # ... and a pretty-printed record that is wrong is one error, not three.
    (err,) = parse_many('{\n  "room": "r"\n}', received_at=0)
    assert isinstance(err, RecordError) and err.reason == "missing_field"
    # NDJSON with a broken line still goes line by line.
    out = list(parse_many('{"room": "r", "text": "a"}\n{"room": "r",\n', received_at=0))
    assert getattr(out[0], "text", None) == "a" and out[1].reason == "not_json"


def test_parse_many_rejects_only_the_array_element_with_bad_utf8():
    body = (
        b'[{"room": "r", "text": "a"}, {"room": "r", "text": "bad \xff"},'
        b' {"room": "r", "text": "c"}]'
    )
    out = list(parse_many(body, received_at=0))
    assert [getattr(x, "text", None) for x in out] == ["a", None, "c"]
    assert out[1].reason == "invalid_utf8"
    # An escaped lone surrogate is not a bad byte: that element decides alone.
    fine = b'[{"room": "r", "text": "x", "extra": "\\udc80"}, {"room": "r", "text": "\xff"}]'
    out = list(parse_many(fine, received_at=0))
    assert getattr(out[0], "text", None) == "x" and out[1].reason == "invalid_utf8"


def test_text_of_zero_width_characters_is_blank():
    for text in (
        "\u200b",
        "\u3000\u200b",
        " \u200d\ufeff ",
        "\u200b \u200b \u200b",
        "\u200b\u3000\u200c\u3000\u200d",
    ):
        with pytest.raises(RecordError, match="must not be blank"):
            Comment.from_dict({"room": "r", "text": text}, received_at=0)
    (err,) = parse_many(json.dumps({"room": "r", "text": "\u200b"}), received_at=0)
    assert isinstance(err, RecordError) and err.reason == "bad_value"
    assert Comment.from_dict({"room": "r", "text": "a\u200b"}, received_at=0).text == "a\u200b"


def test_parse_many_ignores_a_byte_order_mark():
    for body in (b'\xef\xbb\xbf{"room": "r", "text": "a"}', '\ufeff[{"room": "r", "text": "a"}]'):
        assert [getattr(x, "text", None) for x in parse_many(body, received_at=0)] == ["a"]
    # ... also before an array with a bad byte in one element.
    body = b' \xef\xbb\xbf[{"room": "r", "text": "a"}, {"room": "r", "text": "b\xff"}]'
    out = list(parse_many(body, received_at=0))
    assert getattr(out[0], "text", None) == "a" and out[1].reason == "invalid_utf8"


def test_comment_is_frozen():
    c = Comment.from_dict({"room": "r", "text": "x"}, received_at=0)
    with pytest.raises(AttributeError):
        c.text = "y"  # type: ignore[misc]
