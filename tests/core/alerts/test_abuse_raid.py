"""abuse_raid: many accounts post near-identical abuse or spam."""

from __future__ import annotations

from collections import deque

from roomwatch.core.alerts import (
    AlertConfig,
    AlertManager,
    abuse_raid,
)
from roomwatch.core.alerts.grouping import compact, shingles
from roomwatch.core.alerts.state import (
    MAX_TALLIED_ACCOUNTS,
    MAX_TALLIED_TEXTS,
    RaidGroup,
    sample_of,
)

from .helpers import (
    ROOM,
    T0,
    calm,
    kinds,
    learned_room,
    obs,
    raid,
    run,
)


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


# ----------------------------------------------------------------- the module itself


def test_observe_groups_near_duplicates_and_reports_half_way() -> None:
    cfg = AlertConfig(raid_min_accounts=4)
    room = learned_room()

    def post(text: str, user: str, label: str = "abuse") -> bool:
        room.seen += 1
        o = obs(room.now, text, label=label, sentiment=-0.8, user=user)
        return abuse_raid.observe(cfg, room, o, sample_of(o), True)

    assert post("主播是骗子大家别买", "r1") is False
    assert post("主播是骗子，大家别买!!", "r2") is True  # 2 accounts: half of 4
    assert len(room.groups) == 1 and room.groups[0].abusive == 2
    # Calm chatter joins only a group that already looks like a raid (3+ members).
    assert post("主播是骗子大家别买", "v1", label="chatter") is False
    assert len(room.groups[0].members) == 2
    post("主播是骗子 大家别买", "r3")
    assert post("主播是骗子大家别买", "v1", label="chatter") is True
    assert room.groups[0].abusive == 3 and len(room.groups[0].users) == 4
    # Different text starts a group of its own; chatter never does.
    assert post("加我微信看福利", "s1", label="spam") is False
    assert post("今天天气真好", "v2", label="chatter") is False
    assert len(room.groups) == 2


def test_observe_prefers_the_newest_of_equally_similar_groups() -> None:
    cfg = AlertConfig(raid_max_groups=2)
    room = learned_room()
    for text in ("滚出去啊", "滚出去呀"):
        room.groups.append(RaidGroup(shingles(compact(text)), deque(), room.now))
    # "滚出去吧" shares 滚出/出去 with each (Jaccard 2/4): the newest group takes it.
    o = obs(room.now + 1, "滚出去吧", label="abuse", sentiment=-0.8, user="c")
    abuse_raid.observe(cfg, room, o, sample_of(o), True)
    assert [len(g.members) for g in room.groups] == [0, 1]
    # A text that matches neither evicts the least recent group.
    o = obs(room.now + 2, "加微信", label="spam", sentiment=0.0, user="d")
    abuse_raid.observe(cfg, room, o, sample_of(o), False)
    assert len(room.groups) == 2 and room.groups[0].members[0].user == "c"


def test_an_hour_long_raid_counts_everything_and_keeps_no_per_message_state() -> None:
    # 60 accounts keep posting the same abuse for an hour: one incident whose
    # totals cover every message, while the tally holds counts and accounts,
    # never one entry per message (it used to keep every message's seq, and
    # re-walk and re-sort them on every comment, so a long raid grew memory
    # and cost without bound).
    m = AlertManager()
    start, accounts, period = T0 + 150, 60, 6.0
    texts = ("傻逼主播滚出直播间", "主播傻逼滚出去吧")
    attack = [
        obs(
            start + k * period + a * 0.05,
            texts[(a + k) % 2],
            label="abuse",
            sentiment=-0.9,
            user=f"r{a:02d}",
        )
        for k in range(int(3600 / period))
        for a in range(accounts)
    ]
    events = run(m, calm(T0, T0 + 3900) + attack, T0 + 3900)
    raid_events = [e for e in events if e.alert.detector == "abuse_raid"]
    assert kinds(raid_events)[:1] == ["open"]
    assert {e.alert.id for e in raid_events} == {raid_events[0].alert.id}
    final = raid_events[-1]
    assert final.kind == "resolve"
    assert final.alert.evidence.messages == len(attack)
    assert final.alert.evidence.users == accounts
    assert final.alert.evidence.accounts == tuple(sorted(f"r{a:02d}" for a in range(accounts)))[:50]
    tally = m._rooms[ROOM].raid
    sizes = {
        name: len(value)
        for name in tally.__slots__
        if hasattr(value := getattr(tally, name), "__len__") and not isinstance(value, str)
    }
    assert max(sizes.values()) <= accounts, sizes


def test_a_raid_of_endless_new_accounts_keeps_a_bounded_tally() -> None:
    # A raid that new accounts keep joining (the soak: abuse from thousands of
    # accounts in busy rooms for an hour) used to keep every account it had
    # seen. Past MAX_TALLIED_ACCOUNTS the alert says "1000+" and the tally
    # stops growing; its top terms are bounded the same way.
    m = AlertManager()
    start, burst = T0 + 150, 12
    attack = [
        obs(
            start + k * 2.0 + a * 0.05,
            f"傻逼主播滚出直播间{k % 400}",
            label="abuse",
            sentiment=-0.9,
            user=f"n{k * burst + a:05d}",
        )
        for k in range(1500)
        for a in range(burst)
    ]
    events = run(m, calm(T0, T0 + 3400) + attack, T0 + 3400)
    raid_events = [e for e in events if e.alert.detector == "abuse_raid"]
    assert kinds(raid_events)[:1] == ["open"]
    final = raid_events[-1].alert
    assert final.evidence.messages == len(attack)
    assert final.evidence.users == MAX_TALLIED_ACCOUNTS
    assert f"{MAX_TALLIED_ACCOUNTS}+个账号" in final.summary
    tally = m._rooms[ROOM].raid
    assert len(tally.accounts) == MAX_TALLIED_ACCOUNTS
    assert len(tally.texts) <= MAX_TALLIED_TEXTS
