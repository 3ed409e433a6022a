"""What happened in a show, gathered from the pipeline's verdicts in bounded memory.

:class:`ReportBuilder` is a pipeline output (``builder(results)``). It keeps
only summaries whose size does not grow with the number of comments:

* per-minute counts by label and the mean sentiment (record time; a long
  recording merges neighbouring buckets, so at most ``max_buckets`` are held);
* per room and minute the mean sentiment with the few most negative
  comments, so the worst moments can be shown with what was said;
* grievance topics: grievances grouped by their salient tokens (weighted by
  how rare each token is among grievances) into at most ``max_topics``
  clusters; the smallest cluster is dropped when a new one does not fit;
* abuse and spam per account, keyed by a hash of (room, user id), never the
  id itself, in a pruned top-k counter;
* raids: near-identical abuse or spam text from many accounts within
  ``raid_gap_s`` seconds of each other;
* the host's folded questions (a :class:`~roomwatch.core.queue.QuestionQueue`
  per room, as the live service runs them), each with its count and the
  minute it was asked most;
* alert events handed to :meth:`ReportBuilder.add_alert`.

:meth:`ReportBuilder.report` returns a frozen :class:`Report`; rendering it is
:mod:`roomwatch.report.html`'s job.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Protocol

from roomwatch.config import build_dataclass
from roomwatch.core.alerts import SEVERITY_RANK
from roomwatch.core.classify import LABELS
from roomwatch.core.queue import Item, QuestionQueue, QueueConfig, QueueEvent
from roomwatch.core.result import Result, Skipped
from roomwatch.core.verdict import Verdict
from roomwatch.errors import ConfigError

__all__ = [
    "Account",
    "AlertRow",
    "Bucket",
    "Moment",
    "Question",
    "Raid",
    "Report",
    "ReportBuilder",
    "ReportConfig",
    "RoomSummary",
    "Sample",
    "Topic",
    "account_hash",
]

_LABEL_INDEX: Final = {label: i for i, label in enumerate(LABELS)}
_N: Final = len(LABELS)
# Kinds whose text a viewer typed (the others are enter / like / gift / system).
_TYPED_KINDS: Final = frozenset({"comment", "superchat"})
_QUESTION_KINDS: Final = frozenset({"comment", "superchat", "gift"})
_FLAGGED: Final = frozenset({"abuse", "spam"})
_COMPACT_RE: Final = re.compile(r"[\W_]+", re.UNICODE)
# The normaliser's emoji placeholders: noise when comparing raid texts.
_PLACEHOLDER_RE: Final = re.compile(r"emo(?:pos|neg|lol|ask|neu)")

# Words that say nothing about what a grievance is about: particles, pronouns,
# forms of address, and the normaliser's emoji placeholders.
_STOPWORDS: Final = frozenset(
    """
    的 了 吗 呢 啊 吧 呀 哦 嘛 么 是 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 都 也 就 还
    在 有 和 个 不 没 没有 很 太 又 被 把 给 要 会 能 不能 说 人 主播 直播间 家 买 东西 什么
    怎么 为什么 一个 一下 真的 就是 还是 现在 今天 已经 可以 大家 自己 这么 那么 知道 感觉
    觉得 好像 然后 但是 因为 所以 号 啦 哈 哈哈 哈哈哈 嗯 哎 唉 这是 不是 宝宝 家人 家人们
    姐妹 姐妹们 姐姐 宝子 宝子们 老铁 县长 书记 领导 您 看看 您看 同问 有没有 一直 到底 好几
    emopos emoneg emolol emoask emoneu
    """.split()  # noqa: SIM905
)


def account_hash(room: str, user: str, salt: str = "") -> str:
    """The first 10 hex digits of sha256(salt + room + NUL + user)."""
    blob = f"{salt}{room}\x00{user}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(blob).hexdigest()[:10]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _compact(text: str) -> str:
    return _COMPACT_RE.sub("", unicodedata.normalize("NFKC", text).lower())


def _bigrams(text: str) -> frozenset[str]:
    if len(text) < 2:
        return frozenset({text})
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def _salient(tokens: Iterable[str]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        tok = tok.strip()
        if len(tok) < 2 or tok in _STOPWORDS or tok in out:
            continue
        if tok.isdigit() or not any(ch.isalnum() for ch in tok):
            continue
        out.append(tok)
    return out


# --------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class ReportConfig:
    """Bounds and thresholds of the report. Every bound is a count, not bytes."""

    #: Time buckets held; past this, neighbouring buckets merge (60 s → 120 s …).
    max_buckets: int = 20_000
    #: (room, minute) cells tracked for the worst moments.
    max_moments: int = 20_000
    #: Typed comments a minute needs before it can be a "most negative moment".
    moment_min_comments: int = 10
    #: Most negative moments shown.
    moments_shown: int = 5
    #: Sample comments kept per moment, per topic, per raid.
    samples: int = 3
    #: Longest sample text kept, in characters.
    sample_chars: int = 160
    #: Grievance topic clusters held.
    max_topics: int = 200
    #: Token counts held per topic (space-saving).
    topic_terms: int = 24
    #: Least weighted token overlap for a grievance to join a topic.
    topic_threshold: float = 0.5
    #: Tokens whose grievance document frequency is tracked (pruned counter).
    max_vocabulary: int = 20_000
    #: Accounts tracked for abuse and spam (pruned top-k counter).
    max_accounts: int = 512
    #: A raid's messages are at most this many seconds apart.
    raid_gap_s: float = 10.0
    #: Distinct accounts for a burst of near-identical abuse or spam to be a raid.
    raid_min_accounts: int = 5
    #: Character-bigram Jaccard for two messages to be near-identical.
    raid_similarity: float = 0.6
    #: Open near-identical groups held per room.
    raid_groups: int = 64
    #: Raids kept (the largest).
    max_raids: int = 50
    #: Folded questions kept after they leave the queue (the most asked).
    max_questions: int = 200
    #: Alerts kept (by id).
    max_alerts: int = 1_000
    #: Distinct abuse/spam accounts counted exactly up to this many.
    max_distinct_accounts: int = 100_000
    #: Prefixed to (room, user) before hashing account ids.
    hash_salt: str = ""

    def __post_init__(self) -> None:
        for name in (
            "max_buckets",
            "max_moments",
            "samples",
            "sample_chars",
            "max_topics",
            "topic_terms",
            "max_vocabulary",
            "max_accounts",
            "raid_min_accounts",
            "raid_groups",
            "max_raids",
            "max_questions",
            "max_alerts",
            "moments_shown",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"report.{name} must be an integer ≥ 1, not {value!r}")
        if self.max_buckets < 16:
            raise ConfigError("report.max_buckets must be at least 16")
        if self.sample_chars < 8:
            raise ConfigError("report.sample_chars must be at least 8")
        for name in ("topic_threshold", "raid_similarity"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ConfigError(f"report.{name} must be in (0, 1], not {value!r}")
        if self.raid_gap_s <= 0:
            raise ConfigError("report.raid_gap_s must be greater than 0")


# --------------------------------------------------------------------------- report values


@dataclass(frozen=True, slots=True)
class Sample:
    """One comment quoted in the report (text clipped to ``sample_chars``)."""

    text: str
    room: str
    ts: float
    label: str
    sentiment: float


@dataclass(frozen=True, slots=True)
class Bucket:
    """One time bucket of the timeline (``width`` seconds from ``start``)."""

    start: float
    width: float
    #: label -> verdicts in the bucket.
    counts: Mapping[str, int]
    #: Typed comments (comment / superchat with text), the base of ``sentiment``.
    typed: int
    #: Mean sentiment of the typed comments; None when there were none.
    sentiment: float | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Moment:
    """A minute of one room, with its mean sentiment and its worst comments."""

    room: str
    start: float
    typed: int
    sentiment: float
    samples: tuple[Sample, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    """A cluster of grievances about one thing."""

    terms: tuple[str, ...]
    count: int
    rooms: Mapping[str, int]
    first_ts: float
    last_ts: float
    sentiment: float
    samples: tuple[Sample, ...]


@dataclass(frozen=True, slots=True)
class Account:
    """An account that posted abuse or spam, by hash only."""

    hashed: str
    room: str
    count: int
    labels: Mapping[str, int]
    first_ts: float
    last_ts: float
    sample: str


@dataclass(frozen=True, slots=True)
class Raid:
    """Near-identical abuse or spam from many accounts within seconds."""

    room: str
    start: float
    end: float
    messages: int
    accounts: int
    labels: Mapping[str, int]
    #: Hashed ids of (up to 12 of) the accounts.
    hashed: tuple[str, ...]
    samples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    """A folded question from the host queue: how often, and when it peaked."""

    room: str
    text: str
    wordings: tuple[str, ...]
    count: int
    askers: int
    first_seen: float
    last_seen: float
    #: Start of the minute with the most asks, and the asks in it.
    peak_start: float
    peak_count: int
    state: str
    slots: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AlertRow:
    """The latest known state of one alert."""

    id: str
    room: str
    detector: str
    severity: str
    state: str
    started_at: float
    resolved_at: float | None
    summary: str
    updates: int


@dataclass(frozen=True, slots=True)
class RoomSummary:
    room: str
    total: int
    counts: Mapping[str, int]
    first_ts: float
    last_ts: float


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the HTML report shows. Built by :meth:`ReportBuilder.report`."""

    total: int
    typed: int
    labels: Mapping[str, int]
    skipped: Mapping[str, int]
    first_ts: float | None
    last_ts: float | None
    bucket_s: float
    buckets: tuple[Bucket, ...]
    rooms: tuple[RoomSummary, ...]
    moments: tuple[Moment, ...]
    topics: tuple[Topic, ...]
    grievances: int
    #: Grievances whose small clusters were dropped to stay in bounds.
    grievances_unclustered: int
    abuse_accounts: int
    abuse_accounts_capped: bool
    accounts: tuple[Account, ...]
    raids: tuple[Raid, ...]
    questions: tuple[Question, ...]
    alerts: tuple[AlertRow, ...]
    #: Mean sentiment over all typed comments.
    sentiment: float | None = None
    rooms_other: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def peak(self) -> Bucket | None:
        """The busiest bucket (ties: the earliest)."""
        best: Bucket | None = None
        for b in self.buckets:
            if best is None or b.total > best.total:
                best = b
        return best

    @property
    def peak_per_min(self) -> float:
        """Peak rate in records per minute."""
        peak = self.peak
        return 0.0 if peak is None else peak.total * 60.0 / peak.width

    def shares(self) -> dict[str, float]:
        """Percent of verdicts per label, to one decimal, summing to exactly 100.

        Rounded by largest remainder, so the column adds up in the table.
        """
        total = sum(self.labels.values())
        if total == 0:
            return {label: 0.0 for label in LABELS}
        tenths = {label: self.labels.get(label, 0) * 1000 / total for label in LABELS}
        floors = {label: math.floor(v) for label, v in tenths.items()}
        missing = 1000 - sum(floors.values())
        by_remainder = sorted(LABELS, key=lambda lb: (floors[lb] - tenths[lb], LABELS.index(lb)))
        for label in by_remainder[:missing]:
            floors[label] += 1
        return {label: floors[label] / 10 for label in LABELS}


# --------------------------------------------------------------------------- helpers


class _Pruned:
    """Counts keys, holding at most ``2 × cap``; then keeps the ``cap`` largest.

    The frequent keys survive, rare ones are forgotten (their counts are lost,
    which only ever undercounts). Amortised O(1) per add.
    """

    __slots__ = ("_cap", "counts")

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self.counts: dict[str, int] = {}

    def add(self, key: str, n: int = 1) -> None:
        counts = self.counts
        counts[key] = counts.get(key, 0) + n
        if len(counts) > 2 * self._cap:
            keep = heapq.nlargest(self._cap, counts.items(), key=lambda kv: kv[1])
            self.counts = dict(keep)

    def get(self, key: str) -> int:
        return self.counts.get(key, 0)


class _SpaceSaving:
    """Space-saving top-k: at most ``k`` keys; a newcomer replaces the smallest."""

    __slots__ = ("_k", "counts")

    def __init__(self, k: int) -> None:
        self._k = k
        self.counts: dict[str, int] = {}

    def add(self, key: str) -> str | None:
        """Count ``key``; returns the key it evicted, if any."""
        counts = self.counts
        if key in counts:
            counts[key] += 1
            return None
        if len(counts) < self._k:
            counts[key] = 1
            return None
        victim = min(counts, key=counts.__getitem__)
        floor = counts.pop(victim)
        counts[key] = floor + 1
        return victim

    def top(self, n: int) -> list[tuple[str, int]]:
        return heapq.nlargest(n, self.counts.items(), key=lambda kv: kv[1])


def _keep_samples(samples: list[Sample], sample: Sample, limit: int) -> None:
    """Keep up to ``limit`` samples with distinct texts, first seen first."""
    if len(samples) >= limit:
        return
    if any(s.text == sample.text for s in samples):
        return
    samples.append(sample)


class _Moment:
    __slots__ = ("n", "samples", "sum")

    def __init__(self) -> None:
        self.sum = 0.0
        self.n = 0
        # The most negative comments, most negative first.
        self.samples: list[Sample] = []

    def add(self, sentiment: float) -> None:
        self.sum += sentiment
        self.n += 1

    def wants(self, sentiment: float, limit: int) -> bool:
        """Whether a comment this unhappy could be one of the samples."""
        samples = self.samples
        return len(samples) < limit or sentiment < samples[-1].sentiment

    def keep(self, sample: Sample, limit: int) -> None:
        samples = self.samples
        if any(s.text == sample.text for s in samples):
            return
        samples.append(sample)
        samples.sort(key=lambda s: s.sentiment)
        del samples[limit:]

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else 0.0


class _Topic:
    __slots__ = ("count", "first_ts", "id", "last_ts", "rooms", "samples", "sent", "terms")

    def __init__(self, topic_id: int, k: int, ts: float) -> None:
        self.id = topic_id
        self.count = 0
        self.terms = _SpaceSaving(k)
        self.samples: list[Sample] = []
        self.rooms: dict[str, int] = {}
        self.first_ts = ts
        self.last_ts = ts
        self.sent = 0.0


class _Account:
    __slots__ = ("first_ts", "labels", "last_ts", "room", "sample")

    def __init__(self, room: str, ts: float, sample: str) -> None:
        self.room = room
        self.first_ts = ts
        self.last_ts = ts
        self.labels = [0, 0]  # abuse, spam
        self.sample = sample


class _RaidGroup:
    __slots__ = ("accounts", "end", "key", "labels", "messages", "samples", "shingles", "start")

    def __init__(self, key: str, ts: float) -> None:
        self.key = key
        self.shingles = _bigrams(key)
        self.start = ts
        self.end = ts
        self.messages = 0
        self.accounts: dict[str, None] = {}
        self.labels = [0, 0]
        self.samples: list[str] = []

    def freeze(self, room: str) -> Raid:
        return Raid(
            room=room,
            start=self.start,
            end=self.end,
            messages=self.messages,
            accounts=len(self.accounts),
            labels=MappingProxyType({"abuse": self.labels[0], "spam": self.labels[1]}),
            hashed=tuple(list(self.accounts)[:12]),
            samples=tuple(self.samples),
        )


class _Tracked:
    """A folded question seen on the queue's events."""

    __slots__ = ("item", "minute", "minute_count", "peak_count", "peak_minute", "seen_count")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.seen_count = 0
        self.minute = -1
        self.minute_count = 0
        self.peak_minute = -1
        self.peak_count = 0

    def observe(self, item: Item, ts: float) -> None:
        self.item = item
        gained = item.count - self.seen_count
        self.seen_count = item.count
        if gained <= 0:
            return
        minute = int(ts // 60)
        if minute != self.minute:
            self.minute = minute
            self.minute_count = 0
        self.minute_count += gained
        if self.minute_count > self.peak_count:
            self.peak_count = self.minute_count
            self.peak_minute = minute

    def freeze(self) -> Question:
        item = self.item
        peak_minute = self.peak_minute if self.peak_minute >= 0 else int(item.first_seen // 60)
        return Question(
            room=item.room,
            text=item.text,
            wordings=item.wordings,
            count=item.count,
            askers=item.askers,
            first_seen=item.first_seen,
            last_seen=item.last_seen,
            peak_start=peak_minute * 60.0,
            peak_count=max(self.peak_count, 1),
            state=item.state,
            slots=item.slots,
        )


class _SupportsToDict(Protocol):
    def to_dict(self) -> Mapping[str, Any]: ...


# --------------------------------------------------------------------------- the builder


class ReportBuilder:
    """A pipeline output that summarises a show for :func:`render_html`."""

    stage = "report"

    def __init__(
        self,
        config: ReportConfig | Mapping[str, Any] | None = None,
        *,
        queue: QueueConfig | Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(config, ReportConfig):
            self.config = config
        else:
            self.config = build_dataclass(ReportConfig, config or {}, "report")
        if isinstance(queue, QueueConfig):
            self._queue_config = queue
        else:
            self._queue_config = build_dataclass(QueueConfig, queue or {}, "queue")
        cfg = self.config
        self._total = 0
        self._typed = 0
        self._sent_sum = 0.0
        self._labels = [0] * _N
        self._skipped: dict[str, int] = {}
        self._first: float | None = None
        self._last: float | None = None
        # Timeline: bucket index -> [count per label..., sentiment sum, typed].
        self._width = 60.0
        self._buckets: dict[int, list[float]] = {}
        # Rooms: room -> [count per label..., first ts, last ts].
        self._rooms: dict[str, list[float]] = {}
        # Worst moments: (room, minute) -> _Moment; newest minute per room.
        self._moments: dict[tuple[str, int], _Moment] = {}
        self._room_minute: dict[str, int] = {}
        # Grievance topics.
        self._topics: dict[int, _Topic] = {}
        self._topic_index: dict[str, set[int]] = {}
        self._topic_seq = 0
        self._vocab = _Pruned(cfg.max_vocabulary)
        self._grievances = 0
        self._unclustered = 0
        # Abuse and spam.
        self._accounts = _Pruned(cfg.max_accounts)
        self._account_info: dict[str, _Account] = {}
        self._distinct: set[str] = set()
        self._distinct_capped = False
        self._raid_groups: dict[str, list[_RaidGroup]] = {}
        self._raids: list[tuple[int, int, int, Raid]] = []  # heap by accounts
        self._raid_seq = 0
        # Questions.
        self._queues: dict[str, QuestionQueue] = {}
        self._tracked: dict[tuple[str, str], _Tracked] = {}
        self._done: list[tuple[int, int, Question]] = []  # heap by count
        self._done_seq = 0
        # Alerts.
        self._alerts: dict[str, dict[str, Any]] = {}
        self._ignored_alerts = 0

    # -- pipeline output ---------------------------------------------------

    def __call__(self, results: Sequence[Result]) -> None:
        newest: dict[str, float] = {}
        for r in results:
            if isinstance(r, Skipped):
                self._skipped[r.reason] = self._skipped.get(r.reason, 0) + 1
                continue
            self.add(r)
            room = r.comment.room
            if r.comment.ts > newest.get(room, -math.inf):
                newest[room] = r.comment.ts
        for room, ts in newest.items():
            q = self._queues.get(room)
            if q is not None:
                self._on_events(q.tick(ts), ts)

    def add(self, v: Verdict) -> None:
        """Take one verdict (the pipeline output calls this for each)."""
        c = v.comment
        ts = c.ts
        label = v.label
        li = _LABEL_INDEX.get(label, _N - 1)
        self._total += 1
        self._labels[li] += 1
        if self._first is None or ts < self._first:
            self._first = ts
        if self._last is None or ts > self._last:
            self._last = ts
        typed = c.kind in _TYPED_KINDS and bool(v.normalized.text.strip())

        key = int(ts // self._width)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = [0.0] * (_N + 2)
            if len(self._buckets) > self.config.max_buckets:
                self._coarsen()
                key = int(ts // self._width)
                bucket = self._buckets[key]
        bucket[li] += 1
        if typed:
            bucket[_N] += v.sentiment
            bucket[_N + 1] += 1

        room = self._rooms.get(c.room)
        if room is None:
            room = self._rooms[c.room] = [0.0] * _N + [ts, ts]
        room[li] += 1
        if ts < room[_N]:
            room[_N] = ts
        if ts > room[_N + 1]:
            room[_N + 1] = ts

        if typed:
            self._typed += 1
            self._sent_sum += v.sentiment
            self._add_moment(v)
        if label == "grievance" and typed:
            self._add_grievance(v)
        elif label in _FLAGGED and typed:
            self._add_flagged(v)
        elif label == "question" and c.kind in _QUESTION_KINDS:
            q = self._queues.get(c.room)
            if q is None:
                q = self._queues[c.room] = QuestionQueue(c.room, self._queue_config)
            confidence = v.scores.get("question", 0.0)
            self._on_events(q.add(c, v.normalized.text, v.tokens, confidence, ts), ts)

    def add_alert(self, event: Mapping[str, Any] | _SupportsToDict) -> None:
        """Record an alert event (``open`` / ``update`` / ``resolve`` / ``ack``).

        Takes the hub's wire form ``{"type", "ts", "alert": {...}}``, an
        :class:`~roomwatch.core.alerts.AlertEvent`, or a flat dict with at
        least ``id``, ``severity``, ``detector``, ``room``, ``started_at`` (or
        ``ts``) and ``summary``. Malformed events are ignored and counted in
        ``extra["alerts_ignored"]``.
        """
        raw: Mapping[str, Any] = event if isinstance(event, Mapping) else event.to_dict()
        kind = str(raw.get("type") or raw.get("kind") or raw.get("event") or "")
        body = raw.get("alert")
        alert: Mapping[str, Any] = body if isinstance(body, Mapping) else raw
        alert_id = alert.get("id")
        ts = _as_float(raw.get("ts"))
        started = _as_float(alert.get("started_at"))
        if started is None:
            started = ts
        if alert_id is None or started is None:
            self._ignored_alerts += 1
            return
        key = str(alert_id)
        row = self._alerts.get(key)
        if row is None:
            if len(self._alerts) >= self.config.max_alerts:
                self._ignored_alerts += 1
                return
            row = self._alerts[key] = {
                "id": key,
                "room": "",
                "detector": "",
                "severity": "info",
                "state": "open",
                "started_at": started,
                "resolved_at": None,
                "summary": "",
                "updates": 0,
            }
        else:
            row["updates"] += 1
        for name in ("room", "detector", "summary"):
            value = alert.get(name)
            if value is not None:
                row[name] = _clip(str(value), 300)
        severity = str(alert.get("severity") or row["severity"])
        if SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(row["severity"], 0):
            row["severity"] = severity
        row["started_at"] = min(row["started_at"], started)
        state = alert.get("state")
        if kind == "resolve" or state == "resolved":
            row["state"] = "resolved"
            resolved = _as_float(alert.get("resolved_at"))
            row["resolved_at"] = resolved if resolved is not None else ts
        elif isinstance(state, str) and row["state"] != "resolved":
            row["state"] = _clip(state, 20)

    # -- pieces --------------------------------------------------------------

    def _sample(self, v: Verdict) -> Sample:
        c = v.comment
        return Sample(_clip(c.text, self.config.sample_chars), c.room, c.ts, v.label, v.sentiment)

    def _coarsen(self) -> None:
        """Double the bucket width, merging neighbours."""
        self._width *= 2
        merged: dict[int, list[float]] = {}
        for key, values in self._buckets.items():
            target = merged.get(key // 2)
            if target is None:
                merged[key // 2] = values
            else:
                for i, x in enumerate(values):
                    target[i] += x
        self._buckets = merged

    def _add_moment(self, v: Verdict) -> None:
        c = v.comment
        minute = int(c.ts // 60)
        newest = self._room_minute.get(c.room)
        if newest is None or minute > newest:
            self._room_minute[c.room] = minute
        key = (c.room, minute)
        cell = self._moments.get(key)
        if cell is None:
            cell = self._moments[key] = _Moment()
            if len(self._moments) > self.config.max_moments:
                self._prune_moments()
                cell = self._moments.setdefault(key, _Moment())
        cell.add(v.sentiment)
        # The sample is built only for the few comments that may be kept.
        if cell.wants(v.sentiment, self.config.samples):
            cell.keep(self._sample(v), self.config.samples)

    def _prune_moments(self) -> None:
        """Forget the least negative half of the settled (room, minute) cells."""
        cells = self._moments
        settled = [
            (cell.mean if cell.n >= self.config.moment_min_comments else math.inf, key)
            for key, cell in cells.items()
            if key[1] < self._room_minute.get(key[0], key[1]) - 2
        ]
        settled.sort(reverse=True)
        for _, key in settled[: max(len(cells) // 2, 1)]:
            del cells[key]
        if len(cells) > self.config.max_moments:
            # Too many rooms are live at once: drop the thinnest cells anyway.
            thin = sorted(cells, key=lambda key: cells[key].n)
            for key in thin[: len(cells) // 2]:
                del cells[key]

    def _add_grievance(self, v: Verdict) -> None:
        cfg = self.config
        c = v.comment
        self._grievances += 1
        tokens = _salient(v.tokens)
        if not tokens:
            tokens = [_compact(v.normalized.text)[:12] or "…"]
        vocab = self._vocab
        for t in tokens:
            vocab.add(t)
        n = self._grievances
        weights = [math.log1p(n / (1 + vocab.get(t))) + 0.1 for t in tokens]
        total_w = sum(weights)
        best: _Topic | None = None
        best_score = 0.0
        candidates: set[int] = set()
        for t in tokens:
            ids = self._topic_index.get(t)
            if ids:
                candidates |= ids
        for tid in candidates:
            topic = self._topics[tid]
            counts = topic.terms.counts
            score = sum(
                w * min(counts.get(t, 0) / topic.count, 1.0)
                for t, w in zip(tokens, weights, strict=True)
            )
            score /= total_w
            if score > best_score or (
                score == best_score and best is not None and topic.count > best.count
            ):
                best, best_score = topic, score
        if best is None or best_score < cfg.topic_threshold:
            if len(self._topics) >= cfg.max_topics:
                self._drop_smallest_topic()
            self._topic_seq += 1
            best = _Topic(self._topic_seq, cfg.topic_terms, c.ts)
            self._topics[best.id] = best
        topic = best
        topic.count += 1
        topic.sent += v.sentiment
        topic.first_ts = min(topic.first_ts, c.ts)
        topic.last_ts = max(topic.last_ts, c.ts)
        if c.room in topic.rooms or len(topic.rooms) < 16:
            topic.rooms[c.room] = topic.rooms.get(c.room, 0) + 1
        if len(topic.samples) < cfg.samples:
            _keep_samples(topic.samples, self._sample(v), cfg.samples)
        for t in tokens:
            evicted = topic.terms.add(t)
            if evicted is not None:
                ids = self._topic_index.get(evicted)
                if ids is not None:
                    ids.discard(topic.id)
                    if not ids:
                        del self._topic_index[evicted]
            self._topic_index.setdefault(t, set()).add(topic.id)

    def _drop_smallest_topic(self) -> None:
        victim = min(self._topics.values(), key=lambda t: (t.count, -t.id))
        del self._topics[victim.id]
        self._unclustered += victim.count
        for term in victim.terms.counts:
            ids = self._topic_index.get(term)
            if ids is not None:
                ids.discard(victim.id)
                if not ids:
                    del self._topic_index[term]

    def _add_flagged(self, v: Verdict) -> None:
        cfg = self.config
        c = v.comment
        li = 0 if v.label == "abuse" else 1
        user = c.user_key
        hashed = account_hash(c.room, user, cfg.hash_salt) if user is not None else None
        if hashed is not None:
            if not self._distinct_capped:
                self._distinct.add(hashed)
                if len(self._distinct) >= cfg.max_distinct_accounts:
                    self._distinct_capped = True
            self._accounts.add(hashed)
            info = self._account_info.get(hashed)
            if info is None:
                info = self._account_info[hashed] = _Account(
                    c.room, c.ts, _clip(c.text, cfg.sample_chars)
                )
                if len(self._account_info) > 2 * cfg.max_accounts + 1:
                    live = self._accounts.counts
                    self._account_info = {k: a for k, a in self._account_info.items() if k in live}
            info.labels[li] += 1
            info.first_ts = min(info.first_ts, c.ts)
            info.last_ts = max(info.last_ts, c.ts)
        self._add_raid(v, li, hashed)

    def _add_raid(self, v: Verdict, li: int, hashed: str | None) -> None:
        cfg = self.config
        c = v.comment
        key = _PLACEHOLDER_RE.sub("", _compact(v.normalized.text))[:80] or _compact(c.text)[:80]
        if not key:
            return
        groups = self._raid_groups.setdefault(c.room, [])
        # Close groups that went quiet.
        if groups:
            alive: list[_RaidGroup] = []
            for g in groups:
                if c.ts - g.end > cfg.raid_gap_s:
                    self._close_raid(c.room, g)
                else:
                    alive.append(g)
            groups[:] = alive
        match: _RaidGroup | None = None
        for g in groups:
            if g.key == key:
                match = g
                break
        if match is None:
            shingles = _bigrams(key)
            best = 0.0
            for g in groups:
                inter = len(shingles & g.shingles)
                if not inter:
                    continue
                sim = inter / (len(shingles) + len(g.shingles) - inter)
                if sim >= cfg.raid_similarity and sim > best:
                    match, best = g, sim
        if match is None:
            if len(groups) >= cfg.raid_groups:
                oldest = min(groups, key=lambda g: g.end)
                groups.remove(oldest)
                self._close_raid(c.room, oldest)
            match = _RaidGroup(key, c.ts)
            groups.append(match)
        match.messages += 1
        match.labels[li] += 1
        match.start = min(match.start, c.ts)
        match.end = max(match.end, c.ts)
        if hashed is not None and len(match.accounts) < 256:
            match.accounts[hashed] = None
        if len(match.samples) < cfg.samples:
            text = _clip(c.text, cfg.sample_chars)
            if text not in match.samples:
                match.samples.append(text)

    def _close_raid(self, room: str, g: _RaidGroup) -> None:
        cfg = self.config
        if len(g.accounts) < cfg.raid_min_accounts:
            return
        raid = g.freeze(room)
        self._raid_seq += 1
        entry = (raid.accounts, -self._raid_seq, raid.messages, raid)
        if len(self._raids) < cfg.max_raids:
            heapq.heappush(self._raids, entry)
        else:
            heapq.heappushpop(self._raids, entry)

    def _on_events(self, events: Iterable[QueueEvent], ts: float) -> None:
        for event in events:
            if event.item is not None:
                key = (event.room, event.item.id)
                tracked = self._tracked.get(key)
                if tracked is None:
                    tracked = self._tracked[key] = _Tracked(event.item)
                tracked.observe(event.item, ts)
            elif event.type == "removed" and event.item_id is not None:
                gone = self._tracked.pop((event.room, event.item_id), None)
                if gone is not None:
                    self._finish(gone.freeze())

    def _finish(self, question: Question) -> None:
        self._done_seq += 1
        entry = (question.count, -self._done_seq, question)
        if len(self._done) < self.config.max_questions:
            heapq.heappush(self._done, entry)
        else:
            heapq.heappushpop(self._done, entry)

    # -- the result ------------------------------------------------------------

    def report(self) -> Report:
        """A frozen summary of everything seen so far (can be called again later)."""
        cfg = self.config
        width = self._width
        buckets = tuple(
            Bucket(
                start=key * width,
                width=width,
                counts=MappingProxyType({label: int(values[i]) for i, label in enumerate(LABELS)}),
                typed=int(values[_N + 1]),
                sentiment=values[_N] / values[_N + 1] if values[_N + 1] else None,
            )
            for key, values in sorted(self._buckets.items())
        )
        rooms_sorted = sorted(self._rooms.items(), key=lambda kv: -sum(kv[1][:_N]))
        rooms = tuple(
            RoomSummary(
                room=name,
                total=int(sum(values[:_N])),
                counts=MappingProxyType({lb: int(values[i]) for i, lb in enumerate(LABELS)}),
                first_ts=values[_N],
                last_ts=values[_N + 1],
            )
            for name, values in rooms_sorted[:50]
        )
        return Report(
            total=self._total,
            typed=self._typed,
            labels=MappingProxyType({lb: self._labels[i] for i, lb in enumerate(LABELS)}),
            skipped=MappingProxyType(dict(sorted(self._skipped.items()))),
            first_ts=self._first,
            last_ts=self._last,
            bucket_s=width,
            buckets=buckets,
            rooms=rooms,
            rooms_other=max(len(rooms_sorted) - 50, 0),
            moments=self._worst_moments(),
            topics=self._topic_list(),
            grievances=self._grievances,
            grievances_unclustered=self._unclustered,
            abuse_accounts=len(self._distinct),
            abuse_accounts_capped=self._distinct_capped,
            accounts=self._account_list(),
            raids=self._raid_list(),
            questions=self._question_list(),
            alerts=self._alert_list(),
            sentiment=self._sent_sum / self._typed if self._typed else None,
            extra=MappingProxyType(
                {
                    "alerts_ignored": self._ignored_alerts,
                    "moment_min_comments": cfg.moment_min_comments,
                    "raid_min_accounts": cfg.raid_min_accounts,
                    "raid_gap_s": cfg.raid_gap_s,
                }
            ),
        )

    def _worst_moments(self) -> tuple[Moment, ...]:
        cfg = self.config
        cells = [(cell.mean, key, cell) for key, cell in self._moments.items()]
        threshold = cfg.moment_min_comments
        eligible = [x for x in cells if x[2].n >= threshold]
        if not eligible:
            eligible = [x for x in cells if x[2].n >= min(3, threshold)]
        eligible.sort(key=lambda x: (x[0], x[1]))
        picked: list[Moment] = []
        for mean, (room, minute), cell in eligible:
            if mean >= 0 or len(picked) >= cfg.moments_shown:
                break
            # Neighbouring minutes of one incident are one moment.
            if any(m.room == room and abs(m.start / 60 - minute) <= 2 for m in picked):
                continue
            picked.append(
                Moment(
                    room=room,
                    start=minute * 60.0,
                    typed=cell.n,
                    sentiment=mean,
                    samples=tuple(cell.samples),
                )
            )
        return tuple(picked)

    def _topic_list(self) -> tuple[Topic, ...]:
        topics = sorted(self._topics.values(), key=lambda t: (-t.count, t.id))
        out = []
        g = max(self._grievances, 1)
        vocab = self._vocab
        for t in topics[:30]:
            # Name a topic by the words it holds far more often than grievances
            # at large: share in the topic × log(lift).
            def weight(kv: tuple[str, int], t: _Topic = t) -> float:
                share = min(kv[1] / t.count, 1.0)
                overall = max(vocab.get(kv[0]), kv[1]) / g
                return share * math.log(max(share / overall, 1.0) + 1e-9)

            ranked = sorted(t.terms.counts.items(), key=lambda kv: (-weight(kv), kv[0]))
            # Words most members share; at least the best two.
            common = [kv for kv in ranked if kv[1] * 2 >= t.count]
            terms = tuple(term for term, _ in (common if len(common) >= 2 else ranked)[:4])
            out.append(
                Topic(
                    terms=terms,
                    count=t.count,
                    rooms=MappingProxyType(dict(sorted(t.rooms.items(), key=lambda kv: -kv[1]))),
                    first_ts=t.first_ts,
                    last_ts=t.last_ts,
                    sentiment=t.sent / t.count if t.count else 0.0,
                    samples=tuple(t.samples),
                )
            )
        return tuple(out)

    def _account_list(self) -> tuple[Account, ...]:
        out = []
        for hashed, count in heapq.nlargest(
            30, self._accounts.counts.items(), key=lambda kv: (kv[1], kv[0])
        ):
            info = self._account_info.get(hashed)
            if info is None:
                continue
            out.append(
                Account(
                    hashed=hashed,
                    room=info.room,
                    count=count,
                    labels=MappingProxyType({"abuse": info.labels[0], "spam": info.labels[1]}),
                    first_ts=info.first_ts,
                    last_ts=info.last_ts,
                    sample=info.sample,
                )
            )
        return tuple(out)

    def _raid_list(self) -> tuple[Raid, ...]:
        raids = [entry[3] for entry in self._raids]
        # Groups still open at the end count too (without changing state).
        for room, groups in self._raid_groups.items():
            raids.extend(
                g.freeze(room) for g in groups if len(g.accounts) >= self.config.raid_min_accounts
            )
        raids.sort(key=lambda r: (-r.accounts, -r.messages, r.start))
        return tuple(raids[: self.config.max_raids])

    def _question_list(self) -> tuple[Question, ...]:
        questions = [q for _, _, q in self._done]
        for tracked in self._tracked.values():
            questions.append(tracked.freeze())
        questions.sort(key=lambda q: (-q.count, -q.askers, q.first_seen, q.room, q.text))
        return tuple(questions[:50])

    def _alert_list(self) -> tuple[AlertRow, ...]:
        rows = [AlertRow(**r) for r in self._alerts.values()]
        rows.sort(key=lambda a: (a.started_at, a.id))
        return tuple(rows)


def _as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None
