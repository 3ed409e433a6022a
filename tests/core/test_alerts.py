"""Alert detectors and lifecycle: plain synchronous tests, record time only."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterable

import pytest

from roomwatch.core.alerts import (
    Alert,
    AlertConfig,
    AlertError,
    AlertEvent,
    AlertManager,
    Observation,
    severity_at_least,
)
from roomwatch.core.record import Comment, User
from roomwatch.errors import ConfigError, RoomwatchError

T0 = 1_764_115_200.0
ROOM = "county-apples-1126"

HAPPY = (
    "主播好",
    "支持助农",
    "苹果好甜",
    "已下单",
    "好吃不贵",
    "来了来了",
    "多少钱一箱",
    "几号链接",
)
MILD = ("有点贵", "网卡了")


def obs(
    ts: float,
    text: str,
    *,
    label: str = "chatter",
    sentiment: float = 0.5,
    user: str = "u1",
    room: str = ROOM,
    tokens: tuple[str, ...] | None = None,
) -> Observation:
    comment = Comment(room=room, text=text, ts=ts, user=User(id=user, name=f"名{user}"))
    return Observation(
        comment, label, sentiment, text, tokens if tokens is not None else tuple(text.split())
    )


def calm(
    start: float,
    end: float,
    *,
    rate: float = 2.0,
    seed: int = 1,
    room: str = ROOM,
    negative_share: float = 0.05,
) -> list[Observation]:
    rng = random.Random(seed)
    out = []
    t = start + rng.expovariate(rate)
    while t < end:
        if rng.random() < negative_share:
            out.append(
                obs(t, rng.choice(MILD), sentiment=-0.4, user=f"u{rng.randint(1, 300)}", room=room)
            )
        else:
            out.append(
                obs(t, rng.choice(HAPPY), sentiment=0.6, user=f"u{rng.randint(1, 300)}", room=room)
            )
        t += rng.expovariate(rate)
    return out


def run(
    manager: AlertManager, observations: Iterable[Observation], until: float, start: float = T0
) -> list[AlertEvent]:
    """Feed observations in ts order, ticking every whole second up to ``until``."""
    events: list[AlertEvent] = []
    next_tick = float(int(start) + 1)
    for o in sorted(observations, key=lambda o: o.comment.ts):
        while next_tick <= o.comment.ts:
            events.extend(manager.tick(next_tick))
            next_tick += 1.0
        events.extend(manager.observe(o))
    while next_tick <= until:
        events.extend(manager.tick(next_tick))
        next_tick += 1.0
    return events


def kinds(events: Iterable[AlertEvent], detector: str | None = None) -> list[str]:
    return [e.kind for e in events if detector is None or e.alert.detector == detector]


def wave(
    start: float,
    end: float,
    rate: float,
    texts: tuple[str, ...],
    *,
    label: str,
    sentiment: float,
    prefix: str,
    seed: int = 2,
    tokens: dict[str, tuple[str, ...]] | None = None,
) -> list[Observation]:
    rng = random.Random(seed)
    out = []
    t = start + rng.expovariate(rate)
    i = 0
    while t < end:
        text = rng.choice(texts)
        toks = tokens.get(text) if tokens else None
        out.append(obs(t, text, label=label, sentiment=sentiment, user=f"{prefix}{i}", tokens=toks))
        i += 1
        t += rng.expovariate(rate)
    return out


# ----------------------------------------------------------------- negative spike

SOUR = (
    "主播态度太差了",
    "这说的什么话",
    "越看越生气",
    "太让人失望了",
    "怎么能这样说",
    "听不下去了",
    "真让人寒心",
    "什么玩意儿",
)


def test_negative_spike_fires_with_evidence() -> None:
    m = AlertManager()
    onset = T0 + 180
    observations = calm(T0, T0 + 300) + wave(
        onset, onset + 60, 2.5, SOUR, label="chatter", sentiment=-0.7, prefix="s"
    )
    events = run(m, observations, T0 + 300)
    opens = [e for e in events if e.kind == "open"]
    assert [e.alert.detector for e in opens] == ["negative_spike"]
    alert = opens[0].alert
    assert opens[0].ts - onset <= 15
    assert alert.evidence.share is not None and alert.evidence.share >= 0.25
    assert alert.evidence.baseline_share is not None and alert.evidence.baseline_share < 0.1
    assert 1 <= len(alert.evidence.samples) <= 5
    assert all(s.sentiment <= -0.3 for s in alert.evidence.samples)
    assert "负面" in alert.summary and ROOM in alert.summary
    assert kinds(events, "negative_spike").count("resolve") == 1


def test_negative_spike_quiet_in_calm_and_happy_flash_sale() -> None:
    m = AlertManager()
    flash = calm(T0 + 200, T0 + 320, rate=8.0, seed=3, negative_share=0.0)
    events = run(m, calm(T0, T0 + 500, seed=4) + flash, T0 + 500)
    assert events == []


def test_negative_spike_quiet_during_warmup() -> None:
    m = AlertManager()
    observations = wave(T0, T0 + 40, 3.0, SOUR, label="chatter", sentiment=-0.8, prefix="s")
    assert run(m, observations, T0 + 40) == []


# ----------------------------------------------------------------- grievance topic

MOULD = ("收到的苹果全 发霉 了", "一箱 烂果 太多", "发霉 了 还 敢卖", "苹果 长毛 了 退款")


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


def test_mood_turn_words_do_not_open_a_topic_cluster() -> None:
    # Some of a mood turn is labelled grievance and shares words ("失望"):
    # that cluster is the negative spike's incident, not a second alert.
    m = AlertManager()
    onset = T0 + 200
    letdown = ("太让人 失望 了", "令人 失望 透顶", "让人 失望 主播")
    toks = {t: tuple(t.split()) for t in letdown}
    observations = (
        calm(T0, T0 + 400)
        + wave(onset, onset + 70, 2.0, SOUR, label="chatter", sentiment=-0.8, prefix="s")
        + wave(
            onset + 5,
            onset + 70,
            0.8,
            letdown,
            label="grievance",
            sentiment=-0.8,
            prefix="l",
            tokens=toks,
        )
    )
    events = run(m, observations, T0 + 400)
    assert [e.alert.detector for e in events if e.kind == "open"] == ["negative_spike"]


def test_share_expectation_scales_the_other_comments_by_the_odds() -> None:
    from roomwatch.core.alerts.baseline import Baseline as _Baseline

    base = _Baseline(300.0)
    for i in range(600):
        base.step({"n": 10, "neg": 2 if i % 2 else 1}, {}, 1)
    share = base.upper("neg", 1.0) / base.mean("n")
    assert 0.1 < share < 0.2
    # 200 other comments in 10 s (a busy stretch): the negatives expected
    # alongside them follow the odds, whatever the negatives themselves are,
    # so a burst of negatives does not raise its own bar.
    assert base.expected("neg", 10, 200, 1.0) == pytest.approx(share / (1 - share) * 200)
    # A quiet stretch falls back on the rate.
    assert base.expected("neg", 10, 5, 1.0) == pytest.approx(base.upper("neg", 1.0) * 10)


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


# ----------------------------------------------------------------- abuse raid

RAID = (
    "主播是骗子大家别买",
    "主播是骗子 大家别买!!",
    "主播是骗子大家别买😡",
    "主播是骗子，大家别买",
)


def raid(
    start: float,
    accounts: int,
    *,
    label: str = "abuse",
    texts: tuple[str, ...] = RAID,
    per_account: int = 3,
    sentiment: float = -0.8,
) -> list[Observation]:
    rng = random.Random(7)
    out = []
    for a in range(accounts):
        first = start + rng.uniform(0, 15)
        for k in range(per_account):
            out.append(
                obs(
                    first + 4 * k, rng.choice(texts), label=label, sentiment=sentiment, user=f"r{a}"
                )
            )
    return out


def test_abuse_raid_one_incident_with_accounts() -> None:
    m = AlertManager()
    onset = T0 + 150
    events = run(m, calm(T0, T0 + 400) + raid(onset, 30), T0 + 400)
    raid_events = [e for e in events if e.alert.detector == "abuse_raid"]
    assert [e.kind for e in events if e.kind == "open"] == ["open"]
    assert raid_events[0].kind == "open" and raid_events[0].ts - onset <= 15
    assert {e.alert.id for e in raid_events} == {raid_events[0].alert.id}
    last = [e for e in raid_events if e.kind != "resolve"][-1].alert
    assert last.severity == "critical"
    assert last.evidence.users == 30 and len(last.evidence.accounts) == 30
    assert last.evidence.messages >= 60
    assert any(e.escalated for e in raid_events if e.kind == "update")
    assert [e.kind for e in raid_events].count("resolve") == 1
    # The resolve event reports the whole raid, not just its last window.
    assert raid_events[-1].kind == "resolve"
    assert raid_events[-1].alert.evidence.messages == 90
    assert "刷屏" in last.summary and "30个账号" in last.summary


def test_happy_chant_and_single_spammer_are_not_a_raid() -> None:
    m = AlertManager()
    chant = raid(T0 + 150, 30, label="chatter", texts=("666666", "好好好好"), sentiment=0.9)
    spammer = [
        obs(T0 + 200 + i, "加我看福利 wx123", label="spam", sentiment=0.0, user="sp")
        for i in range(25)
    ]
    events = run(m, calm(T0, T0 + 300) + chant + spammer, T0 + 300)
    assert [e for e in events if e.alert.detector == "abuse_raid"] == []


def test_repeated_phrase_trickling_in_is_not_a_raid_but_a_burst_is() -> None:
    # Eight viewers of a souring room say the same thing over ~28 s: no raid.
    trickle = [
        obs(T0 + 150 + 4 * i, "滚吧你", label="abuse", sentiment=-0.9, user=f"t{i}")
        for i in range(8)
    ]
    events = run(AlertManager(), calm(T0, T0 + 300) + trickle, T0 + 300)
    assert [e for e in events if e.alert.detector == "abuse_raid"] == []
    # The same eight accounts within a few seconds are one.
    burst = [
        obs(T0 + 150 + 0.5 * i, "滚吧你", label="abuse", sentiment=-0.9, user=f"t{i}")
        for i in range(8)
    ]
    events = run(AlertManager(), calm(T0, T0 + 300) + burst, T0 + 300)
    assert kinds(events, "abuse_raid")[:1] == ["open"]


# ----------------------------------------------------------------- watch list


def test_watchlist_surge_and_per_room_lists() -> None:
    config = AlertConfig(room_watch_terms={"other-room": ("召回",)})
    m = AlertManager(config)
    onset = T0 + 150
    mentions = [
        obs(onset + 2 * i, "我要打12315", label="question", sentiment=0.0, user=f"w{i}")
        for i in range(8)
    ]
    other = calm(T0, T0 + 300, room="other-room", seed=9) + [
        obs(onset + 2 * i, "我要打12315", sentiment=0.0, user=f"x{i}", room="other-room")
        for i in range(8)
    ]
    events = run(m, calm(T0, T0 + 300) + mentions + other, T0 + 300)
    opens = [e for e in events if e.kind == "open"]
    assert [(e.alert.detector, e.alert.room) for e in opens] == [("watchlist", ROOM)]
    assert opens[0].ts - onset <= 15
    assert dict(opens[0].alert.evidence.top_terms) == {"12315": 5}

    m2 = AlertManager(config)
    recall = [
        obs(onset + 2 * i, "这批要召回吗", sentiment=0.0, user=f"x{i}", room="other-room")
        for i in range(8)
    ]
    events = run(m2, calm(T0, T0 + 300, room="other-room") + recall, T0 + 300)
    assert [e.alert.detector for e in events if e.kind == "open"] == ["watchlist"]


def test_watchlist_quiet_at_background_rate() -> None:
    m = AlertManager()
    mentions = [
        obs(T0 + 100 + 30 * i, "投诉有用吗", sentiment=0.0, user=f"w{i}") for i in range(12)
    ]
    assert run(m, calm(T0, T0 + 500) + mentions, T0 + 500) == []


# ----------------------------------------------------------------- volume


def test_feed_outage_detected_by_tick_and_resolved_once() -> None:
    m = AlertManager()
    before = calm(T0, T0 + 200)
    after = calm(T0 + 260, T0 + 400, seed=8)
    events = run(m, before + after, T0 + 400)
    assert kinds(events) == ["open", "update", "resolve"]
    opened, escalated, resolved = events
    assert opened.alert.detector == "volume_drop"
    silence_start = before[-1].comment.ts
    assert opened.ts - silence_start <= 15
    assert escalated.escalated and escalated.alert.severity == "critical"
    assert resolved.ts == after[0].comment.ts
    assert resolved.alert.id == opened.alert.id and resolved.alert.state == "resolved"


def test_feed_outage_does_not_teach_the_baselines_a_quiet_room() -> None:
    # A dead feed is no evidence about what viewers think: while it is down,
    # the negative share (and every other count) keeps its baseline, so the
    # first ordinary minute after it does not look like a mood turn.
    m = AlertManager()
    run(m, calm(T0, T0 + 300, negative_share=0.1, seed=5), T0 + 300)
    base = m._rooms[ROOM].baseline
    before = base.mean("neg") / base.mean("n")
    events = run(m, [], T0 + 420, start=T0 + 300)
    assert kinds(events, "volume_drop")[:1] == ["open"]
    after = base.mean("neg") / base.mean("n")
    assert after == pytest.approx(before, rel=0.05)


def test_no_outage_for_quiet_rooms_or_during_warmup() -> None:
    m = AlertManager()
    sparse = calm(T0, T0 + 600, rate=0.05)
    early = calm(T0 + 1000, T0 + 1020, room="new-room")
    assert run(m, sparse + early, T0 + 1100) == []


def test_volume_surge_only_info_and_not_for_flash_sale() -> None:
    m = AlertManager()
    flash = calm(T0 + 200, T0 + 300, rate=10.0, seed=3, negative_share=0.0)  # x5
    assert run(m, calm(T0, T0 + 400) + flash, T0 + 400) == []

    m = AlertManager()
    flood = calm(T0 + 200, T0 + 260, rate=30.0, seed=3, negative_share=0.0)  # x15
    events = run(m, calm(T0, T0 + 400) + flood, T0 + 400)
    seen = kinds(events)
    assert seen[0] == "open" and seen[-1] == "resolve"
    assert seen.count("open") == 1 and seen.count("resolve") == 1
    assert {(e.alert.detector, e.alert.severity) for e in events} == {("volume_surge", "info")}


# ----------------------------------------------------------------- lifecycle


#: One continuous calm background, cut into pieces by :func:`bg`.
BACKGROUND = calm(T0, T0 + 1200, seed=21)


def bg(start: float, end: float) -> list[Observation]:
    return [o for o in BACKGROUND if start < o.comment.ts <= end]


def _raid_manager(**overrides: object) -> tuple[AlertManager, list[AlertEvent]]:
    m = AlertManager(AlertConfig(**overrides))  # type: ignore[arg-type]
    return m, run(m, bg(T0, T0 + 140), T0 + 140)


def test_lifecycle_open_update_escalate_resolve_cooldown() -> None:
    m, events = _raid_manager(cooldown_seconds=120.0)
    assert events == []
    first = run(
        m, bg(T0 + 140, T0 + 170) + raid(T0 + 150, 9, per_account=1), T0 + 170, start=T0 + 140
    )
    assert kinds(first) == ["open"]
    alert_id = first[0].alert.id
    assert first[0].alert.severity == "warning" and first[0].alert.state == "open"

    grown = run(
        m, bg(T0 + 170, T0 + 200) + raid(T0 + 171, 25, per_account=2), T0 + 200, start=T0 + 170
    )
    assert "open" not in kinds(grown)
    updates = [e for e in grown if e.kind == "update"]
    assert updates and {e.alert.id for e in updates} == {alert_id}
    escalations = [e for e in updates if e.escalated]
    assert len(escalations) == 1 and escalations[0].alert.severity == "critical"
    # Updates are rate limited: no flood of pushes for one incident.
    assert len(updates) <= 4

    quiet = run(m, bg(T0 + 200, T0 + 300), T0 + 300, start=T0 + 200)
    assert kinds(quiet) == ["resolve"]
    assert quiet[0].alert.id == alert_id and quiet[0].alert.resolved_at is not None
    assert m.open_alerts() == []

    # A new raid inside the cooldown does not open; after it, it opens afresh.
    resolved_at = quiet[0].ts
    again = run(
        m,
        bg(T0 + 300, resolved_at + 60) + raid(resolved_at + 20, 12, per_account=2),
        resolved_at + 60,
        start=T0 + 300,
    )
    assert "open" not in kinds(again)
    later = run(
        m,
        bg(resolved_at + 60, resolved_at + 240) + raid(resolved_at + 200, 12, per_account=2),
        resolved_at + 240,
        start=resolved_at + 60,
    )
    opened = [e for e in later if e.kind == "open"]
    assert len(opened) == 1 and opened[0].alert.id != alert_id


def test_acknowledge_emits_event_and_audit() -> None:
    m, _ = _raid_manager()
    events = run(m, bg(T0 + 140, T0 + 170) + raid(T0 + 150, 12), T0 + 170, start=T0 + 140)
    alert_id = events[0].alert.id
    event, audit = m.acknowledge(alert_id, "comms-1", T0 + 171)
    assert event.kind == "ack" and event.actor == "comms-1"
    assert event.alert.state == "acknowledged" and event.alert.acked_by == "comms-1"
    assert audit.to_dict() == {
        "action": "ack",
        "alert_id": alert_id,
        "room": ROOM,
        "actor": "comms-1",
        "ts": T0 + 171,
    }
    assert event.to_dict()["actor"] == "comms-1"
    rest = run(m, bg(T0 + 170, T0 + 300), T0 + 300, start=T0 + 170)
    resolved = [e for e in rest if e.kind == "resolve"]
    assert len(resolved) == 1 and resolved[0].alert.acked_by == "comms-1"
    # Resolved alerts can still be acknowledged after the fact; unknown ids cannot.
    assert m.acknowledge(alert_id, "comms-2", T0 + 301)[0].alert.state == "resolved"
    with pytest.raises(AlertError):
        m.acknowledge("al-nope", "comms-1", T0 + 301)
    with pytest.raises(RoomwatchError):
        m.acknowledge(alert_id, "  ", T0 + 301)


def test_restore_keeps_open_alerts_across_restart() -> None:
    m, _ = _raid_manager()
    events = run(
        m, bg(T0 + 140, T0 + 165) + raid(T0 + 150, 12, per_account=4), T0 + 165, start=T0 + 140
    )
    assert kinds(events)[0] == "open"
    persisted = json.loads(json.dumps([a.to_dict() for a in m.open_alerts()]))
    alert_id = persisted[0]["id"]

    # Restart while the raid goes on: the incident is updated, never re-opened.
    m2 = AlertManager()
    m2.restore(persisted)
    assert [a.id for a in m2.open_alerts()] == [alert_id]
    assert m2.open_alerts()[0] == Alert.from_dict(persisted[0])
    more = run(
        m2, bg(T0 + 165, T0 + 200) + raid(T0 + 166, 30, per_account=2), T0 + 200, start=T0 + 165
    )
    assert "open" not in kinds(more)
    assert {e.alert.id for e in more} == {alert_id}
    assert any(e.escalated for e in more)
    # And it resolves exactly once when it is over.
    rest = run(m2, bg(T0 + 200, T0 + 320), T0 + 320, start=T0 + 200)
    assert kinds(rest) == ["resolve"] and rest[0].alert.id == alert_id

    # A restored incident that ended during the restart resolves after the hold.
    m3 = AlertManager()
    m3.restore([Alert.from_dict(persisted[0])])
    done = run(m3, bg(T0 + 400, T0 + 460), T0 + 460, start=T0 + 400)
    assert kinds(done) == ["resolve"]
    with pytest.raises(AlertError):
        m3.restore([{"id": "x"}])


def test_events_are_json_and_ids_deterministic() -> None:
    observations = calm(T0, T0 + 300) + raid(T0 + 150, 30)
    a = run(AlertManager(), observations, T0 + 300)
    b = run(AlertManager(), observations, T0 + 300)
    assert [e.to_dict() for e in a] == [e.to_dict() for e in b]
    payload = json.loads(json.dumps([e.to_dict() for e in a], ensure_ascii=False))
    assert payload[0]["type"] == "open"
    assert set(payload[0]["alert"]) >= {
        "id",
        "severity",
        "room",
        "detector",
        "started_at",
        "summary",
        "evidence",
        "state",
    }
    sample = payload[0]["alert"]["evidence"]["samples"][0]
    assert set(sample) == {"text", "user", "label", "sentiment", "ts"}


def test_config_is_validated_and_frozen() -> None:
    config = AlertConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.window_seconds = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.topic_seeds["x"] = ("y",)  # type: ignore[index]
    for bad in (
        {"window_seconds": 0},
        {"negative_share_margin": 2.0},
        {"raid_min_accounts": 0},
        {"negative_sentiment": -3},
    ):
        with pytest.raises(ConfigError):
            AlertConfig(**bad)  # type: ignore[arg-type]
    assert config.watch_terms_for("any") == ("12315", "曝光", "维权", "投诉", "食品安全", "过敏")
    with pytest.raises(AlertError):
        obs(T0, "x", label="praise")
    assert severity_at_least("critical", "warning") and not severity_at_least("info", "warning")


def test_config_from_toml_table() -> None:
    config = AlertConfig.from_mapping(
        {
            "window_seconds": 30,
            "raid_min_accounts": 10,
            "watch_terms": ["12315", "召回"],
            "room_watch_terms": {"county-apples-1126": ["发霉"]},
            "topic_seeds": {"物流": ["快递", "没发货"]},
        }
    )
    assert config.window_seconds == 30.0 and isinstance(config.window_seconds, float)
    assert config.raid_min_accounts == 10
    assert config.watch_terms_for("x") == ("12315", "召回")
    assert config.watch_terms_for("county-apples-1126") == ("发霉",)
    assert dict(config.topic_seeds) == {"物流": ("快递", "没发货")}
    for bad in (
        {"window": 3},
        {"raid_min_accounts": 2.5},
        {"window_seconds": "20"},
        {"watch_terms": "12315"},
        {"room_watch_terms": ["x"]},
        {"negative_min_count": True},
    ):
        with pytest.raises(ConfigError):
            AlertConfig.from_mapping(bad)


def test_likes_and_gifts_keep_the_feed_alive_but_are_not_opinions() -> None:
    m = AlertManager()
    before = calm(T0, T0 + 200)
    likes = [
        Observation(Comment(room=ROOM, text="", ts=T0 + 200 + i, kind="like"), "chatter", 0.0, "")
        for i in range(60)
    ]
    events = run(m, before + likes, T0 + 262)
    assert events == []  # no outage while likes arrive
    later = run(m, [], T0 + 290, start=T0 + 262)
    assert [(e.kind, e.alert.detector) for e in later] == [("open", "volume_drop")]
