"""``[report]``: the report's bounds and thresholds (:class:`ReportConfig`)."""

from __future__ import annotations

from dataclasses import dataclass

from roomwatch.core.errors import ConfigError

__all__ = ["ReportConfig"]


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
