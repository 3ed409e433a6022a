"""``abuse_raid``: many accounts post near-identical abuse or spam.

Comments are grouped by character-bigram Jaccard similarity
(:mod:`roomwatch.core.alerts.grouping`, ``raid_similarity``); a group keeps
the members of the last ``raid_window_seconds``. Abusive or spam comments
may start a group; other comments only join one that already looks like a
raid. A raid fires when a group has ``raid_min_accounts`` accounts and is
mostly abusive, and must open as a burst (its accounts within half the
window), so a phrase many viewers of a souring room repeat is not one. One
alert per room per raid, listing the accounts and message count; its totals
grow for as long as it is open.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Final

from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.grouping import best_match, compact, shingles, strip_non_word
from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.state import Hit, RaidGroup, Room
from roomwatch.core.alerts.values import AlertEvent, Evidence, Observation, Sample

__all__ = ["FLAGGED", "evaluate", "has_open_group", "observe"]

#: Labels that make a comment abusive for a raid.
FLAGGED: Final = frozenset({"abuse", "spam"})


def has_open_group(room: Room) -> bool:
    """Whether a group has the three members that let any comment join it
    (:func:`observe`: else only an abusive one can join or start a group)."""
    for group in room.groups:  # noqa: SIM110  (a plain loop: any() of a generator costs more)
        if len(group.members) >= 3:
            return True
    return False


def observe(cfg: AlertConfig, room: Room, obs: Observation, sample: Sample, negative: bool) -> bool:
    """Put a comment into its near-duplicate group; ``True`` when it joined
    one half way to a raid (its negatives are then the raid's)."""
    abusive = obs.label in FLAGGED
    # Other comments only join groups that already look like a raid.
    groups = room.groups if abusive else [g for g in room.groups if len(g.members) >= 3]
    if not groups and not abusive:
        return False
    grams = shingles(compact(obs.text))
    if not grams:
        return False
    now = obs.comment.ts
    # The newest of equally similar groups.
    best = best_match(reversed(groups), grams, cfg.raid_similarity)
    if best is None:
        if not abusive:
            return False
        if len(room.groups) >= cfg.raid_max_groups:
            room.groups.remove(min(room.groups, key=lambda g: g.last))
        best = RaidGroup(grams, deque(), now)
        room.groups.append(best)
    hit = Hit(now, obs.comment.user_key, negative, sample, label=obs.label, seq=room.seen)
    best.members.append(hit)
    if abusive:
        best.abusive += 1
    if hit.user is not None:
        best.users[hit.user] += 1
    best.last = now
    return len(best.users) >= cfg.raid_min_accounts / 2


def evaluate(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
    cfg = life.config
    active = ("abuse_raid", "") in room.active
    firing_groups = []
    biggest = 0
    # A raid is a burst: to open, its accounts must all have posted
    # within half the window. A phrase that many viewers of a souring
    # room happen to repeat ("滚吧你") trickles in over the whole window.
    burst_from = now - cfg.raid_window_seconds / 2
    for group in room.groups:
        accounts = len(group.users)
        biggest = max(biggest, accounts)
        if accounts < cfg.raid_min_accounts:
            continue
        if group.abusive < cfg.raid_abusive_share * len(group.members):
            continue
        if not active:
            recent = {h.user for h in group.members if h.ts >= burst_from}
            recent.discard(None)
            if len(recent) < cfg.raid_min_accounts:
                continue
        firing_groups.append(group)
    firing = bool(firing_groups)
    if not firing and not active:
        return
    # The incident's totals accumulate for as long as it is open, so a
    # raid longer than the window still reports every account involved.
    tally = room.raid
    if not active:
        tally.clear()
    for group in firing_groups:
        # Members join in ``seq`` order: the uncounted ones are at the end.
        mark = group.counted_seq if group.counted_gen == tally.generation else -1
        fresh: list[Hit] = []
        for h in reversed(group.members):
            if h.seq <= mark:
                break
            fresh.append(h)
        if not fresh:
            continue
        group.counted_gen, group.counted_seq = tally.generation, fresh[0].seq
        for h in reversed(fresh):
            tally.counted += 1
            tally.add_text(strip_non_word(h.sample.text)[:40])
            tally.labels[h.label] += 1
            tally.first = min(tally.first, h.ts)
            tally.last = max(tally.last, h.ts)
            if h.user is not None:
                tally.add_account(h.user)
            if len(tally.samples) < cfg.max_samples and (
                h.sample.text not in {x.text for x in tally.samples}
            ):
                tally.samples.append(h.sample)
    messages = tally.restored + tally.counted
    below = biggest < cfg.raid_min_accounts / 2
    level = 2 if len(tally.accounts) >= cfg.raid_critical_accounts else 1

    def build() -> tuple[str, Evidence]:
        kind = "辱骂" if tally.labels["abuse"] >= tally.labels["spam"] else "广告"
        span = max(tally.last - tally.first, 1.0)
        ev = Evidence(
            count=messages,
            window_seconds=cfg.raid_window_seconds,
            rate_per_min=messages * 60.0 / span,
            baseline_per_min=0.0,
            users=len(tally.accounts),
            top_terms=tuple(tally.texts.most_common(3)),
            samples=tuple(tally.samples),
            accounts=tuple(tally.shown_accounts),
            messages=messages,
        )
        summary = (
            f"直播间「{room.name}」疑似遭遇刷屏攻击：{tally.account_count()}个账号在"
            f"{span:.0f}秒内发送{messages}条相似{kind}内容。"
        )
        return summary, ev

    life.step(room, "abuse_raid", "", now, firing, below, level, max(messages, 1), build, events)
    # Totals only grow: keep the stored alert current between (rate
    # limited) updates, so the resolve event reports the whole raid.
    state = room.active.get(("abuse_raid", ""))
    alert = life.alerts.get(state.alert_id) if state is not None else None
    if alert is not None and messages > alert.evidence.messages:
        summary, evidence = build()
        life.alerts[alert.id] = replace(alert, summary=summary, evidence=evidence)
