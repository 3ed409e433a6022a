"""[alerts]: AlertConfig and its parsing."""

from __future__ import annotations

import dataclasses

import pytest

from roomwatch.core.alerts import (
    AlertConfig,
    AlertError,
    severity_at_least,
)
from roomwatch.core.errors import ConfigError

from .helpers import (
    T0,
    obs,
)


def test_config_is_validated_and_frozen() -> None:
    config = AlertConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.window_seconds = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.topic_seeds["x"] = ("y",)  # type: ignore[index]
    for bad in (
        {"window_seconds": 0},
        {"negative_share_margin": 2.0},
        {"raid_min_accounts": 0},
        {"negative_sentiment": -3},
    ):
        with pytest.raises(ConfigError):
            AlertConfig(**bad)  # type: ignore[arg-type]
    assert config.watch_terms_for("any") == ("12315", "曝光", "维权", "投诉", "食品安全", "过敏")
    with pytest.raises(AlertError):
        obs(T0, "x", label="praise")
    assert severity_at_least("critical", "warning") and not severity_at_least("info", "warning")


def test_config_from_toml_table() -> None:
    config = AlertConfig.from_mapping(
        {
            "window_seconds": 30,
            "raid_min_accounts": 10,
            "watch_terms": ["12315", "召回"],
            "room_watch_terms": {"county-apples-1126": ["发霉"]},
            "topic_seeds": {"物流": ["快递", "没发货"]},
        }
    )
    assert config.window_seconds == 30.0 and isinstance(config.window_seconds, float)
    assert config.raid_min_accounts == 10
    assert config.watch_terms_for("x") == ("12315", "召回")
    assert config.watch_terms_for("county-apples-1126") == ("发霉",)
    assert dict(config.topic_seeds) == {"物流": ("快递", "没发货")}
    for bad in (
        {"window": 3},
        {"raid_min_accounts": 2.5},
        {"window_seconds": "20"},
        {"watch_terms": "12315"},
        {"room_watch_terms": ["x"]},
        {"negative_min_count": True},
    ):
        with pytest.raises(ConfigError):
            AlertConfig.from_mapping(bad)
