"""Idle rooms cost nothing (issue #14, item 2): skipped seconds, exactly the same alerts.

:meth:`AlertManager.catch_up` passes over the seconds in which nothing can
happen instead of ticking each. These tests hold it to the second-by-second
ticking it replaced (the reference below is the old ``AlertStage._advance``
loop): the same events in the same order, and the same room state (the
window's buckets second by second, an :class:`EmptyRun` read as that many
empty seconds; the baseline's floats to a few ulps, as a run of empty
seconds is folded in closed form), on random many-room streams with
bursts, incidents and gaps from seconds to days.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from roomwatch.core.alerts import AlertConfig, AlertEvent, AlertManager, Observation
from roomwatch.core.alerts.baseline import Baseline
from roomwatch.core.alerts.manager import MAX_STEPPED_GAP
from roomwatch.core.alerts.state import Room
from roomwatch.core.alerts.window import EmptyRun

from .helpers import HAPPY, MOULD, RAID, SOUR, T0, obs

Driver = Callable[[AlertManager, str, int, int], list[AlertEvent]]


def reference(manager: AlertManager, room: str, since: int, until: int) -> list[AlertEvent]:
    """The old way: one full tick per second, the first MAX_STEPPED_GAP of a gap."""
    events: list[AlertEvent] = []
    stepped = min(until, since + MAX_STEPPED_GAP)
    for s in range(since + 1, stepped + 1):
        events.extend(manager.tick(float(s), room))
    if until > stepped:
        events.extend(manager.tick(float(until), room))
    return events


def catch_up(manager: AlertManager, room: str, since: int, until: int) -> list[AlertEvent]:
    return manager.catch_up(room, since, until)


class Close:
    """Floats compared to a relative 1e-12: a closed-form fold against its steps."""

    def __init__(self, values: dict[str, float]) -> None:
        self.values = dict(values)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Close)
            and self.values.keys() == other.values.keys()
            and all(
                math.isclose(v, other.values[k], rel_tol=1e-12, abs_tol=1e-300)
                for k, v in self.values.items()
            )
        )

    def __repr__(self) -> str:
        return f"Close({self.values!r})"


def seconds(room: Room) -> list[tuple[int, dict[str, int]]]:
    """The window's buckets one per second, as ticking each second leaves them."""
    out: list[tuple[int, dict[str, int]]] = []
    for sec, counts in room.buckets:
        if isinstance(counts, EmptyRun):
            out.extend((sec + k, {}) for k in range(counts.n))
        else:
            out.append((sec, dict(counts)))
    return out


def state(room: Room) -> tuple[Any, ...]:
    """Everything a later decision can read from ``room``, copied."""
    raid = room.raid
    return (
        (room.name, room.first_ts, room.last_ts, room.now, room.sec, room.seen, room.pruned_at),
        (room.pace, room.pace_ts),
        seconds(room),
        dict(room.window),
        (Close(room.baseline.sums), list(room.baseline.sums), Close({"w": room.baseline.weight})),
        [h.ts for h in room.negatives],
        [h.ts for h in room.watch],
        {key: [h.ts for h in hits] for key, hits in room.topics.items()},
        {key: dict(users) for key, users in room.topic_users.items()},
        {key: (dict(c.terms), c.last) for key, c in room.clusters.items()},
        [
            ([m.ts for m in g.members], dict(g.users), g.abusive, g.last, g.counted_seq)
            for g in room.groups
        ],
        {key: dataclasses.astuple(a) for key, a in room.active.items()},
        dict(room.cooldown),
        dict(room.user_topic),
        (
            raid.counted,
            sorted(raid.accounts),
            raid.shown_accounts,
            dict(raid.texts),
            raid.first,
            raid.last,
        ),
        room.cluster_seq,
    )


def stream(seed: int, rooms: int) -> list[Observation]:
    """Bursts of traffic (calm, sour, complaints, raids) separated by gaps of 2 s to 2 days."""
    rng = random.Random(seed)
    out: list[Observation] = []
    for r in range(rooms):
        name = f"room-{r}"
        t = T0 + rng.uniform(0, 600)
        for _ in range(rng.randint(2, 8)):
            rate = rng.choice([0.02, 0.3, 1.0, 3.0])
            length = rng.uniform(5, 400)
            mood = rng.choice(["calm", "calm", "sour", "mould", "raid"])
            end = t + length
            i = 0
            while t < end:
                user = f"u{rng.randint(1, 400)}"
                if mood == "sour" and rng.random() < 0.6:
                    o = obs(t, rng.choice(SOUR), sentiment=-0.7, user=user, room=name)
                elif mood == "mould" and rng.random() < 0.5:
                    o = obs(t, rng.choice(MOULD), label="grievance", sentiment=-0.6, user=user)
                    o = dataclasses.replace(o, comment=dataclasses.replace(o.comment, room=name))
                elif mood == "raid" and rng.random() < 0.5:
                    o = obs(
                        t, rng.choice(RAID), label="abuse", sentiment=-0.8, user=f"r{i}", room=name
                    )
                else:
                    o = obs(t, rng.choice(HAPPY), sentiment=0.6, user=user, room=name)
                out.append(o)
                i += 1
                t += rng.expovariate(rate)
            t += rng.choice([2.0, 15.0, 45.0, 250.0, 299.5, 301.0, 900.0, 5000.0, 2 * 86400.0])
    out.sort(key=lambda o: o.comment.ts)
    return out


def replay(
    manager: AlertManager, observations: list[Observation], advance: Driver
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Feed ``observations`` as the alert stage does; events and room states after each one."""
    last: dict[str, int] = {}
    events: list[dict[str, Any]] = []
    states: list[Any] = []
    for o in observations:
        name, second = o.comment.room, math.floor(o.comment.ts)
        if name not in last:
            last[name] = second
        elif second > last[name]:
            events.extend(e.to_dict() for e in advance(manager, name, last[name], second))
            last[name] = second
            room = manager._rooms.get(name)
            states.append(state(room) if room is not None else ("gone", name))
        events.extend(e.to_dict() for e in manager.observe(o))
    end = max(last.values()) + 4 * 86400
    for name, second in sorted(last.items()):
        events.extend(e.to_dict() for e in advance(manager, name, second, end))
    return events, states


CONFIGS = [
    AlertConfig(),
    # Rooms forgotten inside the stepped part of a gap; a window of 7.5 s.
    AlertConfig(room_idle_seconds=200.0, window_seconds=7.5),
    # A fast-forgetting baseline: counts fall under the floor and are dropped.
    AlertConfig(baseline_half_life_seconds=20.0, warmup_seconds=10.0, warmup_min_comments=5),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("config", range(len(CONFIGS)))
def test_catch_up_gives_the_same_alerts_and_state_as_ticking_every_second(
    seed: int, config: int
) -> None:
    observations = stream(seed, rooms=6)
    cfg = CONFIGS[config]
    old, new = AlertManager(cfg), AlertManager(cfg)
    old_events, old_states = replay(old, observations, reference)
    new_events, new_states = replay(new, observations, catch_up)
    assert new_events == old_events
    assert len(new_states) == len(old_states)
    for before, after in zip(old_states, new_states, strict=True):
        assert after == before
    # The streams do exercise what matters: alerts, and seconds skipped.
    assert old_events
    assert new.work.skipped > 0
    assert new.work.ticks < old.work.ticks


def test_the_streams_raise_every_kind_of_time_driven_event() -> None:
    events, _ = replay(AlertManager(), stream(0, rooms=6) + stream(1, rooms=6), catch_up)
    detectors = {(e["type"], e["alert"]["detector"]) for e in events}
    assert ("open", "volume_drop") in detectors
    assert ("resolve", "negative_spike") in detectors or ("resolve", "abuse_raid") in detectors


@pytest.mark.parametrize("half_life", [300.0, 60.0, 17.3, 1000.0])
def test_baseline_idle_is_that_many_empty_steps_in_closed_form(half_life: float) -> None:
    rng = random.Random(int(half_life))
    for _ in range(200):
        a = Baseline(half_life)
        for _ in range(rng.randrange(0, 40)):
            counts = {
                "n": rng.randrange(0, 30),
                "neg": rng.randrange(0, 5),
                "t:x": rng.randrange(2),
            }
            a.step(counts, {}, rng.choice([1, 1, 1, 5, 400]))
        b = Baseline(half_life)
        b.sums, b.weight = dict(a.sums), a.weight
        k = rng.choice([0, 1, rng.randrange(0, 400), rng.randrange(0, 40_000)])
        for _ in range(k):
            a.step({}, {}, 1)
        b.idle(k)
        if k <= 1:  # one second is one step, to the bit
            assert (b.sums, list(b.sums), b.weight) == (a.sums, list(a.sums), a.weight)
        assert list(b.sums) == list(a.sums)
        assert Close(b.sums) == Close(a.sums)
        assert math.isclose(b.weight, a.weight, rel_tol=1e-12)


def test_an_open_alert_is_ticked_every_second() -> None:
    # While an incident is open, its detector is asked every second (it may
    # update or resolve): no second of an open alert is skipped.
    m = AlertManager()
    observations = [o for o in stream(3, rooms=1)]
    events, _ = replay(m, observations, catch_up)
    assert any(e["type"] == "resolve" for e in events)
    ref = AlertManager()
    replay(ref, observations, reference)
    assert m.work.ticks < ref.work.ticks
