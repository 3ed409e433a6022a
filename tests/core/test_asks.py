"""Question cues (lexicons/asks.tsv): asks count as question evidence, rhetorical
forms without an ask do not (roomwatch.core.asks, used by Classifier)."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.asks import AskCues
from roomwatch.core.classify import _ASK_MIN_PROB, LABELS
from roomwatch.core.errors import ModelError
from tests.support.verdicts import label_and_reasons as _verdict

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cues() -> AskCues:
    return AskCues.from_file(ROOT / "lexicons" / "asks.tsv")


@pytest.mark.parametrize(
    "text",
    ["这首歌叫什么", "主播身后那个人是谁", "背景音乐是啥呀", "求bgm", "请问几点开播",
     "这个多少钱", "这件衣服怎么买", "你是怎么做到的", "红色还是蓝色?", "点歌 晴天",
     "这是什么游戏", "出现过哪些番", "这个人是做啥的", "为什么我打不开", "我想知道这是啥"],
)  # fmt: skip
def test_asks_are_found(cues: AskCues, text: str) -> None:
    cue = cues.find(text)
    assert cue.ask is not None and cue.rhetoric is None, (text, cue)


@pytest.mark.parametrize(
    "text",
    ["怎么这么好看", "这么便宜吗", "难道你不知道", "凭什么", "是我吗?", "怎么又输了",
     "不是说好了吗", "他是故意的吧?", "不应该先发货吗", "什么?!", "啥?",
     "这不就是我家楼下吗", "小孩子怎么能熬夜呢",
     "这是你家的猫吗哈哈哈", "你是魔鬼吗(doge)", "这能吃吗(不是)"],
)  # fmt: skip
def test_rhetorical_forms_are_found(cues: AskCues, text: str) -> None:
    cue = cues.find(text)
    assert cue.rhetoric is not None and cue.ask is None, (text, cue)


@pytest.mark.parametrize("text", ["什么?", "没什么", "我也不知道是谁", "不知道什么时候", "哈哈哈"])
def test_no_ask_in_bare_or_negated_wh_words(cues: AskCues, text: str) -> None:
    assert cues.find(text).ask is None, text


def test_bad_cue_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "asks.tsv"
    path.write_text("maybe\t谁\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"asks\.tsv:1"):
        AskCues.from_file(path)
    path.write_text("ask\t(谁\n", encoding="utf-8")
    with pytest.raises(ModelError, match="bad ask cue"):
        AskCues.from_file(path)


def test_rhetorical_question_is_chatter(analyzer: Analyzer) -> None:
    label, reasons = _verdict(analyzer, "这么便宜吗？")
    assert label == "chatter", reasons
    assert "rhetoric:这么便宜吗?" in reasons


def test_ask_without_a_lexicon_cue_is_a_question(analyzer: Analyzer) -> None:
    label, reasons = _verdict(analyzer, "这是什么游戏")
    assert label == "question", reasons
    assert "ask:是什么" in reasons


def test_particle_only_question_needs_confidence(analyzer: Analyzer) -> None:
    # Only 吗 and ? speak for a question, and the model is unsure: chatter.
    label, reasons = _verdict(analyzer, "他哭了吗？")
    assert label == "chatter", reasons
    assert "weak:question" in reasons
    # A buyer question has its own cue and stays a question.
    for text in ("有货吗", "包邮吗？", "几号链接？"):
        assert _verdict(analyzer, text)[0] == "question", text


def test_oh_my_is_not_an_ask(cues: AskCues) -> None:
    assert cues.find("天哪?").ask is None


def test_sure_ask_is_a_question_whatever_the_model_says(analyzer: Analyzer) -> None:
    label, reasons = _verdict(analyzer, "这首歌叫什么")
    assert label == "question", reasons
    assert "ask:叫什么" in reasons


@pytest.mark.parametrize(
    ("text", "ask"),
    [("求此处bgm", "求此处bgm"), ("求这里的背景音乐", "求这里的背景音乐"),
     ("求片尾的歌", "求片尾的歌"), ("为什么我这音画不同步", "为什么我这音画不同步"),
     ("怎么我没声音", "怎么我没声音"),
     ("不懂就问,这个能退吗", "不懂就问,"), ("弱弱问一句几点开播", "弱弱问")],
)  # fmt: skip
def test_stop_20_sure_asks(cues: AskCues, text: str, ask: str) -> None:
    # The guide's 求X requests with where the thing is, playback help, ask openers.
    cue = cues.find(text)
    assert cue.ask == ask and cue.sure, (text, cue)


@pytest.mark.parametrize(
    "text",
    ["求你别唱这首歌了", "求生的歌", "求求了", "我就问一句你礼貌吗", "按要求的地址寄过去了",
     "求这首歌别停", "这是小白问题", "不懂就问是好习惯", "为啥我一看你就卡住",
     "为什么我的心里没声音"],
)  # fmt: skip
def test_stop_20_sure_asks_leave_pleas_alone(cues: AskCues, text: str) -> None:
    assert not cues.find(text).sure, text


def test_sure_cue_needs_its_trigger_characters(tmp_path: Path) -> None:
    path = tmp_path / "asks.tsv"
    path.write_text("sure\t求bgm\n", encoding="utf-8")
    with pytest.raises(ModelError, match="chars"):
        AskCues.from_file(path)
    path.write_text("sure\t求bgm\t求\n", encoding="utf-8")
    cue = AskCues.from_file(path).find("求bgm")
    assert cue.ask == "求bgm" and cue.sure


@pytest.mark.parametrize("text", ["1号价格？", "包邮不？？", "多久发货?", "能不能加个微辣?[呲牙]"])
def test_short_commerce_asks_stay_questions(analyzer: Analyzer, text: str) -> None:
    # Bare-noun and emote-tailed asks are how buyers type: no rhetorical cue
    # (a lone word with ？, a laughing tail) may take them off the host's queue.
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons
    assert not any(r.startswith("rhetoric:") for r in reasons), reasons


@pytest.mark.parametrize(
    "text", ["主播在吗", "还有人吗?", "是吗?", "推我干嘛?", "前几个版本", "好几天没更新"]
)
def test_roll_calls_backchannels_and_indefinite_ji_are_no_asks(cues: AskCues, text: str) -> None:
    # The guide's roll-calls (有人吗), a bare 是吗 ("really?"), 干嘛 closing a
    # protest, and 几 meaning "a few" expect no answer.
    cue = cues.find(text)
    assert cue.rhetoric is not None and cue.ask is None, (text, cue)


def test_a_lone_word_with_a_question_mark_is_chatter(analyzer: Analyzer) -> None:
    # The model reads 嘛? as a question; a lone noun with ？ is an echo (guide).
    label, reasons = _verdict(analyzer, "红烧肉嘛？")
    assert label == "chatter", reasons
    assert "weak:question" in reasons


@pytest.mark.parametrize(
    "text", ["这件什么面料", "什么材质的", "发什么快递呀", "纯棉的吗？", "没货了？"]
)
def test_stop_26_buyer_topics_are_asks(analyzer: Analyzer, text: str) -> None:
    # A blind-written live-room probe's missed asks: the material, the courier,
    # the stock (lexicons/asks.tsv's wh-word + noun line and buyer-topic anchors).
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons


@pytest.mark.parametrize("text", ["尺码？", "发货？", "这个几号链接"])
def test_lone_buyer_topics_stay_questions(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons


@pytest.mark.parametrize(
    ("text", "musing"), [("为什么选这个角色", True), ("为啥大家都穿红衣服", True),
                         ("为什么你的是新款", False), ("为什么啊", False)],
)  # fmt: skip
def test_why_musings_are_rhetoric_but_why_to_someone_is_not(
    cues: AskCues, text: str, musing: bool
) -> None:
    # The guide: "why" about a choice in the video is musing; "why" put to
    # someone (为什么你…) or a bare 为什么啊 in a conversation asks.
    assert (cues.find(text).rhetoric is not None) is musing, text


@pytest.mark.parametrize("text", ["换发型了吗？", "下雪了吗？", "赢了吗？", "感冒了吗？"])
def test_a_bare_yes_no_remark_without_an_anchor_is_chatter(analyzer: Analyzer, text: str) -> None:
    # The model is fairly sure of these (0.7-0.93 before the anchor rule), but
    # nothing in them is directed at anyone or asks about a thing a person in
    # the room answers: the guide's "a guess or remark about what is on
    # screen (下雨了？)" is chatter.
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", reasons
    assert "weak:question" in reasons


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        ("直播有回放吗", "to:有回放吗"),
        ("下周还更新吗", "ask:下周还更新吗"),
        ("有大码吗", "to:有大码吗"),
    ],
)
def test_an_anchored_yes_no_question_stays_a_question(
    analyzer: Analyzer, text: str, anchor: str
) -> None:
    # The guide's own yes/no asks: the anchor (the show, a buyer topic) shows in
    # reasons; whether the show goes on is an ask of its own since stop 16.
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons
    assert anchor in reasons, reasons


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        # (A whole-comment shipping ask is a sure one since stop 23: 新疆发吗 too.)
        ("发新疆吗", "ask:发新疆吗"),
        ("寄新疆吗", "ask:寄新疆吗"),
        ("发西藏吗", "ask:发西藏吗"),
        ("新疆发吗", "ask:新疆发吗"),
        ("邮海南吗？", "to:邮海南"),
        ("能寄国外吗", None),
    ],
)
def test_an_ask_where_the_goods_can_go_is_a_question(
    analyzer: Analyzer, text: str, anchor: str | None
) -> None:
    # The 发新疆吗 (one item with 新疆能发货吗 and 新疆发货吗 in the host's
    # queue) was a bare yes/no remark to the classifier, so it never reached
    # the queue: 发/寄/邮 and a destination anchor it.
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons
    assert anchor is None or anchor in reasons, reasons


@pytest.mark.parametrize(
    "text",
    [
        "发疯吗",
        "发财了吗",
        "去新疆吗",
        # (the adversarial review's: 出发, and asks echoed with their answer)
        "出发到上海了吗",
        "回楼上 发新疆吗 发的",
        "别问发新疆吗了 公告写着呢",
        "发美国吗 给特朗普寄点",
    ],
)
def test_other_fa_and_place_remarks_are_no_shipping_asks(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", reasons


@pytest.mark.parametrize("text", ["这是主播的猫吗？", "这把枪是新出的吗", "包不包邮", "甜不甜",
                                  "有没有大码", "是哪一集", "能不能出个教程"])  # fmt: skip
def test_the_guides_question_forms_are_asks(analyzer: Analyzer, text: str) -> None:
    # Identifying a thing pointed at, A-not-A, "which one", a "能不能" request.
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons
    assert any(r.startswith("ask:") for r in reasons), reasons


@pytest.mark.parametrize("text", ["有没有人", "有没有2021年还在看的", "这不是上一期那个人吗"])
def test_roll_calls_and_pointing_out_are_not_identification_asks(
    analyzer: Analyzer, text: str
) -> None:
    assert _verdict(analyzer, text)[0] == "chatter", text


def test_anchor_lines_are_read(tmp_path: Path) -> None:
    path = tmp_path / "asks.tsv"
    path.write_text("anchor\t主播\n", encoding="utf-8")
    cues = AskCues.from_file(path)
    assert cues.has_anchors
    assert cues.anchor("主播吃了吗") == "主播"
    assert cues.anchor("吃了吗") is None
    assert not AskCues.empty().has_anchors


def test_asks_only_skips_rhetoric_without_an_ask(cues: AskCues) -> None:
    # The classifier's chatter rows only need rhetoric next to an ask.
    assert cues.find("这么便宜吗").rhetoric is not None
    assert cues.find("这么便宜吗", asks_only=True).rhetoric is None
    both = cues.find("这个多少钱哈哈哈", asks_only=True)
    assert both.ask is not None and both.rhetoric is not None


def test_a_backreference_keeps_its_meaning_whatever_lines_come_before() -> None:
    # The lines of a kind are joined into one pattern; a line's \1 is its own
    # first group only if it is renumbered past the groups before it.
    a_not_a = r"[不没唔](?<=([^\s是一有])[不没唔])\1"
    alone = AskCues([a_not_a], []).find("包不包邮")
    behind = AskCues([r"(链接)几号", r"(\d+)(号)", a_not_a], []).find("包不包邮")
    assert alone.ask == behind.ask == "不包"
    # An escaped backslash before a digit is not a backreference.
    assert AskCues([r"(x)", r"a\\1"], []).find(r"a\1").ask == r"a\1"


def _question_prob(analyzer: Analyzer, text: str) -> float:
    normalized = analyzer.normalizer.normalize_batch([text])
    tokens = analyzer.segmenter.cut_batch([normalized[0].text])
    probs, _, _, _ = analyzer.classifier.scores_matrix(normalized, tokens)
    return float(probs[0, LABELS.index("question")])


def test_an_ask_counts_from_the_stop_16_gate(analyzer: Analyzer) -> None:
    # The ask gate went from 0.1 to 0.05 in stop 16 (chosen on the pooled real-
    # traffic tune split, bench/realtraffic_knobs.py). A licensed sample ask
    # (tests/data/real_text_sample.jsonl) that the model scores between the two
    # is a question now; at the old gate it was chatter.
    text = "面包哪家的想去"
    assert _ASK_MIN_PROB <= _question_prob(analyzer, text) < 0.1
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons
    assert "ask:哪家" in reasons


def test_the_gate_stays_above_stop_15s_review_case(analyzer: Analyzer) -> None:
    # Stop 15's lower gate (0.02) made this remark a question ("什么东西" is an ask
    # cue); the model gives it about 0.02, under the gate.
    assert _question_prob(analyzer, "也没什么东西") < _ASK_MIN_PROB
    assert _verdict(analyzer, "也没什么东西")[0] == "chatter"


@pytest.mark.parametrize("text", ["老板：有现货吗？", "这个会不会是假货？", "这个多少？"])
def test_stop_15s_live_commerce_asks_stay_questions(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons


@pytest.mark.parametrize(
    "text",
    [
        "主播像条狗？",
        "主播你是猪吗",
        "主播下播吧",
        "你们河南人是不是都爱偷井盖",
        "这助理是狗吧，恶心??",
        # Insults, threats and harassment that come with an ask, some of them
        # with a price or a time (stop 16's review of rules it then reverted):
        # the lexicons do not name all of these (狗叫, 勾引, 一晚, 死).
        "主播狗叫什么，恶心",
        "老板，私下加钱能不能看！",
        "主播穿这么少是想勾引谁",
        "主播胸多大",
        "主播多少钱一晚",
        "主播什么时候死",
        "主播几点下播，陪我睡觉",
        "主播几点下播，小心点",
        "主播几点下播🖕",
        "主播还有脸播吗",
        # Lexicon terms added for these in stop 16 (they were questions before).
        "主播陪睡多少钱",
        "主播有没有陪睡服务",
        "老板什么时候发货啊憨批",
    ],
)
def test_an_insult_with_a_question_form_stays_abuse(analyzer: Analyzer, text: str) -> None:
    # An ask in the comment does not lift an abuse verdict: what else it says
    # (像条狗, 你, 河南人, 一晚, 死) is the moderator's to judge, not the host's.
    assert _verdict(analyzer, text)[0] == "abuse"


@pytest.mark.parametrize("text", ["omg 有没有同学", "有没有老乡~", "瞧不起谁呢"])
def test_roll_calls_for_people_and_retorts_are_not_questions(
    analyzer: Analyzer, cues: AskCues, text: str
) -> None:
    assert cues.find(text).rhetoric is not None
    assert _verdict(analyzer, text)[0] != "question"


def test_an_ask_to_someone_among_the_viewers_stays_an_ask(analyzer: Analyzer) -> None:
    assert _verdict(analyzer, "有没有姐妹用过这个")[0] == "question"


@pytest.mark.parametrize(
    "text",
    [
        "明天还播吗？",
        "今晚直播吗",
        "姐姐明天还播吗",
        "主播明天还播吗",
        "主播几点下播",
        "主播今天几点下播",
    ],
)
def test_whether_the_show_goes_on_is_an_ask(analyzer: Analyzer, text: str) -> None:
    # The guide's "主播明天还播吗" → question: an ask cue of its own (stop 16).
    # To the host the model reads abuse in 主播 and 下播 (target:主播, 0.8-0.9);
    # a comment that is nothing but this ask is a question all the same.
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons
    assert any(r.startswith("ask:") for r in reasons), reasons
    assert not any(r.startswith(("target:", "weak:")) for r in reasons), reasons


@pytest.mark.parametrize("text", ["主播还有脸播吗", "主播还敢播吗"])
def test_a_taunt_about_the_show_is_no_show_ask(cues: AskCues, text: str) -> None:
    assert cues.find(text).ask is None


def test_a_product_named_like_a_harassment_term_stays_a_buyer_ask(analyzer: Analyzer) -> None:
    # lexicons/terms/allow.txt: 陪睡娃娃 (a plush toy) is no 陪睡.
    label, reasons = _verdict(analyzer, "这个陪睡娃娃多少钱")
    assert label == "question", reasons
    assert not any(r.startswith("lexicon:sexual") for r in reasons), reasons


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        ("下集什么时候更新", "什么时候更新"),
        ("什么时候发货呀", "什么时候发货"),
        ("啥时候才开抢", "啥时候才开抢"),
        ("福袋什么时候开", "福袋什么时候"),
        ("我的手机进水了怎么办?", "怎么办?"),
        ("会不会坏", "不会"),
        ("能不能包邮", "不能"),
        ("这个怎么看回放", "怎么看"),
    ],
)
def test_stop_21_asks(cues: AskCues, text: str, ask: str) -> None:
    cue = cues.find(text)
    assert cue.ask == ask, (text, cue)


@pytest.mark.parametrize(
    "text",
    [
        # A "when" about a wish or a memory, with no show, goods or addressee:
        "我什么时候才能这么强",
        "我什么时候关注的你",
        # 怎么办 as worry or a "then what about X" retort, not a problem asked about:
        "那他怎么办",
        "这下怎么办",
        "我想想该怎么办",
        "怎么办，好想要",
        # "how come it looks", "how would they know":
        "怎么看着有点胖",
        "他怎么知道的",
        # an exhortation or a guess in A-not-A form:
        "能不能别催了",
        "能不能好好说话",
        "会不会是假的",
    ],
)
def test_stop_21_remarks_are_no_asks(cues: AskCues, text: str) -> None:
    assert cues.find(text).ask is None, (text, cues.find(text))


def test_a_when_question_needs_an_anchor_besides_when(analyzer: Analyzer) -> None:
    # A wish (什么时候才能…) is no ask; the same asked of someone is.
    label, reasons = _verdict(analyzer, "什么时候能瘦下来")
    assert label == "chatter", reasons
    assert "weak:question" in reasons
    label, reasons = _verdict(analyzer, "什么时候能见到你们")
    assert label == "question", reasons
    assert "to:你们" in reasons


@pytest.mark.parametrize(
    "text",
    ["怎么会这样", "怎么能忘记", "怎么五个打一个", "怎么才第六", "怎么感觉他瘦了",
     "想吃啥就吃啥", "要啥有啥", "至少几个亿", "报了几个班"],
)  # fmt: skip
def test_stop_21_how_come_free_choice_and_indefinite_forms_are_rhetoric(
    cues: AskCues, text: str
) -> None:
    cue = cues.find(text)
    assert cue.rhetoric is not None and cue.ask is None, (text, cue)


@pytest.mark.parametrize("text", ["怎么会员价没了", "怎么能买到", "怎么才能领券"])
def test_how_to_asks_are_not_how_come(cues: AskCues, text: str) -> None:
    # 怎么会员 is 会员, and a how-to verb after 怎么能/怎么才能 keeps the ask.
    cue = cues.find(text)
    assert cue.ask is not None or cue.rhetoric is None, (text, cue)


def test_a_question_word_is_no_anchor_for_itself(cues: AskCues) -> None:
    assert cues.anchor("他到底去了哪里", besides={"到底"}) is not None  # 哪里 is one
    assert cues.anchor("他到底吃了没", besides={"到底"}) is not None  # so is 吃了没 (A-not-A tail)
    assert cues.anchor("到底", besides={"到底"}) is None
    assert cues.anchor("姑娘,昨晚几点睡的") is not None  # a vocative opening


@pytest.mark.parametrize(
    "text", ["福袋什么时候开", "外套什么时候上", "家人们什么时候抽奖", "快递什么时候到?"]
)
def test_when_asks_about_the_show_and_goods(cues: AskCues, text: str) -> None:
    assert cues.find(text).ask is not None, text


@pytest.mark.parametrize(
    "text",
    ["那我拍错了怎么办", "用了以后过敏怎么办", "主播怎么办我抢不到", "怎么看出是不是新鲜的",
     "能不能不要发中通", "什么时候能收到", "这批货什么时候生产的", "下一场什么时候"],
)  # fmt: skip
def test_stop_21_review_buyer_asks_stay_asks(analyzer: Analyzer, text: str) -> None:
    # An adversarial review's live-room asks that the first stop 21 cues lost.
    label, reasons = _verdict(analyzer, text)
    assert label == "question", (text, reasons)


@pytest.mark.parametrize(
    "text", ["我什么时候才能这么强", "什么时候才能发财", "能不能别剧透", "主播不管什么时候都好看"]
)
def test_stop_21_review_wishes_and_exhortations_are_chatter(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", (text, reasons)


@pytest.mark.parametrize("text", ["谁用谁知道", "猜猜谁有厨师的潜质"])
def test_correlative_who_is_no_sure_ask(cues: AskCues, text: str) -> None:
    assert cues.find(text).ask is None, text


def test_the_liaojie_yixia_meme_is_no_request(cues: AskCues) -> None:
    assert cues.anchor("生酮了解一下?") is None
    assert cues.anchor("麻烦试一下") is not None


@pytest.mark.parametrize("text", ["跪求仙剑系列的歌", "跪求这个壁纸的高清"])
def test_guiqiu_opens_a_request(cues: AskCues, text: str) -> None:
    cue = cues.find(text)
    assert cue.ask is not None and cue.sure, (text, cue)


@pytest.mark.parametrize("text", ["草 为什么!", "说电费的多多少少带点"])
def test_exclaimed_why_and_more_or_less_are_rhetoric(cues: AskCues, text: str) -> None:
    cue = cues.find(text)
    assert cue.ask is None and cue.rhetoric is not None, (text, cue)


def test_years_worth_of_is_no_ask_but_how_many_years_is(cues: AskCues) -> None:
    assert cues.find("多少年的手速").ask is None
    assert cues.find("这酒是多少年的").ask is not None


@pytest.mark.parametrize(
    "text",
    [
        "什么时候抽福袋",
        "什么时候发红包",
        "什么时候秒杀",
        "啥时候便宜",
        "什么时间开奖",
        "手机进水了 怎么办",
    ],
)
def test_a_code_reviews_buyer_asks_stay_asks(cues: AskCues, text: str) -> None:
    assert cues.find(text).ask is not None, text


@pytest.mark.parametrize(
    "text", ["跪求主播别唱歌了", "父亲什么时候回来", "我什么时候上的车", "我什么时候到过北京"]
)
def test_a_code_reviews_pleas_and_memories_are_no_asks(cues: AskCues, text: str) -> None:
    assert cues.find(text).ask is None, text


def test_how_come_with_a_number_reads_the_whole_number(cues: AskCues) -> None:
    assert cues.find("怎么五个打一个").rhetoric is not None
    assert cues.find("怎么12号还没发货").rhetoric is None
