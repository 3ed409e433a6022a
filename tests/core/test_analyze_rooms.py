"""A batch spanning many rooms costs one model call, and scores as one comment at a time.

The analyzer used to call the model once per room in a batch: with
thousands of rooms that is a call per comment (issue #14, item 2). Rooms
without their own terms now share one call; rooms with terms keep theirs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from roomwatch.core.analyze import Analyzer
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.record import Comment
from roomwatch.core.verdict import Verdict

TEXTS = ("主播好", "几号链接多少钱", "垃圾主播滚", "加微信领红包", "苹果好甜", "发货太慢了")


def comments(rooms: int) -> list[Comment]:
    return [
        Comment.from_dict(
            {"room": f"r{i % rooms}", "text": TEXTS[i % len(TEXTS)] + "!" * (i % 3), "ts": 1.0 + i},
            received_at=0.0,
        )
        for i in range(60)
    ]


def verdicts(analyzer: Analyzer, batch: list[Comment]) -> list[dict[str, Any]]:
    out = []
    for r in analyzer.analyze(batch):
        assert isinstance(r, Verdict)
        out.append(r.to_dict())
    return out


def test_a_many_room_batch_scores_as_single_comments(analyzer: Analyzer) -> None:
    batch = comments(rooms=40)
    together = verdicts(analyzer, batch)
    alone = [verdicts(analyzer, [c])[0] for c in batch]
    assert together == alone


class Counting:
    """The real classifier, noting the room of each model call."""

    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier
        self.calls: list[str | None] = []

    def predict_batch(self, *args: Any, room: str | None = None) -> Any:
        self.calls.append(room)
        return self.classifier.predict_batch(*args, room=room)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.classifier, name)


def test_a_many_room_batch_is_one_model_call(analyzer: Analyzer) -> None:
    counting = Counting(analyzer.classifier)
    spied = dataclasses.replace(analyzer, classifier=counting)
    verdicts(spied, comments(rooms=40))
    assert counting.calls == [None]
    try:
        analyzer.classifier.set_room_terms({"r1": RoomTerms.of(spam=["链接"])})
        counting.calls.clear()
        verdicts(spied, comments(rooms=40))
    finally:
        analyzer.classifier.set_room_terms({})
    assert sorted(counting.calls, key=str) == [None, "r1"]


def test_rooms_with_their_own_terms_still_get_them(analyzer: Analyzer) -> None:
    classifier = analyzer.classifier
    batch = comments(rooms=40)
    plain = verdicts(analyzer, batch)
    try:
        classifier.set_room_terms({"r1": RoomTerms.of(spam=["链接", "发货"])})
        assert classifier.has_room_terms("r1") and not classifier.has_room_terms("r2")
        termed = verdicts(analyzer, batch)
    finally:
        classifier.set_room_terms({})
    changed = [i for i, (a, b) in enumerate(zip(plain, termed, strict=True)) if a != b]
    assert changed, "the room's spam term changed nothing"
    assert all(batch[i].room == "r1" for i in changed)
