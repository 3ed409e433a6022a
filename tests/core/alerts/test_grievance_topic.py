"""grievance_topic: complaints about one thing gather."""

from __future__ import annotations

import random
from collections import deque

from roomwatch.core.alerts import (
    AlertConfig,
    AlertManager,
    grievance_topic,
)

from .helpers import (
    MOULD,
    T0,
    calm,
    hit,
    kinds,
    learned_room,
    obs,
    run,
    wave,
)


def test_grievance_topic_names_topic_and_explains_negativity() -> None:
    m = AlertManager()
    onset = T0 + 200
    observations = calm(T0, T0 + 400) + wave(
        onset, onset + 60, 1.5, MOULD, label="grievance", sentiment=-0.8, prefix="g"
    )
    events = run(m, observations, T0 + 400)
    opens = [e for e in events if e.kind == "open"]
    # One incident, one alert: the negative share it causes is explained by it.
    assert [e.alert.detector for e in opens] == ["grievance_topic"]
    alert = opens[0].alert
    assert alert.key == "质量问题" and alert.evidence.topic == "质量问题"
    assert opens[0].ts - onset <= 15
    terms = dict(alert.evidence.top_terms)
    assert "发霉" in terms
    assert alert.evidence.users >= 4
    assert all(s.label == "grievance" for s in alert.evidence.samples)
    assert "质量问题" in alert.summary
    assert kinds(events, "grievance_topic").count("resolve") == 1


def test_complaint_wave_without_seed_terms_is_one_alert() -> None:
    # Half the wave names no seed term (escalation threats): while the topic
    # alert is open, those grievances are the wave's, not a mood turn.
    m = AlertManager()
    onset = T0 + 200
    threats = tuple(f"给个说法{i}" for i in range(40))
    observations = (
        calm(T0, T0 + 420)
        + wave(onset, onset + 90, 1.5, MOULD, label="grievance", sentiment=-0.8, prefix="g")
        + wave(onset + 15, onset + 90, 1.5, threats, label="grievance", sentiment=-0.9, prefix="h")
    )
    events = run(m, observations, T0 + 420)
    opens = [e for e in events if e.kind == "open"]
    assert [e.alert.detector for e in opens] == ["grievance_topic"]
    assert opens[0].ts - onset <= 15


def test_threats_at_the_start_of_a_complaint_wave_are_left_to_the_topic() -> None:
    # The wave opens with escalation threats (watch terms, no seed term)
    # mixed with complaints whose seed terms split across topics: neither
    # the watch list nor the negative spike gets there first.
    m = AlertManager()
    onset = T0 + 200
    threats = ("我要打12315投诉", "大家一起维权", "找媒体曝光", "要曝光你们", "这就去投诉")
    first = [
        obs(onset + 0.5, "发霉的苹果 要求退款", label="grievance", sentiment=-0.9, user="a1"),
        obs(onset + 1.0, "果子都烂了 退款", label="grievance", sentiment=-0.9, user="a2"),
        obs(onset + 1.5, "烂果 太多", label="grievance", sentiment=-0.9, user="a3"),
    ]
    observations = (
        calm(T0, T0 + 420)
        + first
        + wave(onset + 1, onset + 30, 0.8, threats, label="grievance", sentiment=-0.9, prefix="t")
        + wave(onset + 8, onset + 90, 0.8, MOULD, label="grievance", sentiment=-0.8, prefix="g")
    )
    events = run(m, observations, T0 + 420)
    opens = [e for e in events if e.kind == "open"]
    assert [e.alert.detector for e in opens] == ["grievance_topic"]
    assert opens[0].ts - onset <= 15


def test_worried_questions_naming_a_seed_term_count_towards_the_topic() -> None:
    m = AlertManager()
    onset = T0 + 200
    worried = ("是不是有 防腐剂", "吃完 拉肚子 怎么办", "孩子 过敏 了 咋办")
    observations = calm(T0, T0 + 400) + wave(
        onset, onset + 60, 1.0, worried, label="question", sentiment=-0.8, prefix="q"
    )
    events = run(m, observations, T0 + 400)
    opens = [e for e in events if e.kind == "open"]
    assert [(e.alert.detector, e.alert.key) for e in opens] == [("grievance_topic", "食品安全")]
    # Calm questions naming a seed term ("发什么 快递") are not complaints.
    asks = wave(
        onset, onset + 60, 1.0, ("发什么 快递",), label="question", sentiment=0.0, prefix="k"
    )
    assert run(AlertManager(), calm(T0, T0 + 400) + asks, T0 + 400) == []


def test_grievance_topic_quiet_for_scattered_complaints() -> None:
    m = AlertManager()
    rng = random.Random(5)
    scattered = [
        obs(
            T0 + 100 + 12 * i,
            rng.choice(("快递 有点 慢", "上次 有个 坏了", "客服 回复 慢")),
            label="grievance",
            sentiment=-0.5,
            user=f"g{i}",
        )
        for i in range(30)
    ]
    assert run(m, calm(T0, T0 + 500) + scattered, T0 + 500) == []


def test_grievance_cluster_for_topic_not_in_lexicon() -> None:
    m = AlertManager()
    onset = T0 + 200
    texts = ("抽奖 黑幕 内定", "抽奖 是 内定 的吧", "黑幕 抽奖 假的", "内定 抽奖 坑人")
    observations = calm(T0, T0 + 300) + wave(
        onset, onset + 40, 1.5, texts, label="grievance", sentiment=-0.6, prefix="k"
    )
    events = run(m, observations, T0 + 300)
    opens = [e for e in events if e.kind == "open"]
    assert [e.alert.detector for e in opens] == ["grievance_topic"]
    topic = opens[0].alert.evidence.topic
    assert topic is not None and "抽奖" in topic


# ----------------------------------------------------------------- the module itself


def test_seed_terms_come_longest_first_from_the_lexicon() -> None:
    pairs = grievance_topic.seed_terms(AlertConfig())
    assert [len(t) for t, _ in pairs] == sorted((len(t) for t, _ in pairs), reverse=True)
    assert ("发霉", "质量问题") in pairs and ("仅退款", "退款售后") in pairs
    assert grievance_topic.seed_terms(AlertConfig(topic_seeds={"x": ("ab", "abc")})) == (
        ("abc", "x"),
        ("ab", "x"),
    )


def test_topic_of_seeds_sticky_viewers_and_clusters() -> None:
    cfg = AlertConfig()
    seeds = grievance_topic.seed_terms(cfg)
    room = learned_room()

    def topic(
        text: str, label: str = "grievance", sentiment: float = -0.8, user: str = "a"
    ) -> str | None:
        o = obs(room.now, text, label=label, sentiment=sentiment, user=user)
        return grievance_topic.topic_of(cfg, seeds, room, o, sentiment <= cfg.negative_sentiment)

    # Most seed hits wins; an unhappy question naming a seed term counts.
    assert topic("苹果发霉了 还有虫子 要退款") == "质量问题"
    assert topic("是不是有 防腐剂", label="question") == "食品安全"
    # A calm question naming a seed term is no complaint, nor is chatter.
    assert topic("发什么 快递", label="question", sentiment=0.0) is None
    assert topic("主播 好看", label="chatter") is None
    # A viewer who just complained stays on the topic.
    room.topics["质量问题"] = deque([hit(room.now, "a", "发霉了", topic="质量问题")])
    room.user_topic["a"] = ("质量问题", room.now)
    assert topic("我要 打电话 说理") == "质量问题"
    # Others start an incremental cluster that the next similar grievance joins.
    first = topic("抽奖 黑幕 内定", user="b")
    assert first is not None and first.startswith("c")
    assert topic("抽奖 内定 坑人", user="c") == first
    assert topic("客服 电话 打不通", user="d") not in (None, first)
    assert grievance_topic.topic_name(room, first) == "抽奖/内定"
    assert grievance_topic.topic_name(room, "质量问题") == "质量问题"
