"""Cue lists (roomwatch.core.cuelist, used by Classifier): an abuse verdict resting
on the model's n-grams alone needs someone it is aimed at (lexicons/targets.txt),
a spam verdict an ad form (lexicons/adforms.txt)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from roomwatch.core import classify
from roomwatch.core.analyze import Analyzer
from roomwatch.core.cuelist import CueList
from roomwatch.core.errors import ModelError
from roomwatch.core.normalize import Normalizer
from roomwatch.core.record import Comment
from roomwatch.core.segment import Segmenter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def targets() -> CueList:
    return CueList.from_file(ROOT / "lexicons" / "targets.txt")


@pytest.fixture(scope="module")
def adforms() -> CueList:
    return CueList.from_file(ROOT / "lexicons" / "adforms.txt")


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
def test_targets_are_found(targets: CueList, text: str, target: str) -> None:
    assert targets.find(text) == target


@pytest.mark.parametrize(
    "text", ["垃圾", "丑东西", "好恶心啊", "打架就是想打", "人气好高", "其他的都丑", "吉他太难了"]
)
def test_no_target_in_bare_opinions(targets: CueList, text: str) -> None:
    assert targets.find(text) is None, text


@pytest.mark.parametrize(
    "text", ["开局就杀人", "骂人不好", "别骗人了", "太气人了", "好感人", "又送人头"]
)
def test_a_verb_taking_ren_names_nobody(targets: CueList, text: str) -> None:
    # Stop 20: 骂人, 杀人, 送人(头) are a verb and its object, 气人 an adjective.
    assert targets.find(text) is None, text


@pytest.mark.parametrize(
    ("text", "target"),
    [("外国人都这样", "外国人"), ("有些人就是", "有些人"), ("老实人", "老实人"),
     ("这人头发真油", "这人"), ("杀人犯", "杀人"), ("骗人精", "骗人")],
)  # fmt: skip
def test_x_ren_still_names_people(targets: CueList, text: str, target: str) -> None:
    assert targets.find(text) == target


@pytest.fixture(scope="module")
def word_targets() -> CueList:
    return CueList.from_file(ROOT / "lexicons" / "targets.txt", words=True)


@pytest.fixture(scope="module")
def cut() -> Callable[[str], tuple[str, ...]]:
    normalizer = Normalizer.from_dir(ROOT / "lexicons")
    segmenter = Segmenter.from_dir(ROOT / "lexicons")
    return lambda text: segmenter.cut_batch([normalizer(text).text])[0]


@pytest.mark.parametrize(
    ("text", "shown"),
    [("说什么外地人真吵", "外地人"), ("凭什么城里人先走", "城里人"),
     ("为啥北京人都这样", "北京人"), ("说实话四川人好", "四川人"),
     # A match that begins a word is shown whole, as are those no list line
     # matches from a word start inside (jieba keeps 乌鲁木齐 one word).
     ("骂四川人", "骂四川人"), ("你这个垃圾", "你"), ("乌鲁木齐人", "鲁木齐人"),
     ("过去死了", "去死"), ("统一帮人", "一帮"), ("超长得", "长得"),
     # jieba cuts spaced-out text into single characters: nothing to move to.
     ("说 什 么 外 地 人", "么外地人")],
)  # fmt: skip
def test_a_word_list_shows_its_match_from_a_word_start(
    targets: CueList,
    word_targets: CueList,
    cut: Callable[[str], tuple[str, ...]],
    text: str,
    shown: str,
) -> None:
    # The X人 line reaches back up to two characters; the reason names the people.
    tokens = cut(text)
    assert word_targets.find(text, tokens) == shown
    assert targets.find(text, tokens) == targets.find(text)  # (words=False: untouched)


def test_tokens_that_do_not_spell_the_text_leave_the_match_whole() -> None:
    words = CueList("t", ["[一-龥]?外地人"], words=True)  # 么外地人 in 说什么外地人
    assert words.find("说什么外地人", ("说", "什么", "外地人")) == "外地人"
    slip = ("说什", "么外", "地人", "!")  # tokens that are not the text
    assert words.find("说什么外地人", slip) == "么外地人"
    assert words.find("说什么外地人", ("说", "什么")) == "么外地人"  # tokens of another text


def test_ngram_abuse_names_the_people_not_the_word_before(analyzer: Analyzer) -> None:
    got = _judge(analyzer, ["说什么外地人都是垃圾", "为啥北京人都这么恶心"])
    for (label, reasons), target in zip(got, ["外地人", "北京人"], strict=True):
        assert label == "abuse", reasons
        assert f"target:{target}" in reasons, reasons


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


@pytest.mark.parametrize(
    ("text", "form"),
    [("想要便宜的找我", "找我"), ("去我直播间抽免单", "去我直播间"), ("隔壁店只要13", "隔壁"),
     ("专业代练上分", "代练"), ("关注我有福利", "关注我有福利"), ("一起合租会员不", "合租"),
     ("宝妈群:8 9 6 0 0", "群:896")],
)  # fmt: skip
def test_ad_forms_are_found(adforms: CueList, text: str, form: str) -> None:
    assert adforms.find(text) == form


@pytest.mark.parametrize(
    "text", ["专业!!!", "免费用电", "欢迎新进直播间的朋友", "三连了", "关注了"]
)
def test_no_ad_form_in_room_talk(adforms: CueList, text: str) -> None:
    assert adforms.find(text) is None, text


def test_spam_without_an_ad_form_is_chatter(analyzer: Analyzer) -> None:
    # The main head reads 专业 and 直播间 as spam words; no contact, no ad.
    for label, reasons in _judge(analyzer, ["专业!!!", "专业团队"]):
        assert label == "chatter", reasons
        assert "weak:spam" in reasons


def test_ngram_spam_with_an_ad_form_shows_it(analyzer: Analyzer) -> None:
    ((label, reasons),) = _judge(analyzer, ["专业代运营~~"])
    assert label == "spam", reasons
    assert "adform:代运营" in reasons


def test_a_link_the_model_read_as_an_insult_is_spam_not_chatter(analyzer: Analyzer) -> None:
    # The abuse verdict has no evidence (no insult term, no target), so it is
    # demoted; a link is the guide's ad pattern, so it goes to spam, not chatter.
    for label, reasons in _judge(analyzer, ["https://kk7.xyz/qwe！！！😡", "www.abc123.top 恶心"]):
        assert label == "spam", reasons
        assert "weak:abuse" in reasons
        assert any(r.startswith("pattern:url:") for r in reasons)
    # ... while a bare number stays where the model put it.
    ((label, _),) = _judge(analyzer, ["1616162333333?"])
    assert label == "chatter"


def test_missing_file_turns_the_rule_off(tmp_path: Path) -> None:
    assert not CueList.from_file(tmp_path / "none.txt").enabled
    assert CueList.from_file(tmp_path / "none.txt").find("你") is None


def test_bad_regex_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "targets.txt"
    path.write_text("# comment\n(你\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"bad regex .* in targets\.txt"):
        CueList.from_file(path)


def test_the_one_head_bar_is_off_and_does_what_it_says(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stop 16 measured an extra bar for n-gram-only abuse (one head must call it
    # abuse on its own) and left it off; bench/realtraffic_knobs.py sweeps it.
    # A buyer's worry to the host (generated live corpus, a question) stacks to
    # about 0.7 abuse with the abuse head at 0.47 and the main head at 0.14.
    worry = "这外套不至于一洗就缩吧主播"

    def label(text: str) -> tuple[str, tuple[str, ...]]:
        # The classifier itself: the analyser's memo would keep the first verdict.
        normalized = analyzer.normalizer.normalize_batch([text])
        tokens = analyzer.segmenter.cut_batch([normalized[0].text])
        (p,) = analyzer.classifier.predict_batch(normalized, tokens)
        return p[0], tuple(p[3])

    # (Abuse by default is a known false flag the bar would fix; the bar is off
    # for what it costs elsewhere, see bench/realtraffic/README.md.)
    assert classify._NGRAM_ABUSE_HEAD_MIN_PROB == 0.0
    off = label(worry)
    assert "weak:abuse" not in off[1]
    monkeypatch.setattr(classify, "_NGRAM_ABUSE_HEAD_MIN_PROB", 0.5)
    monkeypatch.setattr(classify, "_NGRAM_ABUSE_MAIN_MIN_PROB", 0.3)
    got, reasons = label(worry)
    assert got != off[0] and "weak:abuse" in reasons
    # Insults the main head knows on its own stay abuse.
    for text in ("主播你是猪吗", "长这样也好意思开直播", "你是狗吧"):
        assert label(text)[0] == "abuse", text
