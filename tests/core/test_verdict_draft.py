"""``new_verdict`` and ``new_comment`` make what ``Verdict(...)`` and
``Comment(...)`` make (issue #14): the analyser and the parsers build one of
each per comment through them, setting plain slots and then the class."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment, User, new_comment, parse_json
from roomwatch.core.verdict import Verdict, new_verdict

COMMENT_ARGS: list[tuple[Any, ...]] = [
    ("r", "哈哈", 1.5),
    ("直播间", "多少钱", 1.0e9, "m-1", User("u", "小李", 3), "superchat", "douyin", 30.0),
    ("r", "x", 0.0, None, User(), "gift", None, None, {"extra": 1}),
]


@pytest.mark.parametrize("args", COMMENT_ARGS)
def test_new_comment_is_the_constructor(args: tuple[Any, ...]) -> None:
    made, plain = new_comment(*args), Comment(*args)
    assert type(made) is Comment
    assert made == plain
    assert [getattr(made, f.name) for f in dataclasses.fields(Comment)] == [
        getattr(plain, f.name) for f in dataclasses.fields(Comment)
    ]
    assert repr(made) == repr(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.text = "changed"  # type: ignore[misc]
    assert dataclasses.replace(made, ts=2.0) == dataclasses.replace(plain, ts=2.0)
    assert copy.copy(made) == plain


def test_the_parser_makes_comments() -> None:
    got = parse_json(b'{"room": "r", "text": "t", "ts": 5, "id": 7}', received_at=0.0)
    assert type(got) is Comment and got == Comment("r", "t", 5.0, "7")


def _verdict_args() -> list[tuple[Any, ...]]:
    c = Comment("r", "多少钱", 1.0e9)
    n = Normalized("多少钱", "多少钱")
    base = (c, n, ("多少", "钱"), "question", {"question": 0.9, "chatter": 0.1}, -0.25, ("ask",))
    return [(*base, "m"), (*base, "m", "lex", "cfg"), (*base, "m", "lex", "cfg", 0.5)]


@pytest.mark.parametrize("args", _verdict_args())
def test_new_verdict_is_the_constructor(args: tuple[Any, ...]) -> None:
    made, plain = new_verdict(*args), Verdict(*args)
    assert type(made) is Verdict
    assert made == plain
    assert [getattr(made, f.name) for f in dataclasses.fields(Verdict)] == [
        getattr(plain, f.name) for f in dataclasses.fields(Verdict)
    ]
    assert made.to_json() == plain.to_json()
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.label = "abuse"  # type: ignore[misc]
    assert made.with_lag(1.0) == plain.with_lag(1.0)
    assert copy.copy(made) == plain


def test_the_drafts_have_the_very_slots() -> None:
    for cls, draft in ((Verdict, new_verdict), (Comment, new_comment)):
        names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        assert cls.__slots__ == draft.__slots__ == names
