"""Per-room detector state, and the questions detectors ask of it.

A :class:`Room` holds the per-second count buckets of the window, the
window's hits per detector (negatives, topics, raid groups, watch-list
mentions), the open incidents and cooldowns. The functions below are the
cross-detector rules ("one incident, one alert"): which incidents claim a
comment, whether a complaint wave or a raid is forming.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from roomwatch.core.alerts.baseline import Baseline
from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.recent import RecentSums
from roomwatch.core.alerts.seeds import STOPWORDS
from roomwatch.core.alerts.values import Observation, Sample
from roomwatch.core.cuelist import term_finder

__all__ = [
    "Active",
    "Cluster",
    "Hit",
    "RaidGroup",
    "RaidTally",
    "Room",
    "claimed_topics",
    "claims",
    "complaints_on",
    "forming_topics",
    "held",
    "raid_forming",
    "recent_count",
    "recent_pair",
    "salient",
    "sample_of",
    "stretch",
    "term_finder",
    "warm",
    "words_of",
]


def sample_of(obs: Observation) -> Sample:
    text = obs.comment.text
    if len(text) > 120:
        text = text[:119] + "…"
    return Sample(text, obs.comment.user_key, obs.label, obs.sentiment, obs.comment.ts)


def salient(tokens: Iterable[str]) -> list[str]:
    out = []
    for tok in tokens:
        tok = tok.strip()
        if len(tok) < 2 or tok in STOPWORDS:
            continue
        if tok.isdigit() and len(tok) < 3:
            continue
        # (All characters letters or digits is some of them: most words.)
        if not tok.isalnum() and not any(ch.isalnum() for ch in tok):
            continue
        out.append(tok)
    return out


def new_counter() -> Counter[str]:
    """``Counter()`` without ``Counter.__init__``, which (given nothing to
    count) leaves a new Counter empty as made: two Python calls saved per
    Counter, and a sparse room makes one per comment (its newest bucket),
    a room that comes back after an idle hour three more (window, raid tally)."""
    return Counter.__new__(Counter)


@dataclass(slots=True)
class Hit:
    ts: float
    user: str | None
    negative: bool
    sample: Sample
    terms: tuple[str, ...] = ()
    topic: str | None = None
    raid: bool = False
    label: str = ""
    seq: int = 0
    #: The comment's tokens, kept instead of ``terms`` by a negative or topic
    #: hit: its salient words are worked out only when shown (:func:`words_of`).
    tokens: tuple[str, ...] = ()


def words_of(hit: Hit) -> tuple[str, ...]:
    """A hit's words: its ``terms``, or the salient words of its ``tokens``."""
    return hit.terms if hit.terms or not hit.tokens else tuple(salient(hit.tokens))


@dataclass(slots=True)
class Cluster:
    key: str
    terms: Counter[str]
    last: float


#: Accounts a raid alert lists (the alphabetically first ones).
SHOWN_ACCOUNTS = 50
#: Accounts a raid tallies one by one. A raid of more (it may stay open for
#: hours as new accounts keep joining) is reported as "1000+" accounts, so the
#: tally's memory has a bound however long the raid lasts (found by the soak).
MAX_TALLIED_ACCOUNTS = 1000
#: Distinct (stripped, 40-character) texts a raid tallies for its top terms.
MAX_TALLIED_TEXTS = 200


@dataclass(slots=True)
class RaidGroup:
    shingles: frozenset[str]
    members: deque[Hit]
    last: float
    #: Messages per account among ``members`` (distinct accounts without a walk).
    users: Counter[str] = field(default_factory=Counter)
    #: Members labelled abuse or spam.
    abusive: int = 0
    #: The newest member already counted in the tally of generation
    #: ``counted_gen`` (members join in ``seq`` order, so the rest are new).
    counted_gen: int = -1
    counted_seq: int = -1


@dataclass(slots=True)
class RaidTally:
    """Running totals of the current raid incident.

    A raid may stay open for hours. The tally keeps counts, not the messages
    it counted (each group remembers how far it was counted), and the
    alphabetically first accounts it lists, kept sorted as accounts arrive,
    so its upkeep per message does not grow with the raid's length.
    """

    #: Messages counted since the incident opened.
    counted: int = 0
    #: Bumped by :meth:`clear`; a group counted in an older one counts again.
    generation: int = 0
    #: The first :data:`MAX_TALLIED_ACCOUNTS` accounts; ``more_accounts`` once
    #: another one came.
    accounts: set[str] = field(default_factory=set)
    more_accounts: bool = False
    #: ``sorted(accounts)[:SHOWN_ACCOUNTS]``, kept up to date by :meth:`add_account`.
    shown_accounts: list[str] = field(default_factory=list)
    texts: Counter[str] = field(default_factory=new_counter)
    labels: Counter[str] = field(default_factory=new_counter)
    samples: list[Sample] = field(default_factory=list)
    first: float = math.inf
    last: float = -math.inf
    #: Messages counted before a restart (from the restored alert).
    restored: int = 0

    def add_account(self, user: str) -> None:
        if user in self.accounts:
            return
        if len(self.accounts) >= MAX_TALLIED_ACCOUNTS:
            self.more_accounts = True
            return
        self.accounts.add(user)
        shown = self.shown_accounts
        if len(shown) < SHOWN_ACCOUNTS:
            bisect.insort(shown, user)
        elif user < shown[-1]:
            bisect.insort(shown, user)
            shown.pop()

    def add_text(self, text: str) -> None:
        """Count ``text`` towards the top terms (new texts only while there is room)."""
        texts = self.texts
        if text in texts or len(texts) < MAX_TALLIED_TEXTS:
            texts[text] += 1

    def account_count(self) -> str:
        """The number of accounts, as the alert's summary says it ("1000+" past the cap)."""
        return f"{len(self.accounts)}+" if self.more_accounts else str(len(self.accounts))

    def clear(self) -> None:
        self.restored = 0
        self.counted = 0
        self.generation += 1
        self.accounts.clear()
        self.more_accounts = False
        self.shown_accounts.clear()
        self.texts.clear()
        self.labels.clear()
        self.samples.clear()
        self.first, self.last = math.inf, -math.inf


@dataclass(slots=True)
class Active:
    """Detector-side state of one open alert."""

    alert_id: str
    level: int
    last_event: float
    last_size: float
    below_since: float | None = None


@dataclass(slots=True)
class Room:
    name: str
    first_ts: float
    last_ts: float
    now: float
    sec: int
    seen: int = 0
    #: The window, in whole seconds (:func:`stretch`), and the second of the
    #: comment that last fitted it.
    span: int = 20
    stretched_at: int = -1
    #: The first second of the window when it last grew (:func:`held`).
    grown_from: int = -(2**62)
    baseline: Baseline = field(default_factory=lambda: Baseline(300.0))
    buckets: deque[tuple[int, Counter[str]]] = field(default_factory=deque)
    window: Counter[str] = field(default_factory=new_counter)
    negatives: deque[Hit] = field(default_factory=deque)
    topics: dict[str, deque[Hit]] = field(default_factory=dict)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    #: At most the oldest ``last`` of ``clusters`` (what sets a cluster's
    #: ``last`` lowers it), so a prune that finds it recent enough skips them.
    cluster_floor: float = -math.inf
    cluster_seq: int = 0
    groups: list[RaidGroup] = field(default_factory=list)
    watch: deque[Hit] = field(default_factory=deque)
    raid: RaidTally = field(default_factory=RaidTally)
    active: dict[tuple[str, str], Active] = field(default_factory=dict)
    cooldown: dict[tuple[str, str], float] = field(default_factory=dict)
    #: Hits per user in each topic's deque (distinct askers without a walk).
    topic_users: dict[str, Counter[str | None]] = field(default_factory=dict)
    #: Each user's latest grievance topic in the window: (topic, ts), oldest first.
    user_topic: OrderedDict[str, tuple[str, float]] = field(default_factory=OrderedDict)
    pruned_at: float = -math.inf
    #: Running sums of the last part of the window, by its whole seconds
    #: (:func:`recent_count`).
    recent: dict[int, RecentSums] = field(default_factory=dict)
    #: What the negative spike's quick check needs of the room's current
    #: second (:func:`~roomwatch.core.alerts.negative_spike.may_fire`).
    spike_memo: tuple[int, float, tuple[tuple[int, int, int, bool], ...]] | None = None
    #: The room's second and its baseline volume of a window
    #: (:func:`~roomwatch.core.alerts.volume_surge.may_fire`).
    surge_memo: tuple[int, float] | None = None
    #: Past the warm-up (:func:`warm`; once warm, a room stays warm).
    warmed: bool = False
    #: The room's recent pace: its comments, each weighed down by
    #: exp(-age / outage_pace_seconds), as of ``pace_ts``, its last comment
    #: or the end of its last outage (:mod:`~roomwatch.core.alerts.volume_drop`).
    pace: float = 0.0
    pace_ts: float = -math.inf


# --------------------------------------------------------------------------- queries


def recent_count(room: Room, key: str, seconds: float) -> int:
    """Count of ``key`` in the last ``seconds`` (whole buckets, newest included).

    The whole window is kept summed (``room.window``); a shorter part by a
    :class:`~roomwatch.core.alerts.recent.RecentSums` (O(1) amortised, the
    same integers as summing its buckets).
    """
    n = math.ceil(seconds)
    first = room.sec - n + 1
    buckets = room.buckets
    if first <= buckets[0][0]:
        return room.window.get(key, 0)  # the whole window: kept summed
    part = room.recent.get(n)
    if part is None:
        part = room.recent[n] = RecentSums()
    total = part.sync(buckets, first).get(key, 0)
    sec, counts = buckets[-1]
    if sec >= first:
        total += counts.get(key, 0)
    return total


def recent_pair(room: Room, first_key: str, second_key: str, seconds: float) -> tuple[int, int]:
    """``(recent_count(room, first_key, seconds), recent_count(room, second_key, seconds))``,
    with one look at the part's sums."""
    n = math.ceil(seconds)
    first = room.sec - n + 1
    buckets = room.buckets
    if first <= buckets[0][0]:
        window = room.window
        return window.get(first_key, 0), window.get(second_key, 0)
    part = room.recent.get(n)
    if part is None:
        part = room.recent[n] = RecentSums()
    sums = part.sync(buckets, first)
    a = sums.get(first_key, 0)
    b = sums.get(second_key, 0)
    sec, counts = buckets[-1]
    if sec >= first and counts:
        a += counts.get(first_key, 0)
        b += counts.get(second_key, 0)
    return a, b


def claims(room: Room, detector: str, key: str, now: float) -> bool:
    """Whether an incident is open, or just resolved and still in cooldown.

    Comments belonging to such an incident are not counted again by the
    catch-all detectors (negative spike, watch list): one incident, one alert.
    """
    if (detector, key) in room.active:
        return True
    until = room.cooldown.get((detector, key))
    return until is not None and now < until


def claimed_topics(room: Room, now: float) -> set[str]:
    return {
        key
        for detector, key in (*room.active, *room.cooldown)
        if detector == "grievance_topic" and claims(room, detector, key, now)
    }


def complaints_on(room: Room, cfg: AlertConfig, now: float) -> bool:
    """A grievance topic is open or cooling down, or seed-topic complaints are gathering.

    Gathering: the window holds half a seed topic's firing count of
    seed-topic complaints, whichever topics they name (the first
    complaints of a wave often split: "发霉的苹果，要求退款").
    """
    if claimed_topics(room, now):
        return True
    seeds = cfg.topic_seeds
    gathered = sum(len(hits) for key, hits in room.topics.items() if key in seeds)
    return gathered * 2 >= cfg.topic_min_count


def forming_topics(room: Room, cfg: AlertConfig) -> set[str]:
    """Topics half way to their firing count."""
    return {
        key
        for key, hits in room.topics.items()
        if len(hits) * 2
        >= (cfg.topic_min_count if key in cfg.topic_seeds else cfg.cluster_min_count)
    }


def raid_forming(room: Room, cfg: AlertConfig) -> bool:
    """A near-duplicate group half way to a raid."""
    need = cfg.raid_min_accounts / 2
    return any(len(group.users) >= need for group in room.groups)


#: A baseline of fewer seconds than this says too little of a room's pace to
#: stretch its window by (the warm-up's own window is ``window_seconds``).
_PACE_WEIGHT: Final = 30.0


def stretch(room: Room, cfg: AlertConfig) -> None:
    """Fit the room's window (``room.span``) to its usual pace, as a comment comes.

    A room of 25 comments a minute has 8 in a 20-second window, too few for
    any wave to clear a detector's floor; its window stretches to hold about
    ``window_min_comments`` at the baseline's pace, up to
    ``max_window_seconds`` (:meth:`AlertConfig.span_for`). The span moves only
    when the pace has moved by a quarter (or to a bound), so a window does not
    breathe with every comment. A longer window fills up with the seconds to
    come (:func:`held` counts what it holds; the baseline waits for them); the
    seconds a shorter one lets go leave at once (the manager folds them into
    the baseline). Only a comment moves it: the quiet seconds between two
    comments keep one span, as :func:`~roomwatch.core.alerts.quiet.fast_forward`
    takes it.
    """
    room.stretched_at = room.sec
    base = room.baseline
    if base.weight < _PACE_WEIGHT:
        return
    want = cfg.span_for(base.mean("n"))
    span = room.span
    if want != span and (
        want * 4 > span * 5
        or want * 5 < span * 4
        or want == cfg.longest_span
        or want == cfg.shortest_span
    ):
        if want > span:
            room.grown_from = max(room.grown_from, room.sec - span + 1)
        room.span = want
        room.recent.clear()
        room.spike_memo = None
        room.surge_memo = None


def held(room: Room) -> int:
    """The seconds the room's window holds: ``room.span``, or fewer while a
    window that has just grown fills up (its counts are of fewer seconds)."""
    return min(room.span, room.sec - room.grown_from + 1)


def warm(room: Room, cfg: AlertConfig) -> bool:
    """Past the warm-up, for the baseline detectors.

    Measured on the comments seen, so a room that went quiet right after it
    appeared is still warming up.
    """
    if room.warmed:
        return True
    # (Both only grow: the room's time and the comments it has seen.)
    room.warmed = (
        room.last_ts - room.first_ts >= cfg.warmup_seconds and room.seen >= cfg.warmup_min_comments
    )
    return room.warmed
