"""``watchlist``: mentions of watched terms surge.

Terms from the room's watch list (``lexicons/alerts/watch.txt`` by default:
12315, 曝光, 维权 ...; ``[alerts] watch_terms`` and ``room_watch_terms``)
are mentioned at least ``watch_min_count`` times in the window, by
``watch_min_users`` users, and ``watch_ratio`` times their baseline rate.

Mentions made by unhappy viewers while a complaint wave is on (or by raid
accounts during a raid) are that incident's; mentions inside a topic that
is forming are left to the topic detector, unless mentions surge by
themselves.
"""

from __future__ import annotations

from collections import Counter

from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.state import Room, claimed_topics, claims, complaints_on, held
from roomwatch.core.alerts.values import AlertEvent, Evidence

__all__ = ["evaluate"]


def evaluate(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
    cfg = life.config
    # Mentions made by unhappy viewers while a grievance alert is open (or
    # seed-topic complaints are gathering: threats often come first), or
    # by raid accounts during a raid, belong to that incident already.
    # A mention inside a topic that is forming (half way to its threshold)
    # is left to the topic detector, unless mentions are surging by themselves.
    strong = len(room.watch) >= 2 * cfg.watch_min_count
    # complaints_on includes the claimed topics.
    topic_on = complaints_on(room, cfg, now) if not strong else bool(claimed_topics(room, now))
    raid_on = claims(room, "abuse_raid", "", now)
    forming = {
        k for k, v in room.topics.items() if not strong and len(v) * 2 >= cfg.topic_min_count
    }
    hits = [
        h
        for h in room.watch
        if not (topic_on and (h.negative or h.topic is not None))
        and not (raid_on and h.raid)
        and h.topic not in forming
    ]
    n = len(hits)
    users = len({h.user for h in hits})
    base = room.baseline.mean("w") * held(room)
    firing = (
        n >= cfg.watch_min_count and users >= cfg.watch_min_users and n >= base * cfg.watch_ratio
    )
    below = n < cfg.watch_min_count / 2
    level = 2 if n >= cfg.watch_critical_count else 1

    def build() -> tuple[str, Evidence]:
        terms = Counter[str]()
        for h in hits:
            terms.update(h.terms)
        top = tuple(terms.most_common(6))
        ev = Evidence(
            count=n,
            window_seconds=held(room),
            rate_per_min=n * 60.0 / held(room),
            baseline_per_min=room.baseline.mean("w") * 60.0,
            users=users,
            top_terms=top,
            samples=tuple(h.sample for h in hits[-cfg.max_samples :]),
        )
        words = "、".join(t for t, _ in top)
        summary = (
            f"直播间「{room.name}」关注词提及激增：近{held(room)}秒{users}位用户"
            f"提及{n}次（{words}）。"
        )
        return summary, ev

    life.step(room, "watchlist", "", now, firing, below, level, n, build, events)
