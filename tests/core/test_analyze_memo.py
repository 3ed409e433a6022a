"""The analyser's memo of repeated texts changes no verdict (issue #14).

Cached against uncached, batched against single: the same comments give
equal verdicts (every field: tokens, label, scores, reasons, stamps) whether
each is analysed alone with the memo off, in batches with the memo on, or
through a memo so small that it evicts all the time. Rooms without extra
terms share the memo's entries; a room with terms has its own.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from roomwatch.core.analyze import Analyzer, memo_key
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.record import Comment
from roomwatch.core.verdict import Verdict

ROOT = Path(__file__).resolve().parents[2]


def _comments() -> list[Comment]:
    out: list[Comment] = []
    with gzip.open(ROOT / "samples" / "demo.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in list(fh)[:2500]:
            raw = json.loads(line)
            out.append(Comment.from_dict(raw, received_at=raw["ts"]))
    with (ROOT / "tests" / "data" / "real_text_sample.jsonl").open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            raw = {"room": f"real-{i % 3}", "text": json.loads(line)["text"], "ts": 1.0e9 + i}
            out.append(Comment.from_dict(raw, received_at=1.0e9 + i))
    # Repeats across rooms and kinds, within and across batches.
    again = [c for c in out if c.kind == "comment"][:300]
    out += [Comment.from_dict({**c.to_dict(), "room": "other"}, received_at=c.ts) for c in again]
    out += again
    return out


@pytest.fixture(scope="module")
def comments() -> list[Comment]:
    return _comments()


@pytest.fixture(scope="module")
def reference(comments: list[Comment]) -> list[Verdict]:
    plain = Analyzer.load(ROOT / "models", ROOT / "lexicons")
    plain.memo_size = 0
    return [v for c in comments for v in plain.analyze([c])]


def _batched(analyzer: Analyzer, comments: list[Comment], size: int) -> list[Verdict]:
    return [
        v for i in range(0, len(comments), size) for v in analyzer.analyze(comments[i : i + size])
    ]


def test_the_set_repeats_and_mixes_kinds(comments: list[Comment]) -> None:
    assert len({c.text for c in comments}) < len(comments) - 500
    assert {c.kind for c in comments} >= {"comment", "enter", "gift"}


@pytest.mark.parametrize(("memo_size", "batch"), [(20_000, 64), (20_000, 1), (8, 64), (0, 500)])
def test_memo_and_batches_change_no_verdict(
    comments: list[Comment], reference: list[Verdict], memo_size: int, batch: int
) -> None:
    analyzer = Analyzer.load(ROOT / "models", ROOT / "lexicons")
    analyzer.memo_size = memo_size
    assert _batched(analyzer, comments, batch) == reference
    assert len(analyzer._memo) <= memo_size


def test_memo_is_bounded_and_keeps_the_most_recent(comments: list[Comment]) -> None:
    analyzer = Analyzer.load(ROOT / "models", ROOT / "lexicons")
    analyzer.memo_size = 50
    _batched(analyzer, comments, 64)
    assert len(analyzer._memo) == 50
    last = comments[-1]
    assert memo_key(last, True, {}) in analyzer._memo
    assert analyzer.known(last)


def test_new_room_terms_empty_the_memo(comments: list[Comment]) -> None:
    analyzer = Analyzer.load(ROOT / "models", ROOT / "lexicons")
    text = "这个主播是个大骗子"
    first = analyzer.analyze(
        [Comment.from_dict({"room": "r", "text": text, "ts": 1.0e9}, received_at=1.0e9)]
    )
    assert analyzer._memo
    analyzer.classifier.set_room_terms({"r": RoomTerms.of(abuse=["骗子"])})
    second = analyzer.analyze(
        [Comment.from_dict({"room": "r", "text": text, "ts": 1.0e9}, received_at=1.0e9)]
    )
    assert any("room-abuse" in r for r in second[0].reasons)
    assert not any("room-abuse" in r for r in first[0].reasons)


def _at(room: str, text: str, kind: str = "comment") -> Comment:
    raw = {"room": room, "text": text, "ts": 1.0e9, "kind": kind}
    return Comment.from_dict(raw, received_at=1.0e9)


def test_rooms_without_terms_share_entries_and_a_room_with_terms_does_not() -> None:
    text = "这个主播是个大骗子"
    terms = {"termed": RoomTerms.of(abuse=["骗子"])}
    cached = Analyzer.load(ROOT / "models", ROOT / "lexicons", terms)
    plain = Analyzer.load(ROOT / "models", ROOT / "lexicons", terms)
    plain.memo_size = 0
    batch = [_at("a", text), _at("termed", text), _at("b", text), _at("a", text, "gift")]
    first = cached.analyze(batch[:1])
    assert cached.known(_at("b", text)) and not cached.known(_at("termed", text))
    got = first + cached.analyze(batch[1:])
    assert got == [v for c in batch for v in plain.analyze([c])]
    # One entry for both rooms without terms, one for the room with them,
    # one for the untyped record.
    assert len(cached._memo) == 3
    assert got[0].scores is got[2].scores  # the shared entry's very objects
    assert got[0].comment.room == "a" and got[2].comment.room == "b"
    assert any("room-abuse" in r for r in got[1].reasons)
    assert not any("room-abuse" in r for r in got[2].reasons)
