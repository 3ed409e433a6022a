"""Evidence rules after the model: what a label needs, and what becomes of a
verdict without it (roomwatch.core.classify.Classifier.predict_batch).

A label other than chatter needs evidence a person would accept (the labelling
guide): its own lexicon hits or patterns (:data:`LABEL_EVIDENCE`), or features
that the classifier found strong enough. These helpers hold the rules that
are about the text rather than the model's numbers: a lone word with a
question mark, a warning about ads that is no ad, and demoting an
unevidenced verdict to chatter.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from pathlib import Path

import numpy as np

from roomwatch.core.cuelist import find_unnegated, read_terms, term_finder, unseparated
from roomwatch.core.features import END, START
from roomwatch.core.lexicon import Hit
from roomwatch.core.model import LABELS
from roomwatch.core.normalize import Normalized

__all__ = [
    "CONTACT_PATTERNS",
    "LABEL_EVIDENCE",
    "SHOW_ASK",
    "AdWarnings",
    "demote_unevidenced",
    "drop_warned_ads",
    "lone_word_with_mark",
    "relabel",
    "said_besides",
]

_CHATTER = LABELS.index("chatter")
_ABUSE = LABELS.index("abuse")
_SPAM = LABELS.index("spam")

# A comment that is nothing but an ask of when or whether the show goes on, to
# the host or nobody ("主播几点下播", the guide's "主播明天还播吗"; normalised
# text). The model leans to abuse on these (主播, 下播 are in its abuse rows), and
# a whole-comment match leaves no room for anything else: "几点下播，小心点",
# "什么时候死" are not it (an ask alone never lifts an abuse verdict).
SHOW_ASK = re.compile(
    r"(?:主播|播主|up主|up|博主|老板|掌柜|客服|姐姐|哥哥|宝宝|宝子)?[,\s]*"
    r"(?:今天|明天|今晚|明晚|晚上|下午|周末|下周|下次)?(?:几点|什么时候|啥时候)?"
    r"(?:还|会|要|在|继续)?(?:下播|开播|播|直播|更新)"
    r"(?:吗|嘛|么|不|呢|啊|呀)?[?!~.。\s]*"
)
# A lone word with a question mark ("小可爱？", "老王头？") is an echo or a reaction,
# not an ask (labelling guide: "a single word with '？' → chatter"): a question
# verdict whose only question evidence is "?" and whose text is one word
# (sentence-final particles and punctuation aside) goes to chatter.
_FINAL_PARTICLES = frozenset("啊呀嘛吧哦哇呢吗么诶欸嗯")
_LONE_WORD = 4
_NOT_CONTENT = re.compile(r"[^\w]|_")
# What keeps a short "X？" an ask: a wh-word, a verb making it a proposition, an
# A-not-A tail (包邮不？), or a buyer topic the guide lists (price, link, size,
# shipping, stock, colour: "价格？", "链接？").
_PROPOSITION = re.compile(
    r"什么|啥|谁|哪|几|多少|多久|多大|多长|怎|咋|是|有|在|能|会|要|[不没]$"
    r"|价|钱|链接|尺|码|发货|快递|运费|邮|库存|货|优惠|券|颜色|色号|规格|保质"
)
# The patterns that are a way in to someone else's shop, chat or group: spam
# evidence on their own (training.heads gives them a weight floor towards spam).
CONTACT_PATTERNS = frozenset(
    {"pat:phone", "pat:qq", "pat:wechat", "pat:url", "pat:taokouling", "pat:search_id",
     "pat:domain_ad"}
)  # fmt: skip
LABEL_EVIDENCE: dict[int, frozenset[str]] = {
    LABELS.index("question"): frozenset({"lex:question", "pat:ask_spec"}),
    LABELS.index("grievance"): frozenset({"lex:grievance"}),
    # Profanity alone (他妈的, 你妈 as an intensifier) is no evidence of abuse: with
    # nothing else the abuse verdict rests on n-grams and needs their bar.
    LABELS.index("abuse"): frozenset({"lex:insult", "lex:sexual", "pat:curse"}),
    LABELS.index("spam"): frozenset(
        {
            "lex:ad",
            "pat:phone",
            "pat:qq",
            "pat:wechat",
            "pat:url",
            "pat:taokouling",
            "pat:digits",
            "pat:cnnum",
            "pat:search_id",
            "pat:domain_ad",
        }
    ),
}


def lone_word_with_mark(hits: Sequence[Hit], text: str) -> bool:
    """Whether the only question evidence is "?" and the text is a lone word: at most
    _LONE_WORD characters once punctuation and final particles are dropped, and
    nothing of _PROPOSITION."""
    if any(h.evidence == "pat:ask_spec" for h in hits):
        return False
    terms = [h.term for h in hits if h.evidence == "lex:question"]
    if not terms or any(t != "?" for t in terms):
        return False
    content = _NOT_CONTENT.sub("", text).rstrip("".join(_FINAL_PARTICLES))
    return len(content) <= _LONE_WORD and _PROPOSITION.search(content) is None


def relabel(probs: np.ndarray, chosen: np.ndarray, i: int, to: int) -> None:
    """Give row ``i``'s verdict to label ``to``, with its label's probability mass."""
    frm = int(chosen[i])
    probs[i, to] += probs[i, frm]
    probs[i, frm] = 0.0
    chosen[i] = to


def demote_unevidenced(
    chosen: np.ndarray,
    probs: np.ndarray,
    evidenced: np.ndarray,
    hits: Sequence[Sequence[Hit]],
    weak: dict[int, str],
    keep: Container[int] = (),
) -> None:
    """Make chatter of the rows (but those in ``keep``) whose verdict has neither
    evidencing features nor a hit of its label's evidence (``weak:<label>`` in
    their reasons); spam of those with a contact, link or id
    (:data:`CONTACT_PATTERNS`): a link the model read as an insult is still
    引流 ("https://…！！！"), not chatter."""
    for i in np.flatnonzero((chosen != _CHATTER) & ~evidenced).tolist():
        if i in keep:
            continue
        label_i = int(chosen[i])
        if any(h.evidence in LABEL_EVIDENCE[label_i] for h in hits[i]):
            continue
        way_in = any(h.evidence in CONTACT_PATTERNS for h in hits[i])
        relabel(probs, chosen, i, _SPAM if way_in else _CHATTER)
        weak[i] = "weak:" + LABELS[label_i]


# Words that point at someone named by a group (这个东北人, 那位女士, 这帮河南人)
# or say that someone is one (是个男的, 像个女的, 一个女的, 找个男人, a bare 个:
# stop 22): cut out with the name, since pointing at a person says nothing of
# them. Only right before a cut name: 这样 in "女的都这样" stays (stop 20
# review); so does 是 alone (你是…: how an insult is aimed).
_POINT = r"(?:这|那)(?:个|位|种|些|俩|帮|群)?"
_POINTERS = re.compile(r"(?:" + _POINT + r"|(?:是|像|找)?一?个)(?=\0)")


# Whom a live-room comment most often addresses or points at: the host, the
# uploader, the floor above, you, him, her. Addressing someone is, like naming a
# group, not insulting them (stop 21): "主播是女的吗" and "你是东北人吧" ask, and
# "主播长得真丑" insults with what it says besides 主播. A pronoun right before a
# cut group name stays ("你们外地人真烦", "你这个河南人": the usual way a regional or
# gender attack is aimed, an adversarial review found), as does 他 in 其他, 吉他.
_PEOPLE = "主播|播主|up主|up|博主|楼上|楼下|这人|那人"
_ADDRESSEES = re.compile(
    _PEOPLE + r"|(?:你们|他们|她们|您|你(?!们)|(?<![其吉])他(?!们)|她(?!们))"
    r"(?!(?:" + _POINT + r"|个)?\0)"
)


def cut_addressees(rest: str) -> tuple[str, int]:
    """``rest`` with each addressee cut out (a NUL each, as for a group name), and
    how many were cut."""
    return _ADDRESSEES.subn("\0", rest)


# An insult the speaker calls themselves ("我真是个低能", "我是傻子我信了") is
# self-mockery, not abuse, when the comment addresses nobody else; one inside
# quotation marks ("“你算什么东西”这句台词太帅了", 《傻逼的一生》) is a mention, a line
# or a title (stop 21: a blind-written insult list's probes and a holdout review
# found them the commonest false flags of the insult list).
_SELF = re.compile(
    r"^本人?$|(?<![死笑让给把被叫跟和替帮害气别烦关离])我(?![^我]*(?:觉得|认为|感觉|看来|说))[^我]{0,6}$"
)
# Anyone else the comment names (for self-mockery): the addressees, and the
# room's other people.
_OTHERS = re.compile(
    r"你|您|(?<![其吉])他|她|" + _PEOPLE + r"|楼主|大家|各位|老板|客服|老师|店家|掌柜|助理|房管"
)
_CLAUSE = re.compile(r"[,.!?;:~\s。、]")
_QUOTED = re.compile(r'“[^”]*”|「[^」]*」|『[^』]*』|《[^》]*》|"[^"]*"')


def insult_not_aimed(text: str, term: str) -> bool:
    """Whether every occurrence of the insult ``term`` in ``text`` (normalised) is
    quoted, or the speaker calling themselves it with nobody else addressed."""
    quoted = (
        [m.span() for m in _QUOTED.finditer(text)] if any(q in text for q in '“「『《"') else []
    )
    others = _OTHERS.search(text) is not None
    found = False
    for m in re.finditer(re.escape(term), text):
        found = True
        # (a quote holding nothing but the term, with someone addressed outside it,
        # is emphasis, not a mention: 你就是个“傻逼”)
        if any(
            a <= m.start()
            and m.end() <= b
            and (b - a - 2 > len(term) or not _OTHERS.search(text[:a] + text[b:]))
            for a, b in quoted
        ):
            continue
        if others or not (
            _SELF.search(_CLAUSE.split(text[: m.start()])[-1])
            or text.startswith(("的我", "如我"), m.end())  # 没长脑子的我, 菜逼如我
        ):
            return False
    return found


def drop_unaimed_insults(
    hits: list[tuple[Hit, ...]], normalized: Sequence[Normalized], chosen: np.ndarray
) -> set[int]:
    """Take the insults aimed at nobody (:func:`insult_not_aimed`) out of the
    hits of the rows ``chosen`` as abuse: no evidence, no reason. Returns those
    rows: the model read the dropped insult, so its n-grams are no evidence either."""
    dropped = set()
    for i in np.flatnonzero(chosen == _ABUSE).tolist():
        text = normalized[i].text
        kept = tuple(
            h for h in hits[i] if h.evidence != "lex:insult" or not insult_not_aimed(text, h.term)
        )
        if len(kept) != len(hits[i]):
            hits[i] = kept
            dropped.add(i)
    return dropped


def said_besides(
    flat: str, rest: str, surfaces: Sequence[str], contributions: Sequence[float]
) -> float:
    """The summed contributions of the features (``surfaces``: their n-gram text,
    start/end marks kept, no spaces) to what ``flat`` (a comment, separators
    removed) says besides what was cut out of it to give ``rest`` (a NUL per
    cut), the words pointing at a cut name cut out too. Each feature counts with
    the share of its occurrences left in the rest; one the text cannot hold
    (a lexicon feature, an n-gram with a separator in it) counts whole."""
    whole = START + flat + END
    rest = START + _POINTERS.sub("\0", rest) + END
    total = 0.0
    for surface, c in zip(surfaces, contributions, strict=True):
        n = whole.count(surface) if surface else 0
        total += c if n == 0 else c * rest.count(surface) / n
    return total


class AdWarnings:
    """The phrases of a warning about ads (``lexicons/warnings.txt``: 骗子, 别信,
    举报, 刷屏), found not right after a negation: ads reassure with 不坑人,
    零投诉, 不是骗子."""

    __slots__ = ("_rx", "terms")

    _NEGATORS = frozenset("不没非无零")
    _NOT = frozenset({"不是", "没有", "并非", "绝非", "拒绝"})

    def __init__(self, terms: Sequence[str] = ()) -> None:
        self.terms = tuple(dict.fromkeys(terms))
        self._rx = term_finder(self.terms)

    @classmethod
    def from_file(cls, path: Path) -> AdWarnings:
        """The phrases of ``path``, one a line (``#`` comments); none if it is missing."""
        return cls(read_terms(path))

    def find(self, text: str) -> str | None:
        """The first phrase in ``text`` (normalised) that no negation comes right
        before, or None."""
        return find_unnegated(self._rx, text.replace(" ", ""), self._NEGATORS, self._NOT)


# A contact, link or id in the text: an ad's own way in, which a warning that
# repeats it passes on all the same.
_CONTACT = LABEL_EVIDENCE[_SPAM] - {"lex:ad"}
# An offer of the writer's own contact or service (加我, 私我, 找我, 看我主页, 我这有,
# 带你赚, 帮你追回): a warning that makes one is an ad in disguise ("别被骗了，正规
# 渠道加我v", "被坑过的找我帮你追回", "别信假的，我这才是正品"; a trailing 私 is "DM me").
# Quoted words are the ad being warned about, not an offer: "又在刷“看我主页”".
# Written from grammar, not from data.
_SELF_OFFER = re.compile(
    r"(?:加|私|找|联系|问|滴滴|戳|扣|call|艾特|@)我|(?:看|进|来|去|上|点)我"
    r"|我(?:这|这里|这边|家|们家|店|的店)?(?:有|卖|出|收|带|做|接|代|包|教|帮|办)"
    r"|(?:带|帮|教|包)(?:你|您|大家)|我的?(?:v|vx|微信|qq|群|主页|橱窗|店)"
    r"|我(?:这|们|家)?才是|追(?:回|款|损)|挽回|私$"
)


def drop_warned_ads(
    hits: list[tuple[Hit, ...]],
    normalized: Sequence[Normalized],
    chosen: np.ndarray,
    warnings: AdWarnings,
) -> dict[int, str]:
    """Take the ad terms out of the hits of the rows ``chosen`` as spam that warn
    about ads rather than place one: a warning, report or complaint phrase
    (:class:`AdWarnings`), no contact, link or id, and no offer of the writer's
    own (:data:`_SELF_OFFER`). "弹幕里让你加微信的都是骗子" is a viewer protecting
    others, not 引流. Returns each such row's ``warns:<phrase>`` reason; like an
    unaimed insult, the dropped term's n-grams are no evidence either (the
    caller gives the row no ad form)."""
    warned: dict[int, str] = {}
    if not warnings.terms:
        return warned
    for i in np.flatnonzero(chosen == _SPAM).tolist():
        if any(h.evidence in _CONTACT for h in hits[i]):
            continue
        text = normalized[i].text
        cue = warnings.find(text)
        if cue is None or _SELF_OFFER.search(unseparated(_QUOTED.sub("", text))):
            continue
        hits[i] = tuple(h for h in hits[i] if h.evidence != "lex:ad")
        warned[i] = "warns:" + cue
    return warned
