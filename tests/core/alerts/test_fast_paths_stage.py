"""The alert stage's sixth-pass fast paths against the code they replaced.

``AlertManager.observe`` (its inline clock step, the watched terms looked up
once per room, no sample and no raid lookup for a comment that cannot join a
group, the topic and quick checks before the calls), ``_prune`` (groups left
as they are when none empties, clusters skipped while the oldest is recent
enough: ``Room.cluster_floor``), ``warm`` (a room once warm stays warm) and
``salient`` are kept here as they were before, verbatim, and both versions
run on the same random streams: calm rooms of any mood, sour turns, complaint
waves, raids that chatter echoes, watched terms, surges, silences, clusters
that fade (short half-lives), comments a little out of order; through the
manager with ticks and through :class:`AlertStage` in random batches. Their
events are compared whole.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter
from typing import Any

import pytest

from roomwatch.core.alerts import (
    AlertConfig,
    AlertError,
    AlertEvent,
    AlertManager,
    Observation,
    abuse_raid,
    manager,
    negative_spike,
    quiet,
    volume_drop,
    volume_surge,
)
from roomwatch.core.alerts.seeds import STOPWORDS
from roomwatch.core.alerts.state import Room, held, salient, warm, words_of
from roomwatch.core.alerts.window import UNLEARNED, Fold
from roomwatch.core.normalize import Normalized
from roomwatch.core.verdict import Verdict
from roomwatch.stages.alert import AlertStage

from .helpers import HAPPY, RAID, T0, obs, run
from .plain_sixth import (
    plain_closed_parts,
    plain_fold_bucket,
    plain_observe,
    plain_prune,
    plain_salient,
    plain_stage_call,
    plain_warm,
)
from .test_fast_paths import _config, _stream


def _plain(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(manager.AlertManager, "observe", plain_observe)
    mp.setattr(AlertStage, "__call__", plain_stage_call)

    def plain_parts(
        self: Any,
        c: Any,
        label: str,
        sentiment: float,
        text: str,
        tokens: Any = (),
        obs: Any = None,
    ) -> list[AlertEvent]:
        return plain_observe(self, obs or Observation(c, label, sentiment, text, tokens))

    mp.setattr(manager.AlertManager, "observe_parts", plain_parts)
    mp.setattr(manager.AlertManager, "_prune", plain_prune)
    mp.setattr(negative_spike, "_closed_parts", plain_closed_parts)
    mp.setattr(Fold, "bucket", plain_fold_bucket)
    for module in (manager, quiet, volume_drop):
        mp.setattr(module, "warm", plain_warm)


# --------------------------------------------------------------------------- streams

#: Chatter and questions that repeat a raid's words (they join its group once
#: it has three members) and unhappy grievances that form token clusters.
_ECHO = (*RAID, "主播是骗子吗", "大家别买了吧")
_CLUSTERED = ("快递 太慢 了 差评", "客服 不理人 差评", "包装 破了 差评", "物流 太慢 客服")


def _observations(seed: int) -> list[Observation]:
    """:func:`_stream`'s rooms, with raids echoed by chatter, complaint
    clusters over the whole span, and a little disorder in time."""
    rng = random.Random(1000 + seed)
    out, end = _stream(seed)
    out = list(out)
    for room in ("room-a", "room-b"):
        for _ in range(rng.randint(1, 3)):
            onset = rng.uniform(T0 + 100, end - 460)
            t = onset
            k = 0
            while t < onset + rng.uniform(20, 60):
                user = f"echo{seed}-{k % rng.choice((4, 40))}"
                label = rng.choice(("chatter", "chatter", "question", "abuse", "spam"))
                sentiment = rng.uniform(-1.0, 0.9)
                out.append(
                    obs(
                        t, rng.choice(_ECHO), label=label, sentiment=sentiment, user=user, room=room
                    )
                )
                k += 1
                t += rng.expovariate(rng.uniform(1.0, 8.0))
        t = T0 + rng.uniform(0, 50)
        while t < end - 400:
            text = rng.choice(_CLUSTERED)
            words = tuple(text.split()) if rng.random() < 0.8 else tuple(rng.sample(HAPPY, 2))
            out.append(
                obs(
                    t,
                    text,
                    label="grievance",
                    sentiment=rng.uniform(-0.9, -0.31),
                    user=f"g{rng.randint(1, 30)}",
                    room=room,
                    tokens=words,
                )
            )
            t += rng.expovariate(rng.uniform(0.02, 0.3))
    # Long texts (samples are clipped at 120 characters).
    for i in range(0, len(out), 7):
        o = out[i]
        out[i] = dataclasses.replace(
            o, comment=dataclasses.replace(o.comment, text=o.comment.text * rng.randint(10, 40))
        )
    # Some on whole seconds (the edge of a room's second).
    out = [
        o
        if rng.random() < 0.97
        else dataclasses.replace(
            o, comment=dataclasses.replace(o.comment, ts=float(round(o.comment.ts)))
        )
        for o in out
    ]
    out.sort(key=lambda o: o.comment.ts)
    # Neighbours swapped now and then: a record a little older than the room's time.
    for i in range(1, len(out)):
        if rng.random() < 0.05 and out[i].comment.ts - out[i - 1].comment.ts < 0.5:
            out[i - 1], out[i] = out[i], out[i - 1]
    return out


def _config6(seed: int) -> AlertConfig:
    rng = random.Random(2000 + seed)
    return dataclasses.replace(
        _config(seed), baseline_half_life_seconds=rng.choice((20.0, 60.0, 300.0))
    )


def _run_unsorted(
    m: AlertManager, stream: list[Observation], until: float, ticks: bool = True
) -> list[AlertEvent]:
    """:func:`helpers.run`, without sorting: ticks as record time passes
    (or, without ``ticks``, only at the end: ``observe`` moves the time on)."""
    events: list[AlertEvent] = []
    next_tick = float(int(T0) + 1)
    for o in stream:
        while ticks and next_tick <= o.comment.ts:
            events.extend(m.tick(next_tick))
            next_tick += 1.0
        events.extend(m.observe(o))
    while next_tick <= until:
        events.extend(m.tick(next_tick))
        next_tick += 1.0
    return events


def _verdict(o: Observation) -> Verdict:
    return Verdict(
        o.comment,
        Normalized(o.text, ()),
        o.tokens,
        o.label,
        {o.label: 1.0},
        o.sentiment,
        (),
        "test",
    )


def _staged(config: AlertConfig, stream: list[Observation], seed: int) -> list[dict[str, Any]]:
    """The events of an :class:`AlertStage` fed ``stream`` in random batches."""
    rng = random.Random(seed)
    stage = AlertStage(config)
    events: list[dict[str, Any]] = []
    stage.add_listener(lambda e: events.append(e.to_dict()))
    verdicts = [_verdict(o) for o in stream]
    i = 0
    while i < len(verdicts):
        n = rng.choice((1, 7, 64, 300))
        stage(verdicts[i : i + n])
        i += n
    return events


def _until(stream: list[Observation]) -> float:
    return max(o.comment.ts for o in stream) + 400


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize(("seed", "ticks"), [(seed, seed % 3 > 0) for seed in range(9)])
def test_the_manager_gives_the_plain_events(seed: int, ticks: bool) -> None:
    stream = _observations(seed)
    fast = _run_unsorted(AlertManager(_config6(seed)), stream, _until(stream), ticks)
    with pytest.MonkeyPatch.context() as mp:
        _plain(mp)
        plain = _run_unsorted(AlertManager(_config6(seed)), stream, _until(stream), ticks)
    assert fast == plain
    assert len(fast) >= 3  # (the streams do raise alerts)


@pytest.mark.parametrize("seed", range(4))
def test_sorted_streams_give_the_plain_events(seed: int) -> None:
    stream = sorted(_observations(seed), key=lambda o: o.comment.ts)
    fast = run(AlertManager(_config6(seed)), stream, _until(stream))
    with pytest.MonkeyPatch.context() as mp:
        _plain(mp)
        plain = run(AlertManager(_config6(seed)), stream, _until(stream))
    assert fast == plain


@pytest.mark.parametrize("seed", range(6))
def test_the_stage_gives_the_plain_events(seed: int) -> None:
    stream = _observations(seed)
    fast = _staged(_config6(seed), stream, seed)
    with pytest.MonkeyPatch.context() as mp:
        _plain(mp)
        plain = _staged(_config6(seed), stream, seed)
    assert fast == plain
    assert len(fast) >= 3


def _digest(m: AlertManager) -> list[Any]:
    """What the detectors keep of each room, compared step by step."""
    return [
        (
            r.name,
            r.now,
            r.sec,
            r.seen,
            dict(r.window),
            # (Every sum but the tn: keys, which only the plain code learns.)
            {k: v for k, v in r.baseline.sums.items() if not k.startswith(UNLEARNED)},
            r.baseline.weight,
            [(g.shingles, len(g.members), dict(g.users), g.abusive, g.last) for g in r.groups],
            {k: (dict(c.terms), c.last) for k, c in r.clusters.items()},
            {k: len(h) for k, h in r.topics.items()},
            {k: dict(u) for k, u in r.topic_users.items()},
            list(r.user_topic.items()),
            [h.sample for h in r.negatives],
            [words_of(h) for h in r.negatives],
            [words_of(h) for hits in r.topics.values() for h in hits],
            [h.sample for h in r.watch],
            [h.sample for g in r.groups for h in g.members],
            dict(r.cooldown),
            r.pruned_at,
            (plain_warm if manager.AlertManager.observe is plain_observe else warm)(r, m.config),
        )
        for r in m._rooms.values()
    ]


@pytest.mark.parametrize("seed", range(3))
def test_the_rooms_hold_what_the_plain_code_leaves(seed: int) -> None:
    """After every comment and tick, every room's state is the plain code's."""
    stream = _observations(seed)[:3000]

    def steps() -> list[Any]:
        m = AlertManager(_config6(seed))
        out = []
        next_tick = float(int(T0) + 1)
        for o in stream:
            while next_tick <= o.comment.ts:
                m.tick(next_tick)
                next_tick += 1.0
                out.append(_digest(m))
            m.observe_parts(o.comment, o.label, o.sentiment, o.text, o.tokens)
            out.append(_digest(m))
        return out

    fast = steps()
    with pytest.MonkeyPatch.context() as mp:
        _plain(mp)
        plain = steps()
    assert len(fast) == len(plain)
    for i, (a, b) in enumerate(zip(fast, plain, strict=True)):
        assert a == b, i


def test_the_baseline_learns_no_topic_negatives_and_the_plain_code_did() -> None:
    learned = []
    for plain in (False, True):
        with pytest.MonkeyPatch.context() as mp:
            if plain:
                _plain(mp)
            m = AlertManager(_config6(1))
            stream = _observations(1)
            _run_unsorted(m, stream, _until(stream) - 300)
            learned.append({k for r in m._rooms.values() for k in r.baseline.sums})
    assert not any(k.startswith(UNLEARNED) for k in learned[0])
    assert any(k.startswith(UNLEARNED) for k in learned[1])
    assert learned[0] == {k for k in learned[1] if not k.startswith(UNLEARNED)}


def test_the_streams_reach_the_fast_paths() -> None:
    """Chatter joins raid groups, clusters fade out, records come out of
    order; and all along, the warm flag and the clusters' floor hold."""
    seen = Counter[str]()
    real_observe = manager.AlertManager.observe
    real_prune = manager.AlertManager._prune
    real_raid = abuse_raid.observe

    def observe(self: AlertManager, o: Observation) -> list[AlertEvent]:
        room = self._rooms.get(o.comment.room)
        if room is not None and o.comment.ts < room.now:
            seen["older"] += 1
        events = real_observe(self, o)
        for r in self._rooms.values():
            assert manager.warm(r, self.config) == plain_warm(r, self.config)
            assert all(r.cluster_floor <= c.last for c in r.clusters.values())
        return events

    def prune(self: AlertManager, room: Room, now: float) -> None:
        before = len(room.clusters)
        real_prune(self, room, now)
        seen["clusters faded"] += before - len(room.clusters)

    def raid(cfg: AlertConfig, room: Room, o: Observation, sample: Any, neg: bool) -> bool:
        sizes = sum(len(g.members) for g in room.groups)
        joined = real_raid(cfg, room, o, sample, neg)
        if o.label not in abuse_raid.FLAGGED and sum(len(g.members) for g in room.groups) > sizes:
            seen["chatter joined"] += 1
        return joined

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(manager.AlertManager, "observe", observe)
        mp.setattr(manager.AlertManager, "_prune", prune)
        mp.setattr(abuse_raid, "observe", raid)
        for seed in range(4):
            stream = _observations(seed)
            _run_unsorted(AlertManager(_config6(seed)), stream, _until(stream))
    assert seen["older"] > 0 and seen["clusters faded"] > 0 and seen["chatter joined"] > 0, seen


def test_the_surge_check_is_the_plain_one_and_its_memo_a_fresh_look() -> None:
    real = volume_surge.may_fire
    asked = Counter[bool]()

    def checked(room: Room, cfg: AlertConfig) -> bool:
        kept = real(room, cfg)
        memo = room.surge_memo
        room.surge_memo = None
        assert real(room, cfg) == kept
        assert room.surge_memo == memo
        n = room.window["n"]
        base = room.baseline.mean("n") * held(room)
        ratio = n / base if base > 0 else 0.0
        assert kept == (n >= cfg.surge_min_count and ratio >= cfg.surge_ratio)
        asked[kept] += 1
        return kept

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(volume_surge, "may_fire", checked)
        for seed in range(4):
            stream = _observations(seed)
            _run_unsorted(AlertManager(_config6(seed)), stream, _until(stream))
    assert asked[True] > 0 and asked[False] > 1000, asked


def test_salient_is_the_plain_one() -> None:
    rng = random.Random(3)
    alphabet = "ab1２²三四五😀！!，。 _-\u0301\t" + "".join(STOPWORDS)[:30]
    for _ in range(20000):
        tokens = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(0, 5))
        ]
        assert salient(tokens) == plain_salient(tokens), tokens


@pytest.mark.parametrize(
    ("label", "sentiment"),
    [
        ("rant", 0.0),
        ("chatter", 1.5),
        ("chatter", -1.01),
        ("chatter", math.nan),
        ("abuse", math.inf),
    ],
)
def test_observe_parts_refuses_what_an_observation_refuses(label: str, sentiment: float) -> None:
    o = obs(T0, "好")
    with pytest.raises(AlertError) as plain:
        Observation(o.comment, label, sentiment, o.text, o.tokens)
    m = AlertManager()
    with pytest.raises(AlertError) as fast:
        m.observe_parts(o.comment, label, sentiment, o.text, o.tokens)
    assert str(fast.value) == str(plain.value)
    assert not m.has_room(o.comment.room)  # refused before anything changed


def test_a_fold_leaves_the_window_that_subtract_and_plus_left() -> None:
    """``Fold.bucket`` takes a leaving second's counts out of the window in
    place; before, ``window.subtract(counts)`` and ``+window`` at the end."""
    rng = random.Random(11)
    keys = ["n", "neg", "nfree", "rneg", "w", *(f"t:c{i}" for i in range(6))]
    for _ in range(3000):
        window = Counter({k: rng.randint(1, 9) for k in rng.sample(keys, rng.randint(0, 8))})
        # Seconds that leave: together, never more than the window holds.
        remaining = Counter(window)
        buckets = []
        for _ in range(rng.randint(1, 3)):
            counts = Counter[str]()
            for k in rng.sample(list(remaining), len(remaining)):
                if rng.random() < 0.6:
                    counts[k] = rng.randint(0, remaining[k])
            remaining.subtract(counts)
            if rng.random() < 0.1:
                counts["missing"] = rng.randint(0, 2)  # (never so in a room: handled alike)
            buckets.append(counts)
        room = Room("r", T0, T0, T0, int(T0))
        room.window = Counter(window)
        plain = Counter(window)
        fold = Fold(room)
        for counts in buckets:
            fold.bucket(counts, {}, 1)
            plain.subtract(counts)
        fold.done()
        assert list(room.window.items()) == list((+plain).items())


def test_the_closed_parts_are_what_the_running_sums_said() -> None:
    """``negative_spike._closed_parts`` sums the parts' closed buckets; before,
    it asked ``recent_pair``: the same numbers on every look."""
    real = negative_spike._closed_parts
    looks = Counter[bool]()

    def checked(room: Room, cfg: AlertConfig) -> tuple[tuple[int, int, int, bool], ...]:
        fast = real(room, cfg)
        assert fast == plain_closed_parts(room, cfg)
        looks[any(whole for *_, whole in fast[1:])] += (
            1  # (a part reaching back to the window's start)
        )
        return fast

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(negative_spike, "_closed_parts", checked)
        for seed in range(6):
            stream = _observations(seed)
            # (Without ticks, a silence is one jump: the window starts again.)
            _run_unsorted(AlertManager(_config6(seed)), stream, _until(stream), seed % 2 == 0)
    assert looks[False] > 1000 and looks[True] > 0, looks
