"""Bounds for sections whose dataclass lives in ``core``, and checks across fields.

``core`` imports no msgspec, so ``QueueConfig`` and ``AlertConfig`` keep plain
hints there, and their bounds are written here, keyed by field name; the
schema applies them wherever the class is checked (:func:`.schema.field_types`).
A check that relates two fields of one section is a function in
:data:`.schema.CHECKS`; it yields ``(field, reason)``.

Importing this module registers both; :mod:`roomwatch.config` does.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from msgspec import Meta

from roomwatch.config.moderation import ModerationConfig
from roomwatch.config.schema import CHECKS, RULES
from roomwatch.config.sections import (
    ROLES,
    BilibiliSourceSettings,
    Token,
    WebhookSettings,
)
from roomwatch.config.streams import MIN_SECRET_CHARS, StreamsSettings
from roomwatch.config.types import NonBlank
from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.queue.config import QueueConfig

__all__ = [
    "ALERT_RULES",
    "LINK_RULE",
    "QUEUE_RULES",
    "TOKEN_RULES",
    "good_host",
    "url_with_host",
    "valid_link",
]

_AT_LEAST_0: Final = Meta(ge=0)
_AT_LEAST_1: Final = Meta(ge=1)
_ABOVE_0: Final = Meta(gt=0)
_SHARE: Final = Meta(ge=0, le=1)
_TERMS: Final = tuple[NonBlank, ...]


def _every_number(cls: type, meta: Meta) -> dict[str, Any]:
    return {
        f.name: meta
        for f in dataclasses.fields(cls)
        if f.type in ("int", "float", int, float)  # hints are strings under __future__
    }


#: ``[queue]``: every number is 0 or more, and these tighter.
QUEUE_RULES: Final[dict[str, Any]] = {
    **_every_number(QueueConfig, _AT_LEAST_0),
    "max_items": _AT_LEAST_1,
    "top_n": _AT_LEAST_1,
    "max_candidates": _AT_LEAST_1,
    "max_wordings": _AT_LEAST_1,
    "max_askers": _AT_LEAST_1,
    "half_life_s": _ABOVE_0,
    "asker_bitmap_bits": Meta(ge=64),
    "fold_threshold": Meta(gt=0, le=1),
    "min_confidence": _SHARE,
}


def _check_queue(q: QueueConfig) -> Iterator[tuple[str, str]]:
    if q.fold_conflict > q.fold_threshold:
        yield "fold_conflict", "must be at most queue.fold_threshold"


#: ``[alerts]``: the other numbers may be anything finite.
ALERT_RULES: Final[dict[str, Any]] = {
    **dict.fromkeys(
        (
            "window_seconds",
            "max_window_seconds",
            "baseline_half_life_seconds",
            "raid_window_seconds",
            "outage_silence_seconds",
            "outage_pace_seconds",
            "update_growth",
            "room_idle_seconds",
        ),
        _ABOVE_0,
    ),
    **dict.fromkeys(
        (
            "warmup_seconds",
            "window_min_comments",
            "resolve_hold_seconds",
            "outage_warning_seconds",
            "cooldown_seconds",
            "update_min_interval_seconds",
            "outage_min_rate",
            "baseline_margin_sigmas",
        ),
        _AT_LEAST_0,
    ),
    **dict.fromkeys(
        (
            "negative_share_margin",
            "topic_min_share",
            "raid_abusive_share",
            "active_learning_rate",
            "raid_similarity",
            "negative_critical_share",
            "negative_min_share",
            "surprise_alpha",
        ),
        _SHARE,
    ),
    "negative_sentiment": Meta(ge=-1, le=1),
    **dict.fromkeys(
        (
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
        ),
        _AT_LEAST_1,
    ),
    "watch_terms": _TERMS,
    "topic_seeds": Mapping[str, _TERMS],  # type: ignore[valid-type]
    "room_watch_terms": Mapping[str, _TERMS],  # type: ignore[valid-type]
}

#: ``[[tokens]]``: the role is one of :data:`ROLES`.
TOKEN_RULES: Final[dict[str, Any]] = {"role": Literal[ROLES]}


def _check_moderation(m: ModerationConfig) -> Iterator[tuple[str, str]]:
    if m.outbound == "webhook" and not m.webhook_url.startswith(("http://", "https://")):
        yield "webhook_url", "must be an http(s) URL when outbound = 'webhook'"


def _check_webhook(w: WebhookSettings) -> Iterator[tuple[str, str]]:
    from yarl import URL  # what the sink parses it with; only needed with [[webhooks]]

    try:
        url = URL(w.url)
        ok = url.scheme in ("http", "https") and good_host(url.host)
    except ValueError:
        ok = False
    if not ok:
        yield "url", "must be an http(s) URL with a host"
    if w.link and not valid_link(w.link):
        yield "link", LINK_RULE


#: A webhook message's dashboard link: http(s), a host, at most 256 characters,
#: and nothing a chat format reads as markup around it (markdown's ( ), Slack's
#: < | >, quotes, spaces).
LINK_RE: Final = re.compile(r"https?://[^\s<>|\"'()`/]+(?:/[^\s<>|\"'()`]*)?")
LINK_RULE: Final = (
    "must be an http(s) URL with a host, at most 256 characters, without spaces, quotes,"
    " brackets, <, > or |"
)


def valid_link(link: str) -> bool:
    return len(link) <= 256 and LINK_RE.fullmatch(link) is not None


def good_host(host: str | None) -> bool:
    """A host name with no space or control character in it (yarl keeps them)."""
    return bool(host) and not any(ch.isspace() or ord(ch) < 32 for ch in host or "")


def url_with_host(url: str, schemes: tuple[str, ...], *, host_optional: bool = False) -> bool:
    """Whether ``url`` has one of ``schemes``, a good host (or none, if
    ``host_optional``) and a valid port, if any."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # (raises on a port that is not a number in range)
    except ValueError:
        return False
    host = parts.hostname
    return parts.scheme in schemes and (good_host(host) or (host_optional and host is None))


def _check_streams(s: StreamsSettings) -> Iterator[tuple[str, str]]:
    """Only gateway and worker read [streams]; what they would refuse at start."""
    # (redis://:password@/0 means localhost, as redis-py reads it.)
    ok = url_with_host(s.redis_url, ("redis", "rediss"), host_optional=True)
    if not ok:
        parts = urlsplit(s.redis_url)
        ok = parts.scheme == "unix" and bool(parts.path)
    if not ok:
        yield "redis_url", "must be a redis://, rediss:// or unix:// URL (with a valid port)"
    if s.action_secret and len(s.action_secret) < MIN_SECRET_CHARS:
        yield (
            "action_secret",
            f"has {len(s.action_secret)} characters; gateway and worker need at least"
            f" {MIN_SECRET_CHARS}",
        )


def _check_bilibili(b: BilibiliSourceSettings) -> Iterator[tuple[str, str]]:
    if not url_with_host(b.url, ("ws", "wss")):
        yield "url", "must be a ws:// or wss:// URL"
    if b.api_url and not url_with_host(b.api_url, ("http", "https")):
        yield "api_url", "must be an http(s) URL, or empty for no API calls"


RULES.update({QueueConfig: QUEUE_RULES, AlertConfig: ALERT_RULES, Token: TOKEN_RULES})
CHECKS.update(
    {
        QueueConfig: _check_queue,
        ModerationConfig: _check_moderation,
        WebhookSettings: _check_webhook,
        StreamsSettings: _check_streams,
        BilibiliSourceSettings: _check_bilibili,
    }
)
