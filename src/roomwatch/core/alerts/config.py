"""``[alerts]``: every alert threshold (:class:`AlertConfig`).

The config schema (:mod:`roomwatch.config`, bounds in
:mod:`roomwatch.config.rules`) builds it from the TOML table and checks
every key and bound when the file loads. The default seed topics and watch
list come from ``lexicons/alerts/`` (:mod:`roomwatch.core.alerts.seeds`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from roomwatch.core.alerts.seeds import DEFAULT_TOPIC_SEEDS, DEFAULT_WATCH_TERMS
from roomwatch.core.errors import ConfigError

__all__ = ["AlertConfig"]


def _proxy(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """Every alert threshold, with documented defaults.

    Field names are plain snake_case so ``[alerts]`` TOML keys map onto them
    one to one. Durations are seconds of record time.
    """

    #: Sliding window for counts and shares (the shortest it gets, below).
    window_seconds: float = 20.0
    #: In a quiet room the window stretches to hold about this many comments
    #: at the room's usual pace (0: never): a 助农 stream's 25 comments a
    #: minute put 8 in 20 seconds, too few for any wave to show ...
    window_min_comments: int = 40
    #: ... up to this long (a longer window dilutes a short wave's share).
    max_window_seconds: float = 120.0
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

    #: Feed outage: only for rooms whose expected rate (below) is at least this many comments/s,
    outage_min_rate: float = 0.2
    #: ... silent for at least this long,
    outage_silence_seconds: float = 10.0
    #: ... and for ``factor`` x the expected gap between comments;
    outage_gap_factor: float = 8.0
    #: ... the expected rate being the slower of the baseline's and the room's
    #: pace just before the silence, averaged over about this long (a room
    #: winding down is no outage);
    outage_pace_seconds: float = 60.0
    #: An outage is info until silent this long (most silences end within
    #: seconds, the next comment resolving them: on the real barrage replay
    #: 203 of 259 ended within it, open a median 5 s), then a warning (at or
    #: above outage_critical_seconds: no warning step; 0: a warning at once) ...
    outage_warning_seconds: float = 30.0
    #: ... and critical once silent this long.
    outage_critical_seconds: float = 60.0

    #: Volume surge (info only): window volume at least ``ratio`` x baseline,
    surge_ratio: float = 8.0
    #: ... and at least this many comments in the window.
    surge_min_count: int = 100

    def __post_init__(self) -> None:
        # The schema (roomwatch.config) checks every bound when the file
        # loads; what stays here is what the detectors divide by, so a
        # config built in code can't fail later with ZeroDivisionError.
        for name in (
            "window_seconds",
            "max_window_seconds",
            "baseline_half_life_seconds",
            "outage_pace_seconds",
        ):
            if not getattr(self, name) > 0:
                raise ConfigError(f"alerts.{name} must be above 0, not {getattr(self, name)!r}")
        object.__setattr__(
            self, "topic_seeds", _proxy({k: tuple(v) for k, v in self.topic_seeds.items()})
        )
        object.__setattr__(
            self,
            "room_watch_terms",
            _proxy({k: tuple(v) for k, v in self.room_watch_terms.items()}),
        )
        object.__setattr__(self, "watch_terms", tuple(self.watch_terms))

    def span_for(self, rate: float) -> int:
        """The window, in whole seconds, of a room whose usual pace is ``rate``
        comments a second: ``window_seconds``, stretched to hold about
        ``window_min_comments`` comments, up to ``max_window_seconds``."""
        if self.window_min_comments <= 0:
            return self.shortest_span
        if rate <= 0:
            return self.longest_span
        wanted = math.ceil(self.window_min_comments / rate)
        return max(self.shortest_span, min(self.longest_span, wanted))

    @property
    def shortest_span(self) -> int:
        """``window_seconds`` in whole seconds: a busy room's window."""
        return math.ceil(self.window_seconds)

    @property
    def longest_span(self) -> int:
        """``max_window_seconds`` in whole seconds (never under the shortest)."""
        return max(self.shortest_span, math.ceil(self.max_window_seconds))

    def watch_terms_for(self, room: str) -> tuple[str, ...]:
        return self.room_watch_terms.get(room, self.watch_terms)
