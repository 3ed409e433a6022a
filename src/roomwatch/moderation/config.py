"""The ``[moderation]`` table: :class:`ModerationConfig`, defined with the config schema.

``load_settings`` checks the table when the file loads, so
``settings.moderation`` is already a :class:`ModerationConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roomwatch.config.moderation import MUTE_DURATIONS, OUTBOUNDS, ModerationConfig
from roomwatch.config.schema import build_dataclass

__all__ = ["MUTE_DURATIONS", "OUTBOUNDS", "ModerationConfig", "parse_config"]


def parse_config(raw: ModerationConfig | Mapping[str, Any]) -> ModerationConfig:
    """A :class:`ModerationConfig` as is, or a raw ``[moderation]`` table checked strictly."""
    if isinstance(raw, ModerationConfig):
        return raw
    return build_dataclass(ModerationConfig, raw, "moderation")
