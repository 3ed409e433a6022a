"""What every web handler reads: the running service's parts, under one typed key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from aiohttp import web

from roomwatch.config import Settings
from roomwatch.metrics import Metrics
from roomwatch.pipeline import Pipeline
from roomwatch.sinks.hub import Hub
from roomwatch.sources.supervise import SourceHealth
from roomwatch.web.auth import Authenticator

__all__ = ["AppState", "state_key"]


@dataclass(slots=True)
class AppState:
    settings: Settings
    metrics: Metrics
    hub: Hub
    pipeline: Pipeline
    auth: Authenticator
    started: float
    model_version: str
    source_health: SourceHealth = field(default_factory=SourceHealth)


state_key: Final = web.AppKey("state", AppState)
