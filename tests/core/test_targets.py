"""Targets (lexicons/targets.txt): an abuse verdict resting on the model's n-grams
alone needs someone it is aimed at (roomwatch.core.targets, used by Classifier)."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.errors import ModelError
from roomwatch.core.record import Comment
from roomwatch.core.targets import Targets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def targets() -> Targets:
    return Targets.from_file(ROOT / "lexicons" / "targets.txt")


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(ROOT / "models", ROOT / "lexicons")


def _judge(analyzer: Analyzer, texts: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    comments = [Comment(room="t", text=t, ts=0.0, id=str(i)) for i, t in enumerate(texts)]
    return [(v.label, v.reasons) for v in analyzer.analyze(comments)]


@pytest.mark.parametrize(
    ("text", "target"),
    [("你这个垃圾", "你"), ("主播这种人", "主播"), ("河南人都是骗子", "河南人"),
     ("北_京_人都是土包子", "北京人"), ("老女 人还播什么", "老女人"), ("那个胖子", "那个"),
     ("长成这样也好意思", "长成这样"), ("闭嘴吧", "闭嘴")],
)  # fmt: skip
def test_targets_are_found(targets: Targets, text: str, target: str) -> None:
    assert targets.find(text) == target


@pytest.mark.parametrize("text", ["垃圾", "丑东西", "好恶心啊", "打架就是想打", "人气好高"])
def test_no_target_in_bare_opinions(targets: Targets, text: str) -> None:
    assert targets.find(text) is None, text


def test_opinions_without_a_target_are_chatter(analyzer: Analyzer) -> None:
    # The abuse head reads these as abuse (COLD's disgust words); nobody is named.
    for label, reasons in _judge(analyzer, ["垃圾", "丑东西", "好恶心啊", "这也太恶心了"]):
        assert label == "chatter", reasons
        assert "weak:abuse" in reasons


def test_ngram_abuse_with_a_target_shows_it(analyzer: Analyzer) -> None:
    got = _judge(analyzer, ["你这个垃圾", "主播这种垃圾还有脸直播", "河南人都是骗子"])
    for (label, reasons), target in zip(got, ["你", "主播", "河南人"], strict=True):
        assert label == "abuse", reasons
        assert f"target:{target}" in reasons


def test_lexicon_insults_need_no_target(analyzer: Analyzer) -> None:
    for label, reasons in _judge(analyzer, ["狗官", "傻逼", "长成这样也好意思露脸"]):
        assert label == "abuse", reasons
        assert not any(r.startswith("target:") for r in reasons)


def test_missing_file_turns_the_rule_off(tmp_path: Path) -> None:
    assert not Targets.from_file(tmp_path / "none.txt").enabled
    assert Targets.from_file(tmp_path / "none.txt").find("你") is None


def test_bad_target_regex_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "targets.txt"
    path.write_text("# comment\n(你\n", encoding="utf-8")
    with pytest.raises(ModelError, match="bad target regex"):
        Targets.from_file(path)
