"""Live-room words a new user's walkthrough (stop 23) found misjudged: a
skincare complaint read as an insult, the README's own unpaid-wages example
read as chatter, and an insult at the room itself missed."""

from __future__ import annotations

import pytest

from roomwatch.core.analyze import Analyzer
from tests.support.verdicts import label_and_reasons as _verdict


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # 烂脸 = the product made the buyer's skin break out: a complaint.
        ("买的面霜用了烂脸，客服不理人", "grievance"),
        ("你这张烂脸", "abuse"),  # ... said of someone, still an insult
        ("工资拖了三个月", "grievance"),
        ("扣工资了", "grievance"),
        ("垃圾直播间", "abuse"),  # aimed at the room (直播间 is a target)
        ("直播间好热闹", "chatter"),
        ("dsb", "abuse"),  # 大傻逼
    ],
)
def test_walkthrough_words(analyzer: Analyzer, text: str, label: str) -> None:
    got, reasons = _verdict(analyzer, text)
    assert got == label, (text, reasons)
    if label == "grievance" and "烂脸" in text:
        assert not any(r.startswith("lexicon:insult") for r in reasons)
