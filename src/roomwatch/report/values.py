"""What the report shows: frozen values built by
:meth:`~roomwatch.report.build.ReportBuilder.report` and rendered by
:mod:`roomwatch.report.html`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from roomwatch.core.classify import LABELS

__all__ = [
    "Account",
    "AlertRow",
    "Bucket",
    "Moment",
    "Question",
    "Raid",
    "Report",
    "RoomSummary",
    "Sample",
    "Topic",
]


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
    #: The room's mean over the whole show: the moment is a dip below it.
    room_sentiment: float = 0.0


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
    #: The alert detector's seed topic it is (退款售后, 食品安全 ...), or "" for a
    #: cluster found by its words.
    name: str = ""


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
    #: Typed comments by label (gifts, entries and likes are in ``events``).
    labels: Mapping[str, int]
    skipped: Mapping[str, int]
    #: Records that are no typed comment, by kind (gift, enter, like, ...;
    #: "empty": a comment with no text).
    events: Mapping[str, int]
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
    #: Lines or elements of the input files that could not be read, by reason
    #: (they never became records; the reader warned about each).
    unreadable: Mapping[str, int] = field(default_factory=dict)

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
