"""A room's question terms are question evidence in that room only."""

from __future__ import annotations

from roomwatch.core.analyze import Analyzer
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.record import Comment
from roomwatch.core.verdict import Verdict


def reasons(analyzer: Analyzer, room: str, text: str) -> tuple[str, ...]:
    [v] = analyzer.analyze(
        [Comment.from_dict({"room": room, "text": text, "ts": 1.0}, received_at=0.0)]
    )
    assert isinstance(v, Verdict)
    return v.reasons


def test_question_terms_hit_only_in_their_room(analyzer: Analyzer) -> None:
    classifier = analyzer.classifier
    try:
        classifier.set_room_terms({"apples": RoomTerms.of(question=["上车链接"])})
        assert "lexicon:room-question:上车链接" in reasons(analyzer, "apples", "上车链接")
        assert not any("room-question" in r for r in reasons(analyzer, "pears", "上车链接"))
    finally:
        classifier.set_room_terms({})
