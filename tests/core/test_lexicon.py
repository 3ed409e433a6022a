"""Lexicon matching on token boundaries, allow-lists, patterns and room terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomwatch.core.errors import ModelError
from roomwatch.core.lexicon import Hit, Lexicon, RoomTerms
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter

LEXICONS = Path(__file__).resolve().parents[2] / "lexicons"


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.from_dir(LEXICONS)


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter.from_dir(LEXICONS)


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer.from_dir(LEXICONS)


def hits(lex: Lexicon, seg: Segmenter, text: str, room: RoomTerms | None = None) -> set[str]:
    return {h.reason() for h in lex.match(text, seg.cut(text), room)}


def test_token_boundaries() -> None:
    lex = Lexicon({"sexual": ["大麻", "口交"], "insult": ["傻逼"]}, {})
    # 大麻烦 is 大/麻烦 and 口交通 is 口/交通: no hit inside a word.
    assert lex.match("大麻烦", ("大", "麻烦")) == ()
    assert lex.match("口交通", ("口", "交通")) == ()
    assert lex.match("大麻", ("大麻",)) == (Hit("sexual", "lex:sexual", "大麻"),)
    # A term may span several tokens as long as both ends are boundaries.
    assert lex.match("傻逼", ("傻", "逼")) == (Hit("insult", "lex:insult", "傻逼"),)


def test_allow_beats_shorter_block() -> None:
    lex = Lexicon({"insult": ["傻子"], "allow": ["傻子瓜子"]}, {})
    assert lex.match("傻子瓜子", ("傻子", "瓜子")) == ()
    assert lex.match("傻子", ("傻子",)) == (Hit("insult", "lex:insult", "傻子"),)


def test_shipped_lists(lex: Lexicon, seg: Segmenter) -> None:
    assert "lexicon:insult:傻逼" in hits(lex, seg, "傻逼主播")
    assert hits(lex, seg, "草莓多少钱") == {"lexicon:question:多少钱"}
    assert "lexicon:grievance:退款" in hits(lex, seg, "申请退款没人理")
    assert not any("insult" in h for h in hits(lex, seg, "滚筒洗衣机多少钱"))


def test_patterns(lex: Lexicon, seg: Segmenter) -> None:
    found = hits(lex, seg, "加我 vx: abc_12345 或者打13812345678")
    assert "pattern:phone:13812345678" in found
    assert any(h.startswith("pattern:wechat:") for h in found)
    assert any(h.startswith("pattern:url:") for h in hits(lex, seg, "去 www.abc.com 看"))
    assert any(h.startswith("pattern:taokouling:") for h in hits(lex, seg, "¥abcd1234efg¥"))
    assert not any(h.startswith("pattern:phone") for h in hits(lex, seg, "12元3斤"))


def test_contact_evasions(lex: Lexicon, seg: Segmenter, norm: Normalizer) -> None:
    # Issue 11: once digits and Latin letters stopped counting as such, contact
    # ids must be caught as contact patterns, in the spellings ads use.
    for text in (
        "wei xin abc1234",  # pinyin
        "➕V c s r p a 2 9 4 2",  # an id spelled out with spaces
        "🛰️kugu9508",  # satellite emoji: 卫星, a homophone of 微信
        "私人订制徽信→hkq1356",  # arrow before the id
    ):
        found = hits(lex, seg, norm(text).text)
        assert any(h.startswith("pattern:wechat:") for h in found), (text, found)
    assert any(h.startswith("pattern:url:") for h in hits(lex, seg, "点击t.cn/amBms"))
    assert any(h.startswith("pattern:search_id:") for h in hits(lex, seg, "绿色软件搜2yn99155"))
    # ... and ordinary words that start with v, or an id without a digit, are not ids.
    for text in ("vlog好看", "very nice", "v我50", "搜一下攻略", "xm1014"):
        found = hits(lex, seg, norm(text).text)
        assert not any(h.startswith("pattern:") for h in found), (text, found)


def test_dotless_domain_ads(lex: Lexicon, seg: Segmenter, norm: Normalizer) -> None:
    # A domain written without its dot, or announced as 域名/网址.
    for text in ("woaikanpiancn", "我域名abcdefcn", "网址 kanpian123"):
        found = hits(lex, seg, norm(text).text)
        assert any(h.startswith("pattern:domain_ad:") for h in found), (text, found)
    # Pinyin, English and talk about domains are not ads.
    for text in ("nihaoshijie", "internet", "sitcom", "welcome", "这个域名被墙了", "网址是多少"):
        found = hits(lex, seg, norm(text).text)
        assert not any(h.startswith("pattern:domain_ad") for h in found), (text, found)


def test_after_normalisation(lex: Lexicon, seg: Segmenter, norm: Normalizer) -> None:
    text = norm("煞笔主播").text
    assert "lexicon:insult:傻逼" in hits(lex, seg, text)


def test_room_terms(lex: Lexicon, seg: Segmenter) -> None:
    room = RoomTerms.of(abuse=["黑心商家"], spam=["某某店"], allow=["傻子"])
    text = "黑心商家"
    got = lex.match(text, ("黑心", "商家"), room)
    assert Hit("room-abuse", "lex:insult", "黑心商家") in got
    spam = lex.match("某某店", ("某某", "店"), room)
    assert Hit("room-spam", "lex:ad", "某某店") in spam
    # Room allow terms cancel global hits of the same span.
    assert not any(h.term == "傻子" for h in lex.match("傻子", ("傻子",), room))
    assert any(h.term == "傻子" for h in lex.match("傻子", ("傻子",)))


def test_unknown_list() -> None:
    with pytest.raises(ModelError):
        Lexicon({"politics": ["x"]}, {})


def test_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        Lexicon.from_dir(tmp_path)


def test_cue_patterns(lex: Lexicon, seg: Segmenter) -> None:
    assert any(h.startswith("pattern:curse:") for h in hits(lex, seg, "祝你出门被车撞"))
    assert any(h.startswith("pattern:ask_spec:") for h in hits(lex, seg, "这个不会起球吧"))
    assert any(h.startswith("pattern:cnnum:") for h in hits(lex, seg, "加我一三八一二三四五六七八"))
    assert not any(h.startswith("pattern:") for h in hits(lex, seg, "主播好美"))


def test_pattern_prefilter_is_truthful(lex: Lexicon) -> None:
    # Every pattern's "requires" characters must be necessary: a match found
    # without the prefilter is also found with it.
    samples = ["vx: abc123", "www.abc.com", "¥abcd1234efg¥", "13812345678", "qq 12345678"]
    for text in samples:
        with_filter = {h for h in lex.match(text, (text,)) if h.source.startswith("pattern:")}
        assert with_filter, text
