"""One comment's verdict, the way the classifier tests read it."""

from __future__ import annotations

from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment


def label_and_reasons(analyzer: Analyzer, text: str) -> tuple[str, tuple[str, ...]]:
    """The label and reasons ``analyzer`` gives ``text`` as a lone comment."""
    (v,) = analyzer.analyze([Comment(room="r", text=text, ts=0.0, id="1")])
    return v.label, v.reasons
