"""The moderator's live triage dashboard: review queue, actions, feedback.

Every :class:`~roomwatch.service.Service` installs it when it is built
(``service.moderation``). :func:`install` parses ``[moderation]`` strictly, registers the pipeline
output, the ``stream`` channel's snapshot and action handler, the HTTP
routes (``POST /moderation/actions``, ``GET /moderation/audit.csv``) and a
lifespan (stats ticker, outbound deliveries drained and closed on shutdown).
See ``docs/moderation.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roomwatch.moderation.config import MUTE_DURATIONS, ModerationConfig, parse_config
from roomwatch.moderation.outbound import (
    ActionOutcome,
    LogOutbound,
    ModerationAction,
    Outbound,
    WebhookOutbound,
    build_outbound,
)
from roomwatch.moderation.runtime import DECISIONS, Decision, Moderation

if TYPE_CHECKING:
    from roomwatch.service import Service

__all__ = [
    "DECISIONS",
    "MUTE_DURATIONS",
    "ActionOutcome",
    "Decision",
    "LogOutbound",
    "Moderation",
    "ModerationAction",
    "ModerationConfig",
    "Outbound",
    "WebhookOutbound",
    "build_outbound",
    "install",
    "parse_config",
]


def install(service: Service, *, outbound: Outbound | None = None) -> Moderation:
    """Wire the moderation feature into ``service`` (the service does, when built)."""
    from aiohttp import web

    from roomwatch.moderation.routes import add_routes

    config = parse_config(service.settings.moderation)
    moderation = Moderation(service, config, outbound=outbound, pace=service.pace)
    service.pipeline.add_output(moderation)

    def hook(app: web.Application) -> None:
        add_routes(app, moderation)
        app.cleanup_ctx.append(moderation.lifespan)

    service.add_app_hook(hook)
    return moderation
