"""The ``[moderation]`` table, parsed strictly into :class:`ModerationConfig`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from roomwatch.config import build_dataclass
from roomwatch.errors import ConfigError

__all__ = ["MUTE_DURATIONS", "OUTBOUNDS", "ModerationConfig", "parse_config"]

OUTBOUNDS: Final = ("log", "webhook")
#: Mute lengths the dashboard offers (10 min, 1 h, 24 h).
MUTE_DURATIONS: Final = (600, 3600, 86400)


@dataclass(frozen=True, slots=True)
class ModerationConfig:
    #: Actions one token may take per minute (token bucket; bursts up to this).
    actions_per_minute: int = 120
    #: Where hide / mute / ban go: ``log`` (default) or ``webhook``.
    outbound: str = "log"
    webhook_url: str = ""
    webhook_headers: Mapping[str, str] = field(default_factory=dict)
    webhook_timeout_s: float = 5.0
    #: Extra attempts after the first failed one (bounded).
    webhook_retries: int = 2
    webhook_backoff_s: float = 0.5
    #: Labels that wait in the review queue.
    review_labels: tuple[str, ...] = ("abuse", "spam")
    #: Open review items kept per room; the oldest are evicted.
    queue_max: int = 300
    #: Recent comments kept per (room, user) for the history panel.
    history_per_user: int = 10
    #: (room, user) histories kept in memory, least recently active dropped.
    history_users: int = 20_000
    #: "Select this raid": near-identical items within this many seconds.
    raid_window_s: float = 60.0
    #: Rate and mood windows, and the mood chart's bucket.
    rate_window_s: float = 10.0
    mood_window_s: float = 60.0
    series_bucket_s: float = 10.0
    series_minutes: int = 30
    #: Comments a new dashboard gets at once.
    recent: int = 300


def parse_config(raw: Mapping[str, Any]) -> ModerationConfig:
    cfg = build_dataclass(ModerationConfig, raw, "moderation")
    if cfg.outbound not in OUTBOUNDS:
        raise ConfigError(f"moderation.outbound must be one of {OUTBOUNDS}, not {cfg.outbound!r}")
    if cfg.outbound == "webhook" and not cfg.webhook_url.startswith(("http://", "https://")):
        raise ConfigError("moderation.webhook_url must be an http(s) URL when outbound = 'webhook'")
    if not cfg.review_labels or not set(cfg.review_labels) <= {"abuse", "spam"}:
        # Only abuse and spam are moderated; grievances are answered, never hidden.
        raise ConfigError("moderation.review_labels must be a non-empty subset of abuse, spam")
    if cfg.actions_per_minute < 1:
        raise ConfigError("moderation.actions_per_minute must be at least 1")
    if cfg.webhook_retries < 0 or cfg.webhook_retries > 10:
        raise ConfigError("moderation.webhook_retries must be between 0 and 10")
    for name in ("queue_max", "history_per_user", "history_users", "series_minutes", "recent"):
        if getattr(cfg, name) < 1:
            raise ConfigError(f"moderation.{name} must be at least 1")
    for name in ("rate_window_s", "mood_window_s", "series_bucket_s", "raid_window_s"):
        if getattr(cfg, name) <= 0:
            raise ConfigError(f"moderation.{name} must be positive")
    if not isinstance(cfg.webhook_headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in cfg.webhook_headers.items()
    ):
        raise ConfigError("moderation.webhook_headers must be a table of strings")
    return cfg
