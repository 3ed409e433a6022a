"""The alert values: severities, detectors, the observation fed in and the
alerts, events and audit records that come out (frozen, JSON-ready)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from roomwatch.core.errors import RoomwatchError
from roomwatch.core.record import Comment

__all__ = [
    "DETECTORS",
    "EVENT_KINDS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "STATES",
    "SYSTEM_ROOM",
    "Alert",
    "AlertError",
    "AlertEvent",
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


@dataclass(frozen=True, slots=True, init=False)
class Observation:
    """One analysed comment as the detectors see it."""

    comment: Comment
    label: str
    sentiment: float
    text: str
    tokens: tuple[str, ...] = ()

    def __init__(
        self,
        comment: Comment,
        label: str,
        sentiment: float,
        text: str,
        tokens: tuple[str, ...] = (),
    ) -> None:
        # The generated __init__ and __post_init__, through the slots' own
        # setters (a frozen dataclass's object.__setattr__ costs three times
        # as much, and every comment the alert stage sees makes one).
        if label not in _LABELS:
            raise AlertError(f"unknown label {label!r}; expected one of {sorted(_LABELS)}")
        if not (-1.0 <= sentiment <= 1.0) or math.isnan(sentiment):
            raise AlertError(f"sentiment must be in [-1, 1], not {sentiment!r}")
        _O_COMMENT(self, comment)
        _O_LABEL(self, label)
        _O_SENTIMENT(self, sentiment)
        _O_TEXT(self, text)
        _O_TOKENS(self, tokens)

    @classmethod
    def from_verdict(cls, verdict: _VerdictLike, text: str | None = None) -> Observation:
        """Build from a :class:`roomwatch.core.verdict.Verdict` (or lookalike)."""
        if text is None:
            normalized = getattr(verdict, "normalized", None)
            text = getattr(normalized, "text", None) or verdict.comment.text
        return cls(verdict.comment, verdict.label, verdict.sentiment, text, verdict.tokens)


@dataclass(frozen=True, slots=True, init=False)
class Sample:
    """One comment shown as evidence, with its verdict."""

    text: str
    user: str | None
    label: str
    sentiment: float
    ts: float

    def __init__(
        self, text: str, user: str | None, label: str, sentiment: float, ts: float
    ) -> None:
        # The generated __init__, through the slots' own setters (as Observation).
        _S_TEXT(self, text)
        _S_USER(self, user)
        _S_LABEL(self, label)
        _S_SENTIMENT(self, sentiment)
        _S_TS(self, ts)

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


_slot: Any = Observation  # (the slots' member descriptors, untyped)
_O_COMMENT = _slot.comment.__set__
_O_LABEL = _slot.label.__set__
_O_SENTIMENT = _slot.sentiment.__set__
_O_TEXT = _slot.text.__set__
_O_TOKENS = _slot.tokens.__set__
_slot = Sample
_S_TEXT = _slot.text.__set__
_S_USER = _slot.user.__set__
_S_LABEL = _slot.label.__set__
_S_SENTIMENT = _slot.sentiment.__set__
_S_TS = _slot.ts.__set__


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
