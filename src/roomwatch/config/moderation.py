"""The ``[moderation]`` section (the moderator dashboard), as a frozen dataclass.

It lives with the other sections so that loading config imports nothing of
the moderation feature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Final, Literal

from msgspec import Meta

from roomwatch.config.types import PositiveFloat, PositiveInt

__all__ = ["MUTE_DURATIONS", "OUTBOUNDS", "ModerationConfig"]

OUTBOUNDS: Final = ("log", "webhook")
#: Mute lengths the dashboard offers (10 min, 1 h, 24 h).
MUTE_DURATIONS: Final = (600, 3600, 86400)


@dataclass(frozen=True, slots=True)
class ModerationConfig:
    #: Actions one token may take per minute (token bucket; bursts up to this).
    actions_per_minute: PositiveInt = 120
    #: Where hide / mute / ban go: ``log`` (default) or ``webhook``.
    outbound: Literal["log", "webhook"] = "log"
    #: Required (http or https) when ``outbound = "webhook"``.
    #: May be "env:VAR" (read from the environment when the file loads).
    webhook_url: str = field(default="", metadata={"secret": True, "env": True})
    webhook_headers: Mapping[str, str] = field(default_factory=dict, metadata={"secret": True})
    webhook_timeout_s: float = 5.0
    #: Extra attempts after the first failed one (bounded).
    webhook_retries: Annotated[int, Meta(ge=0, le=10)] = 2
    webhook_backoff_s: float = 0.5
    #: Labels that wait in the review queue. Only abuse and spam are
    #: moderated; grievances are answered, never hidden.
    review_labels: Annotated[tuple[Literal["abuse", "spam"], ...], Meta(min_length=1)] = (
        "abuse",
        "spam",
    )
    #: Open review items kept per room; the oldest are evicted.
    queue_max: PositiveInt = 300
    #: Recent comments kept per (room, user) for the history panel.
    history_per_user: PositiveInt = 10
    #: (room, user) histories kept in memory, least recently active dropped.
    history_users: PositiveInt = 20_000
    #: "Select this raid": near-identical items within this many seconds.
    raid_window_s: PositiveFloat = 60.0
    #: Rate and mood windows, and the mood chart's bucket.
    rate_window_s: PositiveFloat = 10.0
    mood_window_s: PositiveFloat = 60.0
    series_bucket_s: PositiveFloat = 10.0
    series_minutes: PositiveInt = 30
    #: Comments a new dashboard gets at once.
    recent: PositiveInt = 300
