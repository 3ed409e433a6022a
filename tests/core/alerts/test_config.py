"""[alerts]: AlertConfig (the schema parses the table: tests/config)."""

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


def test_config_is_frozen() -> None:
    config = AlertConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.window_seconds = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.topic_seeds["x"] = ("y",)  # type: ignore[index]
    # The schema checks every bound at load (tests/config); what the
    # detectors divide by is checked here too, for a config built in code.
    for name in ("window_seconds", "baseline_half_life_seconds"):
        with pytest.raises(ConfigError, match=f"alerts.{name} must be above 0"):
            AlertConfig(**{name: 0.0})  # type: ignore[arg-type]
    assert config.watch_terms_for("any") == ("12315", "曝光", "维权", "投诉", "食品安全", "过敏")
    with pytest.raises(AlertError):
        obs(T0, "x", label="praise")
    assert severity_at_least("critical", "warning") and not severity_at_least("info", "warning")
