"""``classify``'s plain-text lines become exactly the comments (or errors)
``Comment.from_dict`` makes of them; the fast path only skips checks that pass."""

from __future__ import annotations

import argparse
import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core.errors import RecordError
from roomwatch.core.record import MAX_ROOM_CHARS, MAX_TEXT_CHARS, Comment
from roomwatch.offline import _classify_line


def _reference(raw: bytes, room: str) -> Comment | RecordError:
    """The code before the fast path."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RecordError("invalid_utf8", f"not valid UTF-8 (byte {exc.start})")
    kind = "comment" if text.strip() else "system"
    try:
        return Comment.from_dict({"room": room, "text": text, "kind": kind}, received_at=0.0)
    except RecordError as err:
        return err


def _check(raw: bytes, room: str) -> None:
    got = _classify_line(raw, argparse.Namespace(jsonl=False, room=room))
    want = _reference(raw, room)
    assert type(got) is type(want)
    if isinstance(want, RecordError):
        assert isinstance(got, RecordError)
        assert (got.reason, str(got), got.field) == (want.reason, str(want), want.field)
    else:
        assert isinstance(got, Comment)
        assert dataclasses.replace(got, ts=0.0) == want
        assert got.extra == want.extra and got.user is want.user


ROOMS = [
    "stdin",
    "直播间 1",
    " ",
    "",
    "r" * MAX_ROOM_CHARS,
    "r" * (MAX_ROOM_CHARS + 1),
    "bad\ud800",
]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.sampled_from(ROOMS))
def test_any_text_line_is_what_from_dict_makes_of_it(text: str, room: str) -> None:
    _check(text.encode("utf-8", "surrogatepass"), room)


def test_edges_of_the_text_and_bytes() -> None:
    for room in ROOMS:
        for raw in [
            b"",
            b"   \t",
            "哈哈哈".encode(),
            b"\xff\xfe not utf-8",
            "\u3000全角空格\u3000".encode(),
            b"x" * MAX_TEXT_CHARS,
            b"x" * (MAX_TEXT_CHARS + 1),
            b" " * (MAX_TEXT_CHARS + 1),
            "\ud800".encode("utf-8", "surrogatepass"),
        ]:
            _check(raw, room)
