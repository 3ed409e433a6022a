"""Configuration: one TOML file, checked against one typed schema when it loads.

Every key has a default, so ``roomwatch serve`` with no file works on
127.0.0.1. The schema is the section dataclasses (:mod:`.sections`,
:mod:`.moderation`, and ``QueueConfig``/``AlertConfig`` from ``core`` with
bounds from :mod:`.rules`), checked by msgspec in :mod:`.schema`: unknown
keys, wrong types and values out of bounds are errors that name the dotted
key, all of them at once. ``roomwatch check-config FILE`` (:mod:`.check`)
runs the same check. Tokens may be written literally or as ``"env:NAME"``;
the environment is passed in (``environ``), never read from ``os.environ``
here, so tests don't patch it. Tokens are never logged: :class:`Token` hides
its secret in ``repr``.

See ``docs/config.md`` for every key.
"""

from __future__ import annotations

from roomwatch.config import field_maps  # noqa: F401  (registers its config check)
from roomwatch.config.load import ConfigFile, Settings, load_settings, settings_from_dict
from roomwatch.config.moderation import ModerationConfig
from roomwatch.config.schema import InvalidConfig, Problem, build_dataclass
from roomwatch.config.sections import (
    ROLES,
    BilibiliSourceSettings,
    HubSettings,
    LimitSettings,
    ModelSettings,
    PipelineSettings,
    RecorderSettings,
    ReplaySourceSettings,
    RoomSettings,
    ServerSettings,
    Sources,
    StoreSettings,
    Token,
    WebhookSettings,
    WebSocketSourceSettings,
)
from roomwatch.config.streams import StreamsSettings

__all__ = [
    "ROLES",
    "BilibiliSourceSettings",
    "ConfigFile",
    "HubSettings",
    "InvalidConfig",
    "LimitSettings",
    "ModelSettings",
    "ModerationConfig",
    "PipelineSettings",
    "Problem",
    "RecorderSettings",
    "ReplaySourceSettings",
    "RoomSettings",
    "ServerSettings",
    "Settings",
    "Sources",
    "StoreSettings",
    "StreamsSettings",
    "Token",
    "WebSocketSourceSettings",
    "WebhookSettings",
    "build_dataclass",
    "load_settings",
    "settings_from_dict",
]
