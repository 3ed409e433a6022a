"""Public-opinion alerts: per-room detectors and the alert lifecycle (sans-I/O).

The runner feeds every analysed comment, in ``ts`` order, to
:meth:`AlertManager.observe` as an :class:`Observation`, and calls
:meth:`AlertManager.tick` once per second of *record* time (never the wall
clock). Both return :class:`AlertEvent` values (``open``, ``update``,
``resolve``; :meth:`AlertManager.acknowledge` returns ``ack``) that the hub
sends on the ``alerts`` channel and the webhook sink delivers.

Detectors, each per room:

``negative_spike``
    The share of negative comments (``sentiment <= negative_sentiment``) in the
    last ``window_seconds`` (or its last three quarters or half) is far above
    the room's own learned share.
``grievance_topic``
    Grievances on one topic (seed lexicon such as 发霉/退款/过敏, or an
    incremental token cluster for topics the lexicon does not know) rise well
    above the topic's baseline share. One alert per topic, naming it with its
    top terms and sample comments.
``abuse_raid``
    Many distinct accounts post near-identical (character-bigram Jaccard)
    abusive or spam text within ``raid_window_seconds``. One alert per room
    per raid, listing the accounts and message count.
``watchlist``
    Terms from the room's watch list (12315, 曝光, 维权 ...) are mentioned at a
    rate above ``watch_min_count`` per window and above their baseline.
``volume_drop``
    The feed goes silent (detected by :meth:`AlertManager.tick`) in a room
    that normally has traffic.
``volume_surge``
    Comment volume explodes to ``surge_ratio`` times the baseline. A flash
    sale that multiplies volume by five is normal business, so this detector
    fires only at a much higher multiple and only ever at ``info`` severity;
    whether a surge is *bad* is decided by the share-based detectors above,
    which are unaffected by volume.

Baselines are exponentially weighted means of per-second counts (half-life
``baseline_half_life_seconds``) that learn online from the seconds leaving the
window, so a baseline never contains the window it is compared with. Shares
are ratios of two such means, so a room that is simply getting busier keeps
the same baseline share. While an alert is open its baseline learns at
``active_learning_rate`` of the normal speed, so the incident does not become
the new normal at once. Baseline detectors stay quiet for ``warmup_seconds``
of comments and until ``warmup_min_comments`` comments have been seen.

Firing needs both practical and statistical significance: a share well above
the baseline share, and a count the baseline would reach by chance with
probability below ``surprise_alpha`` (Poisson tail), using the larger of the
share- and rate-based expectations (a happy flash sale dilutes the share
baseline; the rate-based one keeps the bar up), each taken at an upper bound
that allows for the baseline's own uncertainty (``baseline_margin_sigmas``;
wide while the baseline is young). The share-based expectation of negatives
scales the window's *other* comments by the baseline odds, so a mood turn
does not raise its own bar. The negative spike also looks at the last three
quarters and half of the window, so a sudden turn is seen within seconds.

One incident, one alert: comments that belong to an open (or just resolved,
still cooling down) ``grievance_topic`` or ``abuse_raid`` alert are not
counted again by ``negative_spike`` and ``watchlist`` (while a complaint wave
is on or seed-topic complaints are gathering, every grievance-labelled comment
and every unhappy watch-list mention is the wave's); watch-list mentions in
a topic that is forming are left to the topic detector; an incremental
cluster that forms while a negative spike is on is part of that mood turn
(seed topics still open); and a raid must open as a burst (its accounts
within half the raid window), so a phrase many viewers of a souring room
repeat is not one. While the feed is down every baseline learns slowly.

Alert hygiene: an ongoing incident keeps its id and is *updated* (at most every
``update_min_interval_seconds``, unless severity escalates); severity never
drops while open; it resolves exactly once after staying below the resolve
level for ``resolve_hold_seconds``; the same detector, room and topic cannot
open again for ``cooldown_seconds`` after resolving.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import statistics
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Final, Protocol

from roomwatch.core.record import Comment
from roomwatch.errors import ConfigError, RoomwatchError

__all__ = [
    "DEFAULT_TOPIC_SEEDS",
    "DEFAULT_WATCH_TERMS",
    "DETECTORS",
    "EVENT_KINDS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "SYSTEM_ROOM",
    "Alert",
    "AlertConfig",
    "AlertError",
    "AlertEvent",
    "AlertManager",
    "AuditRecord",
    "Evidence",
    "Observation",
    "Sample",
    "severity_at_least",
]

SEVERITIES: Final = ("info", "warning", "critical")
#: Severity -> its rank (higher is worse).
SEVERITY_RANK: Final = {severity: i for i, severity in enumerate(SEVERITIES)}
EVENT_KINDS: Final = ("open", "update", "resolve", "ack")
DETECTORS: Final = (
    "negative_spike",
    "grievance_topic",
    "abuse_raid",
    "watchlist",
    "volume_drop",
    "volume_surge",
    "system",
)
#: Room of alerts about roomwatch itself (``system``): they concern every room.
SYSTEM_ROOM: Final = "*"
STATES: Final = ("open", "acknowledged", "resolved")
_LABELS: Final = frozenset({"question", "grievance", "abuse", "spam", "chatter"})
#: Record kinds that carry a viewer's words (the others only show the feed is alive).
_TEXT_KINDS: Final = frozenset({"comment", "superchat"})
_FLAGGED: Final = frozenset({"abuse", "spam"})

#: Seed lexicon for grievance topics: topic name -> terms (matched as
#: substrings of the normalised text). Topics it does not know are found by
#: incremental token clustering instead.
DEFAULT_TOPIC_SEEDS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "质量问题": (
            "发霉",
            "霉变",
            "长毛",
            "烂果",
            "烂了",
            "坏果",
            "坏了",
            "变质",
            "腐烂",
            "不新鲜",
            "有虫",
            "虫子",
            "发臭",
            "臭了",
            "酸臭",
            "压烂",
            "磕碰",
        ),
        "食品安全": (
            "食品安全",
            "过敏",
            "拉肚子",
            "腹泻",
            "中毒",
            "呕吐",
            "吃坏",
            "农药",
            "添加剂",
            "防腐剂",
            "三无",
            "肚子疼",
        ),
        "退款售后": (
            "退款",
            "退货",
            "售后",
            "不给退",
            "拒绝退",
            "客服不理",
            "客服不回",
            "没人理",
            "赔偿",
            "仅退款",
        ),
        "物流发货": ("没发货", "不发货", "快递", "物流", "催发货", "还没到", "破损", "丢件"),
        "拖欠工资": ("拖欠", "欠薪", "工资", "讨薪", "血汗钱", "结工钱"),
        "虚假宣传": (
            "假货",
            "货不对板",
            "缺斤少两",
            "虚假宣传",
            "以次充好",
            "图片不符",
            "骗人",
            "欺骗",
            "挂羊头",
            "分量不足",
        ),
    }
)

#: Default watch list; :attr:`AlertConfig.room_watch_terms` replaces it per room.
DEFAULT_WATCH_TERMS: Final = ("12315", "曝光", "维权", "投诉", "食品安全", "过敏")

_STOPWORDS: Final = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "哦",
        "嘛",
        "么",
        "是",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "都",
        "也",
        "就",
        "还",
        "在",
        "有",
        "和",
        "个",
        "不",
        "没",
        "没有",
        "很",
        "太",
        "又",
        "被",
        "把",
        "给",
        "要",
        "会",
        "能",
        "说",
        "人",
        "主播",
        "直播间",
        "家",
        "买",
        "东西",
        "什么",
        "怎么",
        "为什么",
        "一个",
        "一下",
        "真的",
        "就是",
        "还是",
        "现在",
        "今天",
        "已经",
        "可以",
        "大家",
        "自己",
        "这么",
        "那么",
        "知道",
        "感觉",
        "觉得",
        "好像",
        "然后",
        "但是",
        "因为",
        "所以",
        "一",
        "二",
        "三",
        "号",
        "斤",
        "箱",
        "啦",
        "哈",
        "哈哈",
        "哈哈哈",
        "嗯",
        "哎",
        "唉",
        "吧",
        "了吗",
        "呢吗",
        "这是",
        "不是",
        "东东",
        "宝宝",
        "家人",
        "家人们",
    ]
)
#: Labels whose comments count towards a grievance topic when they are
#: negative and name a seed term (the classifier's label is not always right:
#: "是不是有防腐剂，怎么回事" reads as a question).
_ASIDE_LABELS: Final = frozenset({"chatter", "question"})
_COMPACT_RE: Final = re.compile(r"[\W_]+", re.UNICODE)


class AlertError(RoomwatchError):
    """An alert operation failed, e.g. acknowledging an unknown alert id."""


def severity_at_least(severity: str, minimum: str) -> bool:
    """``True`` when ``severity`` is at or above ``minimum``."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(minimum)


# --------------------------------------------------------------------------- inputs


class _VerdictLike(Protocol):
    @property
    def comment(self) -> Comment: ...
    @property
    def label(self) -> str: ...
    @property
    def sentiment(self) -> float: ...
    @property
    def tokens(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Observation:
    """One analysed comment as the detectors see it."""

    comment: Comment
    label: str
    sentiment: float
    text: str
    tokens: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.label not in _LABELS:
            raise AlertError(f"unknown label {self.label!r}; expected one of {sorted(_LABELS)}")
        if not (-1.0 <= self.sentiment <= 1.0) or math.isnan(self.sentiment):
            raise AlertError(f"sentiment must be in [-1, 1], not {self.sentiment!r}")

    @classmethod
    def from_verdict(cls, verdict: _VerdictLike, text: str | None = None) -> Observation:
        """Build from a :class:`roomwatch.core.verdict.Verdict` (or lookalike)."""
        if text is None:
            normalized = getattr(verdict, "normalized", None)
            text = getattr(normalized, "text", None) or verdict.comment.text
        return cls(verdict.comment, verdict.label, verdict.sentiment, text, verdict.tokens)


# --------------------------------------------------------------------------- config


def _proxy(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """Every alert threshold, with documented defaults.

    Field names are plain snake_case so ``[alerts]`` TOML keys map onto them
    one to one. Durations are seconds of record time.
    """

    #: Sliding window for counts and shares.
    window_seconds: float = 20.0
    #: Half-life of the per-room EWMA baselines.
    baseline_half_life_seconds: float = 300.0
    #: Expected counts use the baseline rate plus this many standard errors of
    #: its own estimate, so a young baseline that happens to run low does not
    #: make ordinary traffic look surprising.
    baseline_margin_sigmas: float = 1.0
    #: How fast a baseline keeps learning while its alert is open (0..1).
    active_learning_rate: float = 0.1
    #: Baseline detectors stay quiet until the room is this old ...
    warmup_seconds: float = 60.0
    #: ... and has sent this many comments.
    warmup_min_comments: int = 40
    #: An alert resolves after staying below its resolve level this long.
    resolve_hold_seconds: float = 20.0
    #: After resolving, the same detector+room+topic cannot open again for this long.
    cooldown_seconds: float = 60.0
    #: Minimum spacing of ``update`` events (escalations are sent at once).
    update_min_interval_seconds: float = 10.0
    #: An update needs the incident to have grown by this factor since the last event.
    update_growth: float = 1.5
    #: A room silent this long with no open alert is forgotten.
    room_idle_seconds: float = 3600.0
    #: Sample comments kept as evidence.
    max_samples: int = 5

    #: A comment is negative when its sentiment is at or below this.
    negative_sentiment: float = -0.3
    #: Negative spike: at least this many unexplained negative comments in the window,
    negative_min_count: int = 12
    #: ... a share of at least this,
    negative_min_share: float = 0.25
    #: ... a share at least ``ratio`` x the baseline share,
    negative_share_ratio: float = 1.8
    #: ... and at least the baseline share plus this margin.
    negative_share_margin: float = 0.1
    #: Critical when the share reaches this.
    negative_critical_share: float = 0.6

    #: Grievance topic: at least this many topic comments in the window (seed topics),
    topic_min_count: int = 5
    #: ... or this many for incremental clusters (less certain topics),
    cluster_min_count: int = 8
    #: ... from at least this many distinct users,
    topic_min_users: int = 4
    #: ... making up at least this share of all comments,
    topic_min_share: float = 0.06
    #: ... and ``ratio`` x the topic's baseline share.
    topic_share_ratio: float = 3.0
    #: ... and a count the topic's baseline reaches by chance with probability
    #: below this (the negative spike uses it too).
    surprise_alpha: float = 1e-4
    #: Critical at this many topic comments in the window.
    topic_critical_count: int = 20
    #: Topic name -> seed terms.
    topic_seeds: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_TOPIC_SEEDS)
    #: Incremental clusters: a comment joins one sharing this many salient terms.
    cluster_min_overlap: int = 2
    #: At most this many incremental clusters per room (least recent evicted).
    max_clusters: int = 32

    #: Abuse raid: window in which near-duplicates are grouped,
    raid_window_seconds: float = 30.0
    #: ... distinct accounts needed,
    raid_min_accounts: int = 8
    #: ... character-bigram Jaccard similarity to join a group,
    raid_similarity: float = 0.5
    #: ... share of a group's messages labelled abuse or spam,
    raid_abusive_share: float = 0.5
    #: ... critical at this many accounts.
    raid_critical_accounts: int = 20
    #: At most this many near-duplicate groups are tracked per room.
    raid_max_groups: int = 32

    #: Watch-list surge: default terms (a room entry in ``room_watch_terms`` replaces them),
    watch_terms: tuple[str, ...] = DEFAULT_WATCH_TERMS
    room_watch_terms: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: ... mentions in the window needed,
    watch_min_count: int = 5
    #: ... from this many distinct users,
    watch_min_users: int = 3
    #: ... and ``ratio`` x the baseline mention rate,
    watch_ratio: float = 3.0
    #: ... critical at this many mentions.
    watch_critical_count: int = 15

    #: Feed outage: only for rooms whose baseline is at least this many comments/s,
    outage_min_rate: float = 0.2
    #: ... silent for at least this long,
    outage_silence_seconds: float = 10.0
    #: ... and for ``factor`` x the expected gap between comments;
    outage_gap_factor: float = 8.0
    #: critical once silent this long.
    outage_critical_seconds: float = 60.0

    #: Volume surge (info only): window volume at least ``ratio`` x baseline,
    surge_ratio: float = 8.0
    #: ... and at least this many comments in the window.
    surge_min_count: int = 100

    def __post_init__(self) -> None:
        positive = (
            "window_seconds",
            "baseline_half_life_seconds",
            "raid_window_seconds",
            "outage_silence_seconds",
            "update_growth",
            "room_idle_seconds",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"alerts.{name} must be positive")
        non_negative = (
            "warmup_seconds",
            "resolve_hold_seconds",
            "cooldown_seconds",
            "update_min_interval_seconds",
            "outage_min_rate",
            "baseline_margin_sigmas",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ConfigError(f"alerts.{name} must not be negative")
        for name in (
            "negative_share_margin",
            "topic_min_share",
            "raid_abusive_share",
            "active_learning_rate",
            "raid_similarity",
            "negative_critical_share",
            "negative_min_share",
            "surprise_alpha",
        ):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"alerts.{name} must be between 0 and 1")
        if not -1 <= self.negative_sentiment <= 1:
            raise ConfigError("alerts.negative_sentiment must be between -1 and 1")
        for name in (
            "negative_min_count",
            "topic_min_count",
            "topic_min_users",
            "raid_min_accounts",
            "watch_min_count",
            "watch_min_users",
            "max_samples",
            "surge_min_count",
            "cluster_min_overlap",
            "cluster_min_count",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"alerts.{name} must be at least 1")
        object.__setattr__(
            self, "topic_seeds", _proxy({k: tuple(v) for k, v in self.topic_seeds.items()})
        )
        object.__setattr__(
            self,
            "room_watch_terms",
            _proxy({k: tuple(v) for k, v in self.room_watch_terms.items()}),
        )
        object.__setattr__(self, "watch_terms", tuple(self.watch_terms))

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, section: str = "alerts") -> AlertConfig:
        """Build from a decoded TOML table, strictly: unknown keys and wrong types are errors."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ConfigError(f"unknown key(s) in [{section}]: {', '.join(unknown)}")
        defaults = cls()
        values: dict[str, Any] = {}
        for name, value in raw.items():
            default = getattr(defaults, name)
            where = f"{section}.{name}"
            if isinstance(default, bool) or isinstance(value, bool):
                raise ConfigError(f"{where} must be a number")
            if isinstance(default, int):
                if not isinstance(value, int):
                    raise ConfigError(f"{where} must be an integer")
            elif isinstance(default, float):
                if not isinstance(value, int | float):
                    raise ConfigError(f"{where} must be a number")
                value = float(value)
            elif isinstance(default, tuple):
                value = _str_tuple(value, where)
            else:  # a mapping of name -> list of terms
                if not isinstance(value, Mapping):
                    raise ConfigError(f"{where} must be a table of term lists")
                value = {str(k): _str_tuple(v, f"{where}.{k}") for k, v in value.items()}
            values[name] = value
        return cls(**values)

    def watch_terms_for(self, room: str) -> tuple[str, ...]:
        return self.room_watch_terms.get(room, self.watch_terms)


def _str_tuple(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        raise ConfigError(f"{where} must be a list of non-blank strings")
    return tuple(value)


# --------------------------------------------------------------------------- alert values


@dataclass(frozen=True, slots=True)
class Sample:
    """One comment shown as evidence, with its verdict."""

    text: str
    user: str | None
    label: str
    sentiment: float
    ts: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "user": self.user,
            "label": self.label,
            "sentiment": round(self.sentiment, 3),
            "ts": self.ts,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Sample:
        return cls(
            str(raw["text"]),
            raw.get("user"),
            str(raw["label"]),
            float(raw["sentiment"]),
            float(raw["ts"]),
        )


@dataclass(frozen=True, slots=True)
class Evidence:
    """What an alert is based on. Rates are per minute."""

    count: int = 0
    window_seconds: float = 0.0
    rate_per_min: float = 0.0
    baseline_per_min: float = 0.0
    share: float | None = None
    baseline_share: float | None = None
    users: int = 0
    top_terms: tuple[tuple[str, int], ...] = ()
    samples: tuple[Sample, ...] = ()
    accounts: tuple[str, ...] = ()
    messages: int = 0
    topic: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.share is not None and self.baseline_share:
            return self.share / self.baseline_share
        if self.baseline_per_min > 0:
            return self.rate_per_min / self.baseline_per_min
        return None

    def to_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        out: dict[str, Any] = {
            "count": self.count,
            "window_seconds": self.window_seconds,
            "rate_per_min": round(self.rate_per_min, 2),
            "baseline_per_min": round(self.baseline_per_min, 2),
            "ratio": None if ratio is None else round(ratio, 2),
            "users": self.users,
            "top_terms": [[t, n] for t, n in self.top_terms],
            "samples": [s.to_dict() for s in self.samples],
        }
        if self.share is not None:
            out["share"] = round(self.share, 4)
        if self.baseline_share is not None:
            out["baseline_share"] = round(self.baseline_share, 4)
        if self.accounts or self.messages:
            out["accounts"] = list(self.accounts)
            out["messages"] = self.messages
        if self.topic is not None:
            out["topic"] = self.topic
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Evidence:
        return cls(
            count=int(raw.get("count", 0)),
            window_seconds=float(raw.get("window_seconds", 0.0)),
            rate_per_min=float(raw.get("rate_per_min", 0.0)),
            baseline_per_min=float(raw.get("baseline_per_min", 0.0)),
            share=None if raw.get("share") is None else float(raw["share"]),
            baseline_share=(
                None if raw.get("baseline_share") is None else float(raw["baseline_share"])
            ),
            users=int(raw.get("users", 0)),
            top_terms=tuple((str(t), int(n)) for t, n in raw.get("top_terms", ())),
            samples=tuple(Sample.from_dict(s) for s in raw.get("samples", ())),
            accounts=tuple(str(a) for a in raw.get("accounts", ())),
            messages=int(raw.get("messages", 0)),
            topic=raw.get("topic"),
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """One incident. ``id`` is stable for its whole life."""

    id: str
    room: str
    detector: str
    key: str
    severity: str
    state: str
    started_at: float
    updated_at: float
    summary: str
    evidence: Evidence
    resolved_at: float | None = None
    acked_by: str | None = None
    acked_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "room": self.room,
            "detector": self.detector,
            "key": self.key,
            "severity": self.severity,
            "state": self.state,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "resolved_at": self.resolved_at,
            "acked_by": self.acked_by,
            "acked_at": self.acked_at,
            "summary": self.summary,
            "evidence": self.evidence.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Alert:
        """Inverse of :meth:`to_dict` (for alerts persisted by the store)."""
        try:
            alert = cls(
                id=str(raw["id"]),
                room=str(raw["room"]),
                detector=str(raw["detector"]),
                key=str(raw.get("key", "")),
                severity=str(raw["severity"]),
                state=str(raw["state"]),
                started_at=float(raw["started_at"]),
                updated_at=float(raw.get("updated_at", raw["started_at"])),
                summary=str(raw.get("summary", "")),
                evidence=Evidence.from_dict(raw.get("evidence", {})),
                resolved_at=None if raw.get("resolved_at") is None else float(raw["resolved_at"]),
                acked_by=raw.get("acked_by"),
                acked_at=None if raw.get("acked_at") is None else float(raw["acked_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AlertError(f"cannot restore alert: {exc!r}") from None
        if alert.severity not in SEVERITIES or alert.state not in STATES:
            raise AlertError(f"cannot restore alert {alert.id}: bad severity or state")
        if alert.detector not in DETECTORS:
            raise AlertError(f"cannot restore alert {alert.id}: unknown detector")
        return alert


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """``open``, ``update`` (``escalated`` when severity rose), ``resolve`` or ``ack``."""

    kind: str
    alert: Alert
    ts: float
    escalated: bool = False
    actor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.kind,
            "ts": self.ts,
            "escalated": self.escalated,
            "alert": self.alert.to_dict(),
        }
        if self.actor is not None:
            out["actor"] = self.actor
        return out


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what to which alert, when (record time)."""

    action: str
    alert_id: str
    room: str
    actor: str
    ts: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "alert_id": self.alert_id,
            "room": self.room,
            "actor": self.actor,
            "ts": self.ts,
        }


# --------------------------------------------------------------------------- helpers


def _sample(obs: Observation) -> Sample:
    text = obs.comment.text
    if len(text) > 120:
        text = text[:119] + "…"
    return Sample(text, obs.comment.user_key, obs.label, obs.sentiment, obs.comment.ts)


def _salient(tokens: Iterable[str]) -> list[str]:
    out = []
    for tok in tokens:
        tok = tok.strip()
        if len(tok) < 2 or tok in _STOPWORDS:
            continue
        if tok.isdigit() and len(tok) < 3:
            continue
        if not any(ch.isalnum() for ch in tok):
            continue
        out.append(tok)
    return out


def _shingles(text: str) -> frozenset[str]:
    compact = _COMPACT_RE.sub("", unicodedata.normalize("NFKC", text).lower())
    if len(compact) <= 2:
        return frozenset({compact}) if compact else frozenset()
    return frozenset(compact[i : i + 2] for i in range(len(compact) - 1))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


#: Windows are pruned at most this often (seconds of record time). Pruning
#: walks every topic, raid group and cluster of the room; at 2,000 comments/s
#: doing it per comment cost more than all the detectors together, and a
#: 20 s window read up to 0.1 s late changes no decision that matters.
_PRUNE_EVERY: Final = 0.1

#: Besides the whole window, the negative spike looks at its last 3/4 and 1/2
#: (floors scaled in between): a turn that began 10-15 s ago fills those.
_SPIKE_PARTS: Final = (0.75, 0.5)

#: Shares are capped here before turning them into odds (``share / (1 - share)``).
_MAX_SHARE: Final = 0.9

#: Above this expectation, Poisson tails use the normal approximation: the
#: exact sum costs a loop of ~expected steps per call (and ``exp(-expected)``
#: underflows past ~745, which once made it spin 10,000 times per comment at
#: 2,000 comments/s). With the corrections below they agree from 60 up.
_POISSON_EXACT_MAX: Final = 60.0


def _poisson_needed(expected: float, alpha: float) -> int:
    """Smallest ``k`` with ``P(X >= k) < alpha`` for ``X ~ Poisson(expected)``."""
    if expected <= 0:
        return 1
    if expected > _POISSON_EXACT_MAX:
        z = _upper_z(alpha)
        # Normal tail with continuity and Cornish-Fisher skew corrections.
        return math.floor(expected + z * math.sqrt(expected) + (z * z - 1) / 6 + 0.5) + 1
    pmf = math.exp(-expected)
    tail = 1.0  # P(X >= k) for k = 0
    k = 0
    while tail >= alpha and k < 10_000:
        tail -= pmf
        k += 1
        pmf *= expected / k
    return k


@functools.lru_cache(maxsize=16)
def _upper_z(alpha: float) -> float:
    """``z`` with ``P(Z > z) = alpha`` for a standard normal ``Z``."""
    return statistics.NormalDist().inv_cdf(1.0 - min(max(alpha, 1e-12), 0.5))


def _alert_id(room: str, detector: str, key: str, start: float) -> str:
    digest = hashlib.sha1(
        f"{room}\x00{detector}\x00{key}\x00{start:.3f}".encode(), usedforsecurity=False
    ).hexdigest()
    return f"al-{digest[:16]}"


class _Baseline:
    """EWMAs of per-second counts sharing one decay schedule.

    ``mean(key)`` is ``sums[key] / weight``: a bias-corrected EWMA, so it is
    meaningful from the first second on.
    """

    __slots__ = ("decay", "sums", "weight")

    def __init__(self, half_life: float) -> None:
        self.decay = 0.5 ** (1.0 / half_life)
        self.sums: dict[str, float] = {}
        self.weight = 0.0

    def mean(self, key: str) -> float:
        return self.sums.get(key, 0.0) / self.weight if self.weight else 0.0

    def upper(self, key: str, sigmas: float) -> float:
        """An upper bound (``+sigmas`` standard errors) of ``key``'s rate per second.

        The baseline is itself an estimate from about ``weight`` seconds of
        data; a young or quiet baseline gets a wider margin, so a chance low
        in its first minutes does not make ordinary traffic look surprising.
        """
        if not self.weight:
            return 0.0
        events = self.sums.get(key, 0.0)
        return (events + sigmas * math.sqrt(events) + 1.0) / self.weight

    def expected(self, key: str, seconds: float, others: int, sigmas: float) -> float:
        """Expected count of ``key`` in ``seconds`` alongside ``others`` other comments.

        The larger of the rate-based and the share-based expectation (a
        happy surge dilutes the share; a busier room raises the count), both
        from :meth:`upper`. The share-based one scales the comments that are
        *not* ``key`` by the baseline odds ``share / (1 - share)``: scaling
        the window's total instead would let the very comments under test
        raise their own bar (a mood turn of 20 negatives in a 60-comment
        window adds 20 x the baseline share to the expectation).
        """
        rate = self.upper(key, sigmas)
        n = self.mean("n")
        if n <= 0:
            return rate * seconds
        share = min(rate / n, _MAX_SHARE)
        return max(rate * seconds, share / (1.0 - share) * others)

    def step(self, counts: Mapping[str, int], learning: Mapping[str, float], seconds: int) -> None:
        """Fold one second of ``counts`` followed by ``seconds - 1`` empty seconds."""
        d = self.decay
        old_weight = self.weight
        for key in set(self.sums) | set(counts):
            rate = learning.get(key, 1.0)
            mean = self.sums.get(key, 0.0) / old_weight if old_weight else 0.0
            x = float(counts.get(key, 0))
            x = mean + rate * (x - mean)
            self.sums[key] = self.sums.get(key, 0.0) * d + x
        self.weight = old_weight * d + 1.0
        gap = seconds - 1
        if gap > 0:
            dk = d**gap
            new_weight = self.weight * dk + (1.0 - dk) / (1.0 - d)
            for key in list(self.sums):
                rate = learning.get(key, 1.0)
                mean = self.sums[key] / self.weight
                # Zero counts for the gap, blended towards the mean when frozen.
                zero_sum = self.sums[key] * dk
                frozen_sum = mean * new_weight
                self.sums[key] = zero_sum + (1.0 - rate) * (frozen_sum - zero_sum)
            self.weight = new_weight
        for key in [k for k, v in self.sums.items() if v < 1e-4 and k != "n"]:
            del self.sums[key]


@dataclass(slots=True)
class _Hit:
    ts: float
    user: str | None
    negative: bool
    sample: Sample
    terms: tuple[str, ...] = ()
    topic: str | None = None
    raid: bool = False
    label: str = ""
    seq: int = 0


@dataclass(slots=True)
class _Cluster:
    key: str
    terms: Counter[str]
    last: float


@dataclass(slots=True)
class _RaidGroup:
    shingles: frozenset[str]
    members: deque[_Hit]
    last: float
    #: Messages per account among ``members`` (distinct accounts without a walk).
    users: Counter[str] = field(default_factory=Counter)
    #: Members labelled abuse or spam.
    abusive: int = 0


@dataclass(slots=True)
class _RaidTally:
    """Running totals of the current raid incident."""

    seen: set[int] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    texts: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    samples: list[Sample] = field(default_factory=list)
    first: float = math.inf
    last: float = -math.inf
    #: Messages counted before a restart (from the restored alert).
    restored: int = 0

    def clear(self) -> None:
        self.restored = 0
        self.seen.clear()
        self.accounts.clear()
        self.texts.clear()
        self.labels.clear()
        self.samples.clear()
        self.first, self.last = math.inf, -math.inf


@dataclass(slots=True)
class _Active:
    """Detector-side state of one open alert."""

    alert_id: str
    level: int
    last_event: float
    last_size: float
    below_since: float | None = None


@dataclass(slots=True)
class _Room:
    name: str
    first_ts: float
    last_ts: float
    now: float
    sec: int
    seen: int = 0
    baseline: _Baseline = field(default_factory=lambda: _Baseline(300.0))
    buckets: deque[tuple[int, Counter[str]]] = field(default_factory=deque)
    window: Counter[str] = field(default_factory=Counter)
    negatives: deque[_Hit] = field(default_factory=deque)
    topics: dict[str, deque[_Hit]] = field(default_factory=dict)
    clusters: dict[str, _Cluster] = field(default_factory=dict)
    cluster_seq: int = 0
    groups: list[_RaidGroup] = field(default_factory=list)
    watch: deque[_Hit] = field(default_factory=deque)
    raid: _RaidTally = field(default_factory=_RaidTally)
    active: dict[tuple[str, str], _Active] = field(default_factory=dict)
    cooldown: dict[tuple[str, str], float] = field(default_factory=dict)
    #: Hits per user in each topic's deque (distinct askers without a walk).
    topic_users: dict[str, Counter[str | None]] = field(default_factory=dict)
    #: Each user's latest grievance topic in the window: (topic, ts).
    user_topic: dict[str, tuple[str, float]] = field(default_factory=dict)
    pruned_at: float = -math.inf


# --------------------------------------------------------------------------- manager


class AlertManager:
    """All rooms' detectors and the alert lifecycle. Pure: no I/O, no wall clock."""

    def __init__(self, config: AlertConfig | None = None) -> None:
        self.config = config or AlertConfig()
        self._rooms: dict[str, _Room] = {}
        self._alerts: dict[str, Alert] = {}
        self._recent: dict[str, Alert] = {}
        self._seed_terms: tuple[tuple[str, str], ...] = tuple(
            sorted(
                (
                    (term, topic)
                    for topic, terms in self.config.topic_seeds.items()
                    for term in terms
                ),
                key=lambda pair: -len(pair[0]),
            )
        )

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
                room.raid.accounts.update(alert.evidence.accounts)
                room.raid.samples.extend(alert.evidence.samples)
                room.raid.first = alert.started_at
                room.raid.last = alert.updated_at
            room.active[(alert.detector, alert.key)] = _Active(
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
        alert_id = _alert_id(SYSTEM_ROOM, "system", source, 0.0)
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
        alert = self._alerts.pop(_alert_id(SYSTEM_ROOM, "system", source, 0.0), None)
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
        c = obs.comment
        room = self._room(c.room, c.ts)
        events: list[AlertEvent] = []
        now = self._advance(room, c.ts, events)
        room.last_ts = now
        if ("volume_drop", "") in room.active:
            # Any record after silence ends an outage at once.
            self._resolve(room, "volume_drop", "", now, events)
        if c.kind not in _TEXT_KINDS:
            # Gifts, likes and entries show the feed is alive, but are not
            # opinions: they would only dilute the shares.
            return events
        room.seen += 1
        cfg = self.config
        negative = obs.sentiment <= cfg.negative_sentiment
        sample = _sample(obs)
        user = c.user_key
        bucket = room.buckets[-1][1]

        def count(key: str) -> None:
            bucket[key] += 1
            room.window[key] += 1

        count("n")

        # Abuse raid: near-duplicate grouping.
        raid_member = self._raid_observe(room, obs, sample, negative)
        if raid_member and negative:
            count("rneg")

        # Grievance topic.
        topic = self._topic_of(room, obs, negative)
        salient = tuple(_salient(obs.tokens)) if topic is not None or negative else ()
        if topic is not None:
            count("t:" + topic)
            if negative:
                count("tn:" + topic)
            room.topics.setdefault(topic, deque()).append(
                _Hit(now, user, negative, sample, salient, topic)
            )
            room.topic_users.setdefault(topic, Counter())[user] += 1
            if user is not None:
                room.user_topic[user] = (topic, now)

        if negative:
            count("neg")
            if topic is None and obs.label != "grievance":
                # Negative, but no complaint: what is left of the room's mood
                # while a complaint wave (whose grievances these are not) is on.
                count("nfree")
            room.negatives.append(
                _Hit(
                    now,
                    user,
                    True,
                    sample,
                    salient,
                    topic,
                    raid_member,
                    label=obs.label,
                )
            )

        terms = tuple(t for t in cfg.watch_terms_for(c.room) if t in obs.text)
        if terms:
            count("w")
            room.watch.append(_Hit(now, user, negative, sample, terms, topic, raid_member))

        if not room.pruned_at <= now < room.pruned_at + _PRUNE_EVERY:
            self._prune(room, now)
        warm = self._warm(room, now)
        if raid_member:
            self._eval_raid(room, now, events)
        if topic is not None and warm:
            self._eval_topic(room, topic, now, events)
        if terms:
            self._eval_watch(room, now, events)
        if negative and warm:
            self._eval_negative(room, now, events)
        if warm:
            self._eval_surge(room, now, events)
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

    def has_room(self, name: str) -> bool:
        """Whether ``name`` has detector state (rooms idle for long are forgotten)."""
        return name in self._rooms

    def _tick_room(self, room: _Room, now: float, events: list[AlertEvent]) -> None:
        if not room.active and now - room.last_ts > self.config.room_idle_seconds:
            # A room that ended long ago: forget it (it warms up again if it returns).
            del self._rooms[room.name]
            return
        t = self._advance(room, now, events)
        self._prune(room, t)
        self._eval_outage(room, t, events)
        warm = self._warm(room, t)
        for detector, key in list(room.active):
            if detector == "grievance_topic":
                self._eval_topic(room, key, t, events)
            elif detector == "abuse_raid":
                self._eval_raid(room, t, events)
            elif detector == "watchlist":
                self._eval_watch(room, t, events)
            elif detector == "negative_spike":
                self._eval_negative(room, t, events)
            elif detector == "volume_surge" and warm:
                self._eval_surge(room, t, events)

    # ------------------------------------------------------------------ time

    def _room(self, name: str, ts: float) -> _Room:
        room = self._rooms.get(name)
        if room is None:
            sec = math.floor(ts)
            room = _Room(name, ts, ts, ts, sec)
            room.baseline = _Baseline(self.config.baseline_half_life_seconds)
            room.buckets.append((sec, Counter()))
            self._rooms[name] = room
        return room

    def _advance(self, room: _Room, ts: float, events: list[AlertEvent]) -> float:
        now = max(ts, room.now)
        room.now = now
        sec = math.floor(now)
        if sec > room.sec:
            room.sec = sec
            room.buckets.append((sec, Counter()))
            horizon = sec - math.ceil(self.config.window_seconds) + 1
            if room.buckets[0][0] < horizon:
                # Seconds leaving the window feed the baseline, so the
                # baseline never contains the window it is compared with.
                learning = self._learning(room)
                while room.buckets[0][0] < horizon:
                    old_sec, old = room.buckets.popleft()
                    span = min(room.buckets[0][0], horizon) - old_sec
                    room.baseline.step(old, learning, max(1, span))
                    room.window.subtract(old)
                room.window = +room.window
        return now

    def _learning(self, room: _Room) -> dict[str, float]:
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

    def _recent_count(self, room: _Room, key: str, seconds: float) -> int:
        """Count of ``key`` in the last ``seconds`` (whole buckets, newest included)."""
        first = room.sec - math.ceil(seconds) + 1
        if first <= room.buckets[0][0]:
            return room.window.get(key, 0)  # the whole window: kept summed
        total = 0
        for sec, counts in reversed(room.buckets):
            if sec < first:
                break
            total += counts.get(key, 0)
        return total

    @staticmethod
    def _claims(room: _Room, detector: str, key: str, now: float) -> bool:
        """Whether an incident is open, or just resolved and still in cooldown.

        Comments belonging to such an incident are not counted again by the
        catch-all detectors (negative spike, watch list): one incident, one alert.
        """
        if (detector, key) in room.active:
            return True
        until = room.cooldown.get((detector, key))
        return until is not None and now < until

    def _claimed_topics(self, room: _Room, now: float) -> set[str]:
        return {
            key
            for detector, key in (*room.active, *room.cooldown)
            if detector == "grievance_topic" and self._claims(room, detector, key, now)
        }

    def _complaints_on(self, room: _Room, now: float) -> bool:
        """A grievance topic is open or cooling down, or seed-topic complaints are gathering.

        Gathering: the window holds half a seed topic's firing count of
        seed-topic complaints, whichever topics they name (the first
        complaints of a wave often split: "发霉的苹果，要求退款").
        """
        if self._claimed_topics(room, now):
            return True
        seeds = self.config.topic_seeds
        gathered = sum(len(hits) for key, hits in room.topics.items() if key in seeds)
        return gathered * 2 >= self.config.topic_min_count

    def _forming_topics(self, room: _Room) -> set[str]:
        """Topics half way to their firing count."""
        cfg = self.config
        return {
            key
            for key, hits in room.topics.items()
            if len(hits) * 2
            >= (cfg.topic_min_count if key in cfg.topic_seeds else cfg.cluster_min_count)
        }

    def _raid_forming(self, room: _Room) -> bool:
        """A near-duplicate group half way to a raid."""
        need = self.config.raid_min_accounts / 2
        return any(len(group.users) >= need for group in room.groups)

    def _warm(self, room: _Room, now: float) -> bool:
        # Measured on the comments seen, so a room that went quiet right
        # after it appeared is still warming up.
        cfg = self.config
        return (
            room.last_ts - room.first_ts >= cfg.warmup_seconds
            and room.seen >= cfg.warmup_min_comments
        )

    def _prune(self, room: _Room, now: float) -> None:
        room.pruned_at = now
        horizon = now - self.config.window_seconds
        for hits in (room.negatives, room.watch):
            while hits and hits[0].ts <= horizon:
                hits.popleft()
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
        raid_horizon = now - self.config.raid_window_seconds
        kept = []
        for group in room.groups:
            while group.members and group.members[0].ts <= raid_horizon:
                old = group.members.popleft()
                if old.label in _FLAGGED:
                    group.abusive -= 1
                gone = old.user
                if gone is not None:
                    group.users[gone] -= 1
                    if not group.users[gone]:
                        del group.users[gone]
            if group.members:
                kept.append(group)
        room.groups = kept
        idle = now - 3 * self.config.baseline_half_life_seconds
        for key in [k for k, c in room.clusters.items() if c.last < idle]:
            del room.clusters[key]
        for pair in [k for k, until in room.cooldown.items() if until <= now]:
            del room.cooldown[pair]
        for user in [u for u, (_, ts) in room.user_topic.items() if ts <= horizon]:
            del room.user_topic[user]

    # ------------------------------------------------------------------ classification of hits

    def _topic_of(self, room: _Room, obs: Observation, negative: bool) -> str | None:
        if obs.label != "grievance" and not (negative and obs.label in _ASIDE_LABELS):
            return None  # decided below too; this skips the term scan for most comments
        # The topic with most seed hits; ties go to the topic already busiest
        # in the window ("坏果包赔呢，退款被拒" during a refund wave is a refund).
        hits = Counter[str]()
        for term, topic in self._seed_terms:
            if term in obs.text:
                hits[topic] += 1
        seeded = None
        if hits:
            seeded = max(hits, key=lambda t: (hits[t], len(room.topics.get(t, ())), t))
        # Grievances, plus unhappy chatter or questions that name a seed term
        # (the classifier's label is not always right: "是不是有防腐剂，怎么
        # 回事"); calm questions such as "发什么快递" are not complaints.
        if obs.label != "grievance" and not (negative and seeded and obs.label in _ASIDE_LABELS):
            return None
        if seeded is not None:
            return seeded
        # A viewer who just complained about a topic stays on it
        # ("我要打12315投诉" after "收到的苹果全发霉了").
        user = obs.comment.user_key
        if user is not None:
            last = room.user_topic.get(user)
            if last is not None and last[0] in room.topics:
                return last[0]
        # Token order, not a set: a Counter fed from a set takes its ties'
        # order from string hashes, which differ per process, and the top
        # terms below would make replays of one recording disagree.
        salient = dict.fromkeys(_salient(obs.tokens))
        if not salient:
            return None
        best: _Cluster | None = None
        best_overlap = 0
        for cluster in room.clusters.values():
            top = {t for t, _ in cluster.terms.most_common(10)}
            overlap = len(salient.keys() & top)
            if overlap > best_overlap:
                best, best_overlap = cluster, overlap
        need = min(self.config.cluster_min_overlap, len(salient))
        if best is None or best_overlap < need:
            if len(room.clusters) >= self.config.max_clusters:
                oldest = min(room.clusters.values(), key=lambda c: c.last)
                if ("grievance_topic", oldest.key) in room.active:
                    return None
                del room.clusters[oldest.key]
            room.cluster_seq += 1
            best = _Cluster(f"c{room.cluster_seq}", Counter(), obs.comment.ts)
            room.clusters[best.key] = best
        best.terms.update(salient.keys())
        best.last = obs.comment.ts
        return best.key

    def _raid_observe(self, room: _Room, obs: Observation, sample: Sample, negative: bool) -> bool:
        cfg = self.config
        abusive = obs.label in _FLAGGED
        # Other comments only join groups that already look like a raid.
        groups = room.groups if abusive else [g for g in room.groups if len(g.members) >= 3]
        if not groups and not abusive:
            return False
        shingles = _shingles(obs.text)
        if not shingles:
            return False
        now = obs.comment.ts
        best: _RaidGroup | None = None
        best_sim = cfg.raid_similarity
        for group in groups:
            sim = _jaccard(shingles, group.shingles)
            if sim >= best_sim:
                best, best_sim = group, sim
        if best is None:
            if not abusive:
                return False
            if len(room.groups) >= cfg.raid_max_groups:
                room.groups.remove(min(room.groups, key=lambda g: g.last))
            best = _RaidGroup(shingles, deque(), now)
            room.groups.append(best)
        hit = _Hit(now, obs.comment.user_key, negative, sample, label=obs.label, seq=room.seen)
        best.members.append(hit)
        if abusive:
            best.abusive += 1
        if hit.user is not None:
            best.users[hit.user] += 1
        best.last = now
        return len(best.users) >= cfg.raid_min_accounts / 2

    # ------------------------------------------------------------------ detectors

    def _eval_negative(self, room: _Room, now: float, events: list[AlertEvent]) -> None:
        cfg = self.config
        # Negatives that belong to a topic or raid (open, cooling down, or
        # forming) are that incident's, not a general mood turn.
        claimed = self._forming_topics(room)
        # A complaint wave brings grievances that name no seed term
        # ("我要打12315投诉", "打开全是烂的"): all grievances are the wave's
        # while it is on or gathering.
        wave_on = self._complaints_on(room, now)
        raid_on = self._claims(room, "abuse_raid", "", now) or self._raid_forming(room)
        base_n = room.baseline.mean("n")
        base_share = room.baseline.mean("neg") / base_n if base_n > 0 else 0.0
        trigger = max(
            cfg.negative_min_share,
            base_share * cfg.negative_share_ratio,
            base_share + cfg.negative_share_margin,
        )

        def measure(seconds: float) -> tuple[int, int, int]:
            """(unexplained negatives, all comments, all negatives) in the last ``seconds``."""
            total = self._recent_count(room, "n", seconds)
            negatives = neg = self._recent_count(room, "neg", seconds)
            if wave_on:
                neg = self._recent_count(room, "nfree", seconds)
            else:
                for key in claimed:
                    # Per-second counts, like the totals: walking the topic's
                    # hits cost ~1,000 steps per negative comment during a wave.
                    neg -= self._recent_count(room, "tn:" + key, seconds)
            if raid_on:
                neg -= self._recent_count(room, "rneg", seconds)
            return max(0, neg), total, negatives

        def fires(unexplained: int, total: int, negatives: int, seconds: float, floor: int) -> bool:
            # As for topics: the count must be surprising given the larger of
            # the share- and rate-based expectations.
            expected = room.baseline.expected(
                "neg", seconds, total - negatives, cfg.baseline_margin_sigmas
            )
            need = max(floor, _poisson_needed(expected, cfg.surprise_alpha))
            return unexplained >= need and total > 0 and unexplained / total >= trigger

        span = cfg.window_seconds
        unexplained, total, negatives = measure(span)
        firing = fires(unexplained, total, negatives, span, cfg.negative_min_count)
        if not firing and ("negative_spike", "") not in room.active:
            # A sudden turn shows first in the last part of the window: its
            # first seconds hold few of the turn's comments but dilute it.
            for frac in _SPIKE_PARTS:
                part = span * frac
                f_unexplained, f_total, f_negatives = measure(part)
                floor = math.ceil(cfg.negative_min_count * (0.5 + frac / 2))
                if fires(f_unexplained, f_total, f_negatives, part, floor):
                    firing = True
                    span, unexplained, total = part, f_unexplained, f_total
                    break
        share = unexplained / total if total else 0.0
        below = unexplained < cfg.negative_min_count / 2 or share < (base_share + trigger) / 2
        level = 2 if share >= max(cfg.negative_critical_share, trigger) else 1

        def build() -> tuple[str, Evidence]:
            unexplained_hits = [
                h
                for h in room.negatives
                if not (raid_on and h.raid)
                and (
                    (h.topic is None and h.label != "grievance")
                    if wave_on
                    else (h.topic is None or h.topic not in claimed)
                )
            ]
            terms = Counter[str]()
            for h in unexplained_hits:
                terms.update(dict.fromkeys(h.terms).keys())
            samples = [h.sample for h in unexplained_hits]
            ev = Evidence(
                count=unexplained,
                window_seconds=span,
                rate_per_min=unexplained * 60.0 / span,
                baseline_per_min=room.baseline.mean("neg") * 60.0,
                share=share,
                baseline_share=base_share,
                users=len({h.user for h in unexplained_hits}),
                top_terms=tuple(terms.most_common(6)),
                samples=tuple(samples[-cfg.max_samples :]),
            )
            summary = (
                f"直播间「{room.name}」负面情绪激增：近{span:g}秒负面评论"
                f"{unexplained}条，占比{share:.0%}（平时约{base_share:.0%}）。"
            )
            return summary, ev

        self._lifecycle(
            room, "negative_spike", "", now, firing, below, level, unexplained, build, events
        )

    def _eval_topic(self, room: _Room, topic: str, now: float, events: list[AlertEvent]) -> None:
        cfg = self.config
        hits = room.topics.get(topic, deque())
        n = len(hits)
        total = room.window["n"]
        users = len(room.topic_users.get(topic, ()))
        share = n / total if total else 0.0
        base_n = room.baseline.mean("n")
        base_share = room.baseline.mean("t:" + topic) / base_n if base_n > 0 else 0.0
        trigger = max(cfg.topic_min_share, base_share * cfg.topic_share_ratio)
        # Poisson guard: a topic that is always mentioned now and then needs
        # a count that its baseline would reach by chance with probability
        # below ``surprise_alpha`` (see ``_Baseline.expected``).
        # (``total``, not the others: a topic is a small share, so its own
        # hits barely raise the bar, and the slightly higher bar is kept.)
        expected = room.baseline.expected(
            "t:" + topic, cfg.window_seconds, total, cfg.baseline_margin_sigmas
        )
        floor = cfg.topic_min_count if topic in cfg.topic_seeds else cfg.cluster_min_count
        need = max(floor, _poisson_needed(expected, cfg.surprise_alpha))
        firing = n >= need and users >= cfg.topic_min_users and share >= trigger
        if (
            firing
            and topic not in cfg.topic_seeds
            and ("grievance_topic", topic) not in room.active
            and self._claims(room, "negative_spike", "", now)
        ):
            # Unhappy comments of a mood turn share words too ("令人失望",
            # "太让人失望了"): a cluster that forms while the room's negative
            # spike is on is that incident. Seed topics still open.
            firing = False
        below = n < floor / 2 or share < trigger / 2
        level = 2 if n >= cfg.topic_critical_count else 1

        def build() -> tuple[str, Evidence]:
            terms = Counter[str]()
            for h in hits:
                terms.update(dict.fromkeys(h.terms).keys())
            top = tuple(terms.most_common(6))
            name = self._topic_name(room, topic)
            ev = Evidence(
                count=n,
                window_seconds=cfg.window_seconds,
                rate_per_min=n * 60.0 / cfg.window_seconds,
                baseline_per_min=room.baseline.mean("t:" + topic) * 60.0,
                share=share,
                baseline_share=base_share,
                users=users,
                top_terms=top,
                samples=tuple(h.sample for h in list(hits)[-cfg.max_samples :]),
                topic=name,
            )
            words = "、".join(t for t, _ in top[:4]) or name
            summary = (
                f"直播间「{room.name}」出现集中投诉「{name}」：近{cfg.window_seconds:g}秒"
                f"{users}位用户发出{n}条，高频词：{words}。"
            )
            return summary, ev

        self._lifecycle(room, "grievance_topic", topic, now, firing, below, level, n, build, events)

    def _eval_raid(self, room: _Room, now: float, events: list[AlertEvent]) -> None:
        cfg = self.config
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
            for h in group.members:
                if h.seq not in tally.seen:
                    tally.seen.add(h.seq)
                    tally.texts[_COMPACT_RE.sub("", h.sample.text)[:40]] += 1
                    tally.labels[h.label] += 1
                    tally.first = min(tally.first, h.ts)
                    tally.last = max(tally.last, h.ts)
                    if h.user is not None:
                        tally.accounts.add(h.user)
                    if len(tally.samples) < cfg.max_samples and (
                        h.sample.text not in {x.text for x in tally.samples}
                    ):
                        tally.samples.append(h.sample)
        messages = tally.restored + len(tally.seen)
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
                accounts=tuple(sorted(tally.accounts))[:50],
                messages=messages,
            )
            summary = (
                f"直播间「{room.name}」疑似遭遇刷屏攻击：{len(tally.accounts)}个账号在"
                f"{span:.0f}秒内发送{messages}条相似{kind}内容。"
            )
            return summary, ev

        self._lifecycle(
            room, "abuse_raid", "", now, firing, below, level, max(messages, 1), build, events
        )
        # Totals only grow: keep the stored alert current between (rate
        # limited) updates, so the resolve event reports the whole raid.
        state = room.active.get(("abuse_raid", ""))
        alert = self._alerts.get(state.alert_id) if state is not None else None
        if alert is not None and messages > alert.evidence.messages:
            summary, evidence = build()
            self._alerts[alert.id] = replace(alert, summary=summary, evidence=evidence)

    def _eval_watch(self, room: _Room, now: float, events: list[AlertEvent]) -> None:
        cfg = self.config
        # Mentions made by unhappy viewers while a grievance alert is open (or
        # seed-topic complaints are gathering: threats often come first), or
        # by raid accounts during a raid, belong to that incident already.
        # A mention inside a topic that is forming (half way to its threshold)
        # is left to the topic detector, unless mentions are surging by themselves.
        strong = len(room.watch) >= 2 * cfg.watch_min_count
        # _complaints_on includes the claimed topics.
        topic_on = (
            self._complaints_on(room, now) if not strong else bool(self._claimed_topics(room, now))
        )
        raid_on = self._claims(room, "abuse_raid", "", now)
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
        base = room.baseline.mean("w") * cfg.window_seconds
        firing = (
            n >= cfg.watch_min_count
            and users >= cfg.watch_min_users
            and n >= base * cfg.watch_ratio
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
                window_seconds=cfg.window_seconds,
                rate_per_min=n * 60.0 / cfg.window_seconds,
                baseline_per_min=room.baseline.mean("w") * 60.0,
                users=users,
                top_terms=top,
                samples=tuple(h.sample for h in hits[-cfg.max_samples :]),
            )
            words = "、".join(t for t, _ in top)
            summary = (
                f"直播间「{room.name}」关注词提及激增：近{cfg.window_seconds:g}秒{users}位用户"
                f"提及{n}次（{words}）。"
            )
            return summary, ev

        self._lifecycle(room, "watchlist", "", now, firing, below, level, n, build, events)

    def _eval_outage(self, room: _Room, now: float, events: list[AlertEvent]) -> None:
        cfg = self.config
        key = ("volume_drop", "")
        if key in room.active:
            silence = now - room.last_ts
            state = room.active[key]
            if silence >= cfg.outage_critical_seconds and state.level < 2:
                rate = room.baseline.mean("n")
                self._emit_update(
                    room,
                    "volume_drop",
                    "",
                    now,
                    2,
                    silence,
                    *self._outage_text(room, silence, rate),
                    events,
                )
            return
        if not self._warm(room, now):
            return
        rate = room.baseline.mean("n")
        if rate < cfg.outage_min_rate:
            return
        silence = now - room.last_ts
        need = max(cfg.outage_silence_seconds, cfg.outage_gap_factor / rate)
        if silence >= need:
            level = 2 if silence >= cfg.outage_critical_seconds else 1
            self._lifecycle(
                room,
                "volume_drop",
                "",
                now,
                True,
                False,
                level,
                silence,
                lambda: self._outage_text(room, silence, rate),
                events,
            )

    def _outage_text(self, room: _Room, silence: float, rate: float) -> tuple[str, Evidence]:
        ev = Evidence(
            count=0,
            window_seconds=silence,
            rate_per_min=0.0,
            baseline_per_min=rate * 60.0,
        )
        summary = (
            f"直播间「{room.name}」评论流疑似中断：已{silence:.0f}秒没有新评论"
            f"（平时约每分钟{rate * 60:.0f}条）。"
        )
        return summary, ev

    def _eval_surge(self, room: _Room, now: float, events: list[AlertEvent]) -> None:
        cfg = self.config
        n = room.window["n"]
        base = room.baseline.mean("n") * cfg.window_seconds
        ratio = n / base if base > 0 else 0.0
        firing = n >= cfg.surge_min_count and ratio >= cfg.surge_ratio
        below = ratio < cfg.surge_ratio / 2

        def build() -> tuple[str, Evidence]:
            ev = Evidence(
                count=n,
                window_seconds=cfg.window_seconds,
                rate_per_min=n * 60.0 / cfg.window_seconds,
                baseline_per_min=room.baseline.mean("n") * 60.0,
            )
            summary = (
                f"直播间「{room.name}」评论量激增：近{cfg.window_seconds:g}秒{n}条，"
                f"约为平时的{ratio:.1f}倍。"
            )
            return summary, ev

        self._lifecycle(room, "volume_surge", "", now, firing, below, 0, n, build, events)

    # ------------------------------------------------------------------ lifecycle

    def _lifecycle(
        self,
        room: _Room,
        detector: str,
        key: str,
        now: float,
        firing: bool,
        below: bool,
        level: int,
        size: float,
        build: Any,
        events: list[AlertEvent],
    ) -> None:
        cfg = self.config
        state = room.active.get((detector, key))
        if state is None:
            if not firing:
                return
            until = room.cooldown.get((detector, key))
            if until is not None and now < until:
                return
            summary, evidence = build()
            alert_id = _alert_id(room.name, detector, key, now)
            alert = Alert(
                id=alert_id,
                room=room.name,
                detector=detector,
                key=key,
                severity=SEVERITIES[level],
                state="open",
                started_at=now,
                updated_at=now,
                summary=summary,
                evidence=evidence,
            )
            self._alerts[alert_id] = alert
            room.active[(detector, key)] = _Active(alert_id, level, now, max(size, 1.0))
            events.append(AlertEvent("open", alert, now))
            return
        if below:
            if state.below_since is None:
                state.below_since = now
            elif now - state.below_since >= cfg.resolve_hold_seconds:
                self._resolve(room, detector, key, now, events)
            return
        state.below_since = None
        if not firing:
            return
        escalate = level > state.level
        grown = (
            size >= state.last_size * cfg.update_growth
            and now - state.last_event >= cfg.update_min_interval_seconds
        )
        if escalate or grown:
            summary, evidence = build()
            self._emit_update(
                room, detector, key, now, max(level, state.level), size, summary, evidence, events
            )

    def _emit_update(
        self,
        room: _Room,
        detector: str,
        key: str,
        now: float,
        level: int,
        size: float,
        summary: str,
        evidence: Evidence,
        events: list[AlertEvent],
    ) -> None:
        state = room.active[(detector, key)]
        alert = self._alerts.get(state.alert_id)
        if alert is None:
            return
        escalated = level > state.level
        state.level = max(level, state.level)
        state.last_event = now
        state.last_size = max(size, 1.0)
        alert = replace(
            alert,
            severity=SEVERITIES[state.level],
            updated_at=now,
            summary=summary,
            evidence=evidence,
        )
        self._alerts[alert.id] = alert
        events.append(AlertEvent("update", alert, now, escalated=escalated))

    def _resolve(
        self, room: _Room, detector: str, key: str, now: float, events: list[AlertEvent]
    ) -> None:
        state = room.active.pop((detector, key), None)
        if state is None:
            return
        room.cooldown[(detector, key)] = now + self.config.cooldown_seconds
        alert = self._alerts.pop(state.alert_id, None)
        if alert is None:
            return
        alert = replace(alert, state="resolved", resolved_at=now, updated_at=now)
        self._recent[alert.id] = alert
        while len(self._recent) > 256:
            del self._recent[next(iter(self._recent))]
        events.append(AlertEvent("resolve", alert, now))

    # ------------------------------------------------------------------ naming

    def _topic_name(self, room: _Room, topic: str) -> str:
        cluster = room.clusters.get(topic)
        if cluster is None:
            return topic
        return "/".join(t for t, _ in cluster.terms.most_common(2)) or topic
