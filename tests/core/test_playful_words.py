"""Words on the insult list used as motion verbs or exclamations are chatter
(lexicons/terms/allow.txt, evasion.tsv), while the insult itself still counts."""

from __future__ import annotations

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment


def _verdict(analyzer: Analyzer, text: str) -> tuple[str, tuple[str, ...]]:
    (v,) = analyzer.analyze([Comment(room="r", text=text, ts=0.0, id="1")])
    return v.label, v.reasons


@pytest.mark.parametrize("text", ["小猫在地上打滚", "我滚进被窝了", "卧操"])
def test_motion_verbs_and_exclamations_are_not_insults(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", reasons
    assert "lexicon:insult:滚" not in reasons


@pytest.mark.parametrize("text", ["滚", "你给我滚", "滚出去"])
def test_go_away_is_still_an_insult(analyzer: Analyzer, text: str) -> None:
    assert _verdict(analyzer, text)[0] == "abuse"
