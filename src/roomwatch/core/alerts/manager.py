"""The alert manager: every room's detectors, fed in record time (sans-I/O).

:meth:`AlertManager.observe` takes each analysed comment in ``ts`` order and
:meth:`AlertManager.tick` lets record time pass (about once a second, also
with no comments). Both return :class:`AlertEvent` values. The manager keeps
each room's window of per-second counts, feeds the seconds that leave the
window to the room's :class:`~roomwatch.core.alerts.baseline.Baseline`
(slowly while an alert is open: ``active_learning_rate``), prunes the
detectors' hits, and asks each detector module whether to open, update or
resolve its alert.
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from roomwatch.core.alerts import (
    abuse_raid,
    grievance_topic,
    negative_spike,
    volume_drop,
    volume_surge,
    watchlist,
)
from roomwatch.core.alerts.baseline import Baseline
from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.lifecycle import alert_id as make_alert_id
from roomwatch.core.alerts.quiet import Work, fast_forward, quiet_until
from roomwatch.core.alerts.state import (
    Active,
    Hit,
    Room,
    new_counter,
    stretch,
    term_finder,
    warm,
)
from roomwatch.core.alerts.values import (
    _LABELS,
    SEVERITIES,
    SYSTEM_ROOM,
    Alert,
    AlertError,
    AlertEvent,
    AuditRecord,
    Evidence,
    Observation,
    Sample,
)
from roomwatch.core.alerts.window import leave
from roomwatch.core.record import Comment

__all__ = ["MAX_STEPPED_GAP", "AlertManager"]

#: Record kinds that carry a viewer's words (the others only show the feed is alive).
_TEXT_KINDS: Final = frozenset({"comment", "superchat"})


#: Windows are pruned at most this often (seconds of record time). Pruning
#: walks every topic, raid group and cluster of the room; at 2,000 comments/s
#: doing it per comment cost more than all the detectors together, and a
#: 20 s window read up to 0.1 s late changes no decision that matters.
_PRUNE_EVERY: Final = 0.1

#: A gap in record time longer than this is ticked second by second only for
#: its first part, then in one jump (see :meth:`AlertManager.catch_up`).
MAX_STEPPED_GAP: Final = 300


#: The sample of a comment no detector keeps (see :meth:`AlertManager.observe`).
_UNKEPT: Final = Sample("", None, "chatter", 0.0, 0.0)


def _watch_finder(terms: tuple[str, ...]) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    return terms, term_finder(terms) if terms else None


class AlertManager:
    """All rooms' detectors and the alert lifecycle. Pure: no I/O, no wall clock."""

    def __init__(self, config: AlertConfig | None = None) -> None:
        self.config = config or AlertConfig()
        self._rooms: dict[str, Room] = {}
        self._life = Lifecycle(self.config)
        self._alerts = self._life.alerts
        self._recent = self._life.recent
        self._seed_terms = grievance_topic.seed_terms(self.config)
        self._seed_finder = grievance_topic.seed_finder(self._seed_terms)
        #: The watched terms and a pattern that finds any of them (None: no
        #: terms): per room with a list of its own, and the default list's.
        #: (The config is frozen: the lists do not change.)
        self._watch_finders = {
            room: _watch_finder(terms) for room, terms in self.config.room_watch_terms.items()
        }
        self._default_watch = _watch_finder(self.config.watch_terms)
        #: Work done so far (full ticks, baseline updates, seconds skipped).
        self.work = Work()

    # ------------------------------------------------------------------ public API

    def open_alerts(self) -> list[Alert]:
        """Alerts not yet resolved, oldest first."""
        return sorted(self._alerts.values(), key=lambda a: a.started_at)

    def get(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id) or self._recent.get(alert_id)

    def restore(self, open_alerts: Iterable[Alert | Mapping[str, Any]]) -> None:
        """Take back persisted open alerts after a restart.

        A restored incident that is still going on is updated (same id), not
        opened again; one that is over resolves after the usual hold.
        """
        for item in open_alerts:
            alert = item if isinstance(item, Alert) else Alert.from_dict(item)
            if alert.state == "resolved":
                continue
            self._alerts[alert.id] = alert
            if alert.detector == "system":
                continue
            room = self._room(alert.room, alert.updated_at)
            if alert.detector == "abuse_raid":
                room.raid.clear()
                room.raid.restored = alert.evidence.messages
                for account in alert.evidence.accounts:
                    room.raid.add_account(account)
                room.raid.samples.extend(alert.evidence.samples)
                room.raid.first = alert.started_at
                room.raid.last = alert.updated_at
            room.active[(alert.detector, alert.key)] = Active(
                alert.id,
                SEVERITIES.index(alert.severity),
                alert.updated_at,
                float(max(alert.evidence.count, alert.evidence.messages, 1)),
            )

    def raise_system(self, source: str, message: str, now: float) -> AlertEvent:
        """Open (or update) a critical alert about roomwatch itself, e.g. a full disk.

        One alert per ``source``; it stays open until :meth:`resolve_system`,
        so an operator sees it even after acknowledging.
        """
        alert_id = make_alert_id(SYSTEM_ROOM, "system", source, 0.0)
        old = self._alerts.get(alert_id)
        if old is None:
            alert = Alert(
                alert_id,
                SYSTEM_ROOM,
                "system",
                source,
                "critical",
                "open",
                now,
                now,
                f"roomwatch 自身故障（{source}）：{message}",
                Evidence(count=1),
            )
            self._alerts[alert_id] = alert
            return AlertEvent("open", alert, now)
        alert = replace(
            old,
            updated_at=now,
            summary=f"roomwatch 自身故障（{source}）：{message}",
            evidence=replace(old.evidence, count=old.evidence.count + 1),
        )
        self._alerts[alert_id] = alert
        return AlertEvent("update", alert, now)

    def resolve_system(self, source: str, now: float) -> AlertEvent | None:
        """Close the ``system`` alert of ``source``, if one is open."""
        alert = self._alerts.pop(make_alert_id(SYSTEM_ROOM, "system", source, 0.0), None)
        if alert is None:
            return None
        alert = replace(alert, state="resolved", resolved_at=now, updated_at=now)
        self._recent[alert.id] = alert
        return AlertEvent("resolve", alert, now)

    def acknowledge(self, alert_id: str, actor: str, now: float) -> tuple[AlertEvent, AuditRecord]:
        """Mark an alert as seen by ``actor``; returns the ``ack`` event and its audit record."""
        if not actor.strip():
            raise AlertError("acknowledge needs a non-blank actor")
        alert = self.get(alert_id)
        if alert is None:
            raise AlertError(f"no alert with id {alert_id!r}")
        if alert.acked_by is None:
            state = "acknowledged" if alert.state == "open" else alert.state
            alert = replace(alert, acked_by=actor, acked_at=now, state=state)
            if alert.id in self._alerts:
                self._alerts[alert.id] = alert
            else:
                self._recent[alert.id] = alert
        return (
            AlertEvent("ack", alert, now, actor=actor),
            AuditRecord("ack", alert.id, alert.room, actor, now),
        )

    def observe(self, obs: Observation) -> list[AlertEvent]:
        """Feed one analysed comment; ``obs.comment.ts`` is the clock."""
        return self.observe_parts(obs.comment, obs.label, obs.sentiment, obs.text, obs.tokens, obs)

    def observe_parts(
        self,
        c: Comment,
        label: str,
        sentiment: float,
        text: str,
        tokens: tuple[str, ...] = (),
        obs: Observation | None = None,
    ) -> list[AlertEvent]:
        """:meth:`observe` of ``Observation(c, label, sentiment, text, tokens)``
        (``obs``, when the caller has it): the same checks and events, the
        observation made only for the detectors that take one (most comments
        need none)."""
        if obs is None and (
            label not in _LABELS or not (-1.0 <= sentiment <= 1.0) or math.isnan(sentiment)
        ):
            Observation(c, label, sentiment, text, tokens)  # raises its AlertError
        ts = c.ts
        room = self._rooms.get(c.room) or self._room(c.room, ts)
        events: list[AlertEvent] = []
        now = room.now
        if now <= ts < room.sec + 1:
            now = room.now = ts  # _advance within the room's second (max(ts, now) is ts)
        elif not (ts < now < room.sec + 1):
            now = self._advance(room, ts, events)
        room.last_ts = now
        if room.stretched_at != room.sec:
            self._fit_window(room, now)
        active = room.active
        if active and ("volume_drop", "") in active:
            # Any record after silence ends an outage at once.
            volume_drop.end(self._life, room, now, events)
        if c.kind not in _TEXT_KINDS:
            # Gifts, likes and entries show the feed is alive, but are not
            # opinions: they would only dilute the shares.
            return events
        room.seen += 1
        cfg = self.config
        volume_drop.note(room, now, 1, cfg)
        negative = sentiment <= cfg.negative_sentiment
        terms = self._watch_terms(c.room, text)
        # Only an abusive comment or one that may join a group of three
        # (abuse_raid.observe) can become a raid member.
        joins = label in abuse_raid.FLAGGED or abuse_raid.has_open_group(room)
        user = c.user_key
        # A comment that is neither negative nor labelled other than chatter,
        # names no watched term and can join no near-duplicate group is kept
        # by no detector (no Hit holds its sample): its sample is not made.
        if negative or label != "chatter" or terms or joins:
            shown = c.text  # sample_of(obs), inline
            if len(shown) > 120:
                shown = shown[:119] + "…"
            sample = Sample(shown, user, label, sentiment, ts)
        else:
            sample = _UNKEPT
        bucket = room.buckets[-1][1]
        window = room.window
        bucket["n"] += 1
        window["n"] += 1

        # Abuse raid: near-duplicate grouping.
        if joins:
            obs = obs or Observation(c, label, sentiment, text, tokens)
            raid_member = abuse_raid.observe(cfg, room, obs, sample, negative)
        else:
            raid_member = False
        if raid_member and negative:
            bucket["rneg"] += 1
            window["rneg"] += 1

        # Grievance topic.
        # Only a grievance, or an unhappy aside that names a seed term, has a
        # topic (what topic_of finds first).
        if label == "grievance" or (
            negative
            and label in grievance_topic.ASIDE_LABELS
            and self._seed_finder.search(text) is not None
        ):
            obs = obs or Observation(c, label, sentiment, text, tokens)
            topic = grievance_topic.topic_of(
                cfg, self._seed_terms, room, obs, negative, self._seed_finder
            )
        else:
            topic = None  # (what topic_of would find)
        if topic is not None:
            key = "t:" + topic
            bucket[key] += 1
            window[key] += 1
            if negative:
                key = "tn:" + topic
                bucket[key] += 1
                window[key] += 1
            # (Its words, the salient tokens, are worked out when shown: words_of.)
            room.topics.setdefault(topic, deque()).append(
                Hit(now, user, negative, sample, (), topic, tokens=tokens)
            )
            room.topic_users.setdefault(topic, Counter())[user] += 1
            if user is not None:
                # Oldest first, so pruning stops at the first one still in the window.
                room.user_topic[user] = (topic, now)
                room.user_topic.move_to_end(user)

        if negative:
            bucket["neg"] += 1
            window["neg"] += 1
            if topic is None and label != "grievance":
                # Negative, but no complaint: what is left of the room's mood
                # while a complaint wave (whose grievances these are not) is on.
                bucket["nfree"] += 1
                window["nfree"] += 1
            room.negatives.append(
                Hit(now, user, True, sample, (), topic, raid_member, label=label, tokens=tokens)
            )

        if terms:
            bucket["w"] += 1
            window["w"] += 1
            room.watch.append(Hit(now, user, negative, sample, terms, topic, raid_member))

        if not room.pruned_at <= now < room.pruned_at + _PRUNE_EVERY:
            self._prune(room, now)
        is_warm = room.warmed or warm(room, cfg)
        if raid_member:
            abuse_raid.evaluate(self._life, room, now, events)
        if topic is not None and is_warm:
            grievance_topic.evaluate(self._life, room, topic, now, events)
        if terms:
            watchlist.evaluate(self._life, room, now, events)
        if is_warm:
            if negative and (
                ("negative_spike", "") in active or negative_spike.may_fire(room, cfg)
            ):
                negative_spike.evaluate(self._life, room, now, events)
            if ("volume_surge", "") in active or volume_surge.may_fire(room, cfg):
                volume_surge.evaluate(self._life, room, now, events)
        return events

    def _watch_terms(self, room: str, text: str) -> tuple[str, ...]:
        """The room's watched terms in ``text``, in list order."""
        terms, finder = self._watch_finders.get(room, self._default_watch)
        if finder is None or finder.search(text) is None:
            return ()  # the same as below: no term is in the text
        return tuple(t for t in terms if t in text)

    def observe_volume(
        self, name: str, ts: float, n: int, sentiments: Sequence[float] = ()
    ) -> list[AlertEvent]:
        """Count ``n`` chatter comments of room ``name`` at ``ts`` in its
        volume and negative share only, ``sentiments`` being those of theirs
        under 0 (overload degrade mode sheds chatter: its verdicts never come,
        but the detectors must not see a drop in volume or mood)."""
        room = self._room(name, ts)
        events: list[AlertEvent] = []
        now = self._advance(room, ts, events)
        if room.stretched_at != room.sec:
            self._fit_window(room, now)
        room.last_ts = now
        if ("volume_drop", "") in room.active:
            volume_drop.end(self._life, room, now, events)
        cfg = self.config
        neg = sum(1 for s in sentiments if s <= cfg.negative_sentiment)
        bucket = room.buckets[-1][1]
        room.seen += n
        if n > 0:
            volume_drop.note(room, now, n, cfg)
        for key, k in (("n", n), ("neg", neg), ("nfree", neg)):
            if k:
                bucket[key] += k
                room.window[key] += k
        if not room.pruned_at <= now < room.pruned_at + _PRUNE_EVERY:
            self._prune(room, now)
        if warm(room, cfg):
            if neg:
                negative_spike.evaluate(self._life, room, now, events)
            volume_surge.evaluate(self._life, room, now, events)
        return events

    def tick(self, now: float, room: str | None = None) -> list[AlertEvent]:
        """Let record time pass (call about once a second, also with no comments).

        With ``room``, only that room's time passes: each room keeps its own
        record time, so no room moves another's.
        """
        events: list[AlertEvent] = []
        if room is None:
            rooms = list(self._rooms.values())
        else:
            one = self._rooms.get(room)
            rooms = [one] if one is not None else []
        for room_ in rooms:
            self._tick_room(room_, now, events)
        return events

    def catch_up(self, name: str, since: int, until: int) -> list[AlertEvent]:
        """Let room ``name``'s record time pass from whole second ``since`` to ``until``.

        The same events, in the same order, as ``tick(s, name)`` for each
        whole second ``s`` after ``since`` up to ``until``, stopping after
        :data:`MAX_STEPPED_GAP` seconds and then ticking once at ``until``
        (an hour-long pause in a recording costs no 3,600 ticks). Seconds in
        which nothing can happen (:func:`~roomwatch.core.alerts.quiet.quiet_until`)
        are passed over in one go, so an idle room costs next to nothing
        however long its silence.
        """
        events: list[AlertEvent] = []
        stepped = until if until < since + MAX_STEPPED_GAP else since + MAX_STEPPED_GAP
        second = since + 1
        cfg, work = self.config, self.work
        while second <= stepped:
            room = self._rooms.get(name)
            if room is None:
                return events  # forgotten: later ticks find no room either
            end = quiet_until(room, cfg, second, stepped)
            if end >= second:
                work.steps += fast_forward(room, cfg, second, end)
                work.skipped += end - second + 1
                self._prune(room, float(end))
                second = end + 1
            else:
                self._tick_room(room, float(second), events)
                second += 1
        if until > stepped:
            room = self._rooms.get(name)
            if room is not None:
                self._tick_room(room, float(until), events)
        return events

    def quiet_through(self, name: str, since: int, until: int) -> int:
        """The last whole second in ``since .. until`` up to which room ``name``'s
        time can pass with nothing to tick (``since``: the next second is due).

        A caller that lets time pass on its own (a live room gone quiet) need
        not look at the room again before the second after it.
        """
        room = self._rooms.get(name)
        if room is None:
            return until
        return max(since, quiet_until(room, self.config, since + 1, until))

    def release_room(self, name: str) -> list[Alert]:
        """Forget room ``name``: its detector state, and its open alerts, returned.

        For a room that is removed (the caller resolves what is returned) or
        that moves to a manager with other thresholds (which takes them back
        with :meth:`restore`).
        """
        self._rooms.pop(name, None)
        mine = [a for a in self._alerts.values() if a.room == name and a.detector != "system"]
        for alert in mine:
            del self._alerts[alert.id]
        return sorted(mine, key=lambda a: a.started_at)

    def has_room(self, name: str) -> bool:
        """Whether ``name`` has detector state (rooms idle for long are forgotten)."""
        return name in self._rooms

    def _tick_room(self, room: Room, now: float, events: list[AlertEvent]) -> None:
        self.work.ticks += 1
        if not room.active and now - room.last_ts > self.config.room_idle_seconds:
            # A room that ended long ago: forget it (it warms up again if it returns).
            del self._rooms[room.name]
            return
        t = self._advance(room, now, events)
        self._prune(room, t)
        volume_drop.evaluate(self._life, room, t, events)
        is_warm = warm(room, self.config)
        for detector, key in list(room.active):
            if detector == "grievance_topic":
                grievance_topic.evaluate(self._life, room, key, t, events)
            elif detector == "abuse_raid":
                abuse_raid.evaluate(self._life, room, t, events)
            elif detector == "watchlist":
                watchlist.evaluate(self._life, room, t, events)
            elif detector == "negative_spike":
                negative_spike.evaluate(self._life, room, t, events)
            elif detector == "volume_surge" and is_warm:
                volume_surge.evaluate(self._life, room, t, events)

    # ------------------------------------------------------------------ time

    def _room(self, name: str, ts: float) -> Room:
        room = self._rooms.get(name)
        if room is None:
            sec = math.floor(ts)
            baseline = Baseline(self.config.baseline_half_life_seconds)
            room = Room(name, ts, ts, ts, sec, baseline=baseline, span=self.config.shortest_span)
            room.buckets.append((sec, new_counter()))
            self._rooms[name] = room
        return room

    def _advance(self, room: Room, ts: float, events: list[AlertEvent]) -> float:
        now = max(ts, room.now)
        room.now = now
        sec = math.floor(now)
        if sec > room.sec:
            room.sec = sec
            room.buckets.append((sec, new_counter()))
            horizon = sec - room.span + 1
            if room.buckets[0][0] < horizon:
                # Seconds leaving the window feed the baseline, so the
                # baseline never contains the window it is compared with.
                self.work.steps += leave(room, horizon, self._learning(room))
        return now

    def _fit_window(self, room: Room, now: float) -> None:
        """Fit the room's window to its pace (:func:`~roomwatch.core.alerts.state.stretch`);
        the seconds a shorter window lets go leave it now, not a second later."""
        span = room.span
        stretch(room, self.config)
        if room.span < span:
            horizon = room.sec - room.span + 1
            if room.buckets[0][0] < horizon:
                self.work.steps += leave(room, horizon, self._learning(room))
            self._prune(room, now)

    def _learning(self, room: Room) -> dict[str, float]:
        slow = self.config.active_learning_rate
        learning: dict[str, float] = {}
        for detector, key in room.active:
            if detector == "negative_spike":
                learning["neg"] = slow
            elif detector == "grievance_topic":
                learning["t:" + key] = slow
            elif detector == "watchlist":
                learning["w"] = slow
            elif detector == "volume_drop":
                # A dead feed says nothing about what viewers would have
                # written: every count of the room learns slowly, not only
                # the volume (else shares drift towards the few survivors).
                for key in room.baseline.sums:
                    learning[key] = slow
            elif detector == "volume_surge":
                learning["n"] = slow
        return learning

    def _prune(self, room: Room, now: float) -> None:
        room.pruned_at = now
        cfg = self.config
        horizon = now - room.span
        hits = room.negatives
        while hits and hits[0].ts <= horizon:
            hits.popleft()
        hits = room.watch
        while hits and hits[0].ts <= horizon:
            hits.popleft()
        if room.topics:
            for key in list(room.topics):
                hits = room.topics[key]
                users = room.topic_users[key]
                while hits and hits[0].ts <= horizon:
                    gone = hits.popleft().user
                    users[gone] -= 1
                    if not users[gone]:
                        del users[gone]
                if not hits and ("grievance_topic", key) not in room.active:
                    del room.topics[key]
                    del room.topic_users[key]
        groups = room.groups
        if groups:
            raid_horizon = now - cfg.raid_window_seconds
            emptied = False
            for group in groups:
                members = group.members
                if members and members[0].ts > raid_horizon:
                    continue  # (most groups: none of their members leaves)
                while members and members[0].ts <= raid_horizon:
                    old = members.popleft()
                    if old.label in abuse_raid.FLAGGED:
                        group.abusive -= 1
                    gone = old.user
                    if gone is not None:
                        group.users[gone] -= 1
                        if not group.users[gone]:
                            del group.users[gone]
                if not members:
                    emptied = True
            if emptied:
                room.groups = [group for group in groups if group.members]
        idle = now - 3 * cfg.baseline_half_life_seconds
        if room.cluster_floor < idle:
            # (No cluster's ``last`` is under the floor: most prunes end here.)
            clusters = room.clusters
            for key in [k for k, c in clusters.items() if c.last < idle]:
                del clusters[key]
            room.cluster_floor = min((c.last for c in clusters.values()), default=math.inf)
        if room.cooldown:
            for pair in [k for k, until in room.cooldown.items() if until <= now]:
                del room.cooldown[pair]
        user_topic = room.user_topic
        while user_topic and next(iter(user_topic.values()))[1] <= horizon:
            user_topic.popitem(last=False)
