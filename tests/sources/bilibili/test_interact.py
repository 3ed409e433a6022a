"""INTERACT_WORD_V2: the protobuf reader and the enter records, with malformed bytes."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomwatch.core.record import Comment
from roomwatch.sources.bilibili.commands import Ignored, Malformed, to_record
from roomwatch.sources.bilibili.interact import InteractWord, decode_interact_word
from roomwatch.sources.bilibili.protobuf import WireError, fields, read_varint, signed64
from tests.fuzz.support import budget
from tests.sources.bilibili.pbwrite import (
    blob,
    fixed32,
    fixed64,
    interact_v2_command,
    interact_word_v2,
    key,
    uint,
    varint,
)


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**63, 2**64 - 1])
def test_varints_read_back(value: int) -> None:
    data = b"\xff" + varint(value)
    assert read_varint(data, 1) == (value, len(data))


def test_every_wire_type_is_read_in_order() -> None:
    data = uint(1, 150) + blob(2, "testing") + fixed64(3, 2**40 + 5) + fixed32(4, 7)
    assert list(fields(data)) == [(1, 0, 150), (2, 2, b"testing"), (3, 1, 2**40 + 5), (4, 5, 7)]
    assert signed64(read_varint(varint(-3), 0)[0]) == -3


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x08", "past the end"),  # a key, then no value
        (b"\x08" + b"\xff" * 10 + b"\x01", "longer than 10 bytes"),
        (b"\x08" + b"\xff" * 9 + b"\x7f", "wider than 64 bits"),
        (blob(2, "abc")[:-1], "claims 3 bytes"),
        (key(3, 1) + b"\x00\x00", "needs 8 bytes"),
        (key(5, 3), "wire type 3"),  # a group
        (key(5, 7) + b"\x00", "wire type 7"),
        (b"\x00\x01", "field number 0"),
    ],
)
def test_malformed_bytes_raise_a_wire_error(data: bytes, says: str) -> None:
    with pytest.raises(WireError, match=says):
        list(fields(data))


def test_an_interact_word_v2_is_decoded_and_unknown_fields_are_skipped() -> None:
    pb = base64.b64encode(interact_word_v2(uid=987654321012, uname="阿明", medal_level=21))
    assert decode_interact_word(pb.decode()) == InteractWord(
        uid=987654321012, uname="阿明", msg_type=1, timestamp=1_764_115_200, medal_level=21
    )
    # Fields with numbers roomwatch doesn't know, of every wire type, change nothing.
    extra = uint(99, 5) + blob(100, b"\x00\xff") + fixed64(101, 1) + fixed32(102, 2)
    pb2 = base64.b64encode(interact_word_v2(extra=extra)).decode()
    assert decode_interact_word(pb2).uname == "小李"


def test_an_entry_becomes_an_enter_record() -> None:
    mapped = to_record(interact_v2_command(interact_word_v2(medal_level=9)), "r1")
    assert isinstance(mapped, dict), mapped
    c = Comment.from_dict(mapped, received_at=0.0)
    assert (c.kind, c.room, c.text, c.platform) == ("enter", "r1", "", "bilibili")
    assert (c.user.id, c.user.name, c.user.level) == ("42", "小李", 9)
    assert c.ts == 1_764_115_200


def test_a_follow_or_share_is_ignored() -> None:
    for msg_type in (2, 3):
        body = interact_v2_command(interact_word_v2(msg_type=msg_type))
        assert to_record(body, "r1") == Ignored("INTERACT_WORD_V2")


@pytest.mark.parametrize(
    ("pb", "says"),
    [
        ("", "non-empty base64"),
        ("not base64!!", "not base64"),
        (interact_word_v2()[:-3], "claims"),  # cut inside the last field
        (uint(1, 5) + uint(2, 7), "field 2 must be length-delimited"),  # uname as a number
        (blob(1, "42"), "field 1 must be a varint"),
        (blob(2, b"\xff\xfe"), "not UTF-8"),
        (blob(9, b"\x10"), "past the end"),  # a fans medal cut short
        (b"\x08" + b"\xff" * 12, "longer than 10 bytes"),
    ],
)
def test_malformed_pb_is_a_malformed_command(pb: bytes | str, says: str) -> None:
    mapped = to_record(interact_v2_command(pb), "r1")
    assert isinstance(mapped, Malformed), mapped
    assert "INTERACT_WORD_V2: 'data.pb'" in mapped.message and says in mapped.message


def test_a_pb_that_is_not_a_string_or_no_data_is_malformed() -> None:
    assert isinstance(to_record({"cmd": "INTERACT_WORD_V2", "data": {"pb": 5}}, "r1"), Malformed)
    assert isinstance(to_record({"cmd": "INTERACT_WORD_V2"}, "r1"), Malformed)


@budget(300)
@given(st.binary(max_size=200), st.integers(0, 199))
def test_any_bytes_decode_or_raise_a_wire_error(data: bytes, cut: int) -> None:
    """Random bytes, and a valid message cut or with bytes flipped: a result or a
    WireError, nothing else (the command path turns the error into Malformed)."""
    good = interact_word_v2(medal_level=3)
    flipped = bytearray(good)
    if flipped:
        flipped[cut % len(flipped)] ^= data[0] if data else 0xFF
    for raw in (data, good[:cut], bytes(flipped)):
        try:
            word = decode_interact_word(base64.b64encode(raw).decode())
        except WireError:
            continue
        assert isinstance(word, InteractWord)
        mapped = to_record(interact_v2_command(raw), "r1")
        assert isinstance(mapped, dict | Ignored | Malformed)
