"""Live-room words a new user's walkthrough (stop 23) found misjudged: a
skincare complaint read as an insult and the README's own unpaid-wages
example read as chatter; and the ordinary comments a review then found the
first fixes took (payday chatter, insults that only mention 烂脸)."""

from __future__ import annotations

import pytest

from roomwatch.core.analyze import Analyzer
from tests.support.verdicts import label_and_reasons as _verdict


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # 烂脸 = the product made the buyer's skin break out: a complaint.
        ("买的面霜用了烂脸，客服不理人", "grievance"),
        ("这个会不会烂脸", "question"),
        # ... said of someone, still an insult.
        ("你这张烂脸", "abuse"),
        ("主播烂脸了", "abuse"),
        ("你会烂脸的", "abuse"),
        ("工资拖了三个月", "grievance"),
        # Waiting for payday is no grievance (nor shopping talk about it).
        ("工资还没发等等我", "chatter"),
        ("扣工资也要买", "chatter"),
        ("今天不发工资", "chatter"),
        ("dsb", "abuse"),  # 大傻逼
    ],
)
def test_walkthrough_words(analyzer: Analyzer, text: str, label: str) -> None:
    got, reasons = _verdict(analyzer, text)
    assert got == label, (text, reasons)
    if label == "grievance" and "烂脸" in text:
        assert not any(r.startswith("lexicon:insult") for r in reasons)
