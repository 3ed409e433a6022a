"""A viewer warning about, reporting or scolding ads is not placing one
(lexicons/warnings.txt, core.evidence.drop_warned_ads).

Each case is run twice: with the shipped lexicons, and with the same lexicons
less warnings.txt, so a test fails if the rule stops doing what it is for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.evidence import AdWarnings
from roomwatch.core.record import Comment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(ROOT / "models", ROOT / "lexicons")


@pytest.fixture(scope="module")
def without_rule(tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    lexicons = tmp_path_factory.mktemp("lexicons") / "lexicons"
    shutil.copytree(ROOT / "lexicons", lexicons)
    (lexicons / "warnings.txt").unlink()
    return Analyzer.load(ROOT / "models", lexicons)


def _judge(analyzer: Analyzer, texts: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    comments = [Comment(room="t", text=t, ts=0.0, id=str(i)) for i, t in enumerate(texts)]
    return [(v.label, v.reasons) for v in analyzer.analyze(comments)]


WARNINGS = {
    "兼职日结都是骗局 别信": "骗局",
    "淘口令千万别点 都是钓鱼链接": "别点",
    "天天有人刷进群领福利 烦不烦": "烦不烦",
    "又在刷“看我主页”的 烦死了": "烦死",  # the quoted offer is the ad warned about
}


def test_a_warning_about_ads_is_chatter_with_its_cue(
    analyzer: Analyzer, without_rule: Analyzer
) -> None:
    texts = list(WARNINGS)
    for (label, reasons), (before, _) in zip(
        _judge(analyzer, texts), _judge(without_rule, texts), strict=True
    ):
        assert before == "spam"  # what the rule is for
        assert label == "chatter", reasons
        assert "weak:spam" in reasons
        assert not any(r.startswith("lexicon:ad:") for r in reasons), reasons
    for text, (_, reasons) in zip(texts, _judge(analyzer, texts), strict=True):
        assert f"warns:{WARNINGS[text]}" in reasons


@pytest.mark.parametrize(
    "text",
    [
        "别信假的 我这才是正品 进群",  # a warning that offers the writer's own
        "被骗了别急 专业追回 加微信",  # a recovery scam
        "不坑人 不套路 兼职日结",  # reassurance: every cue negated
        "正规兼职日结 私",  # no cue, and a trailing 私 (DM me)
    ],
)
def test_ads_that_borrow_a_warnings_words_stay_spam(analyzer: Analyzer, text: str) -> None:
    ((label, reasons),) = _judge(analyzer, [text])
    assert label == "spam", reasons
    assert not any(r.startswith("warns:") for r in reasons)


def test_phrases_are_not_found_right_after_a_negation() -> None:
    cues = AdWarnings(["骗子", "坑人", "投诉", "套路"])
    assert cues.find("都是骗子") == "骗子"
    assert cues.find("不是骗子") is None
    assert cues.find("绝不坑人 零投诉") is None
    assert cues.find("拒绝套路") is None
    assert cues.find("不坑人 但这是套路") == "套路"  # a later, un-negated one
    assert cues.find("别 被 骗 子 骗") == "骗子"  # spaces out, as in the text searched


def test_a_missing_file_turns_the_rule_off(tmp_path: Path) -> None:
    assert AdWarnings.from_file(tmp_path / "warnings.txt").terms == ()
    assert AdWarnings.from_file(ROOT / "lexicons" / "warnings.txt").find("都是骗局") == "骗局"
