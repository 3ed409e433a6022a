"""The moderator's live triage dashboard: review queue, actions, feedback.

Every :class:`~roomwatch.service.Service` has it (``service.moderation``).
The composition root (:mod:`roomwatch.compose`) builds it from
``[moderation]``, feeds it the pipeline's results, registers the ``stream``
channel's snapshot and action handler and the HTTP routes
(``POST /moderation/actions``, ``GET /moderation/audit.csv``), publishes its
stats from the one ticker, and on shutdown lets outbound deliveries finish
and closes the outbound interface.
See ``docs/moderation.md``.

The names below load on first use (the outbound interface pulls in
aiohttp), so ``roomwatch.moderation.cli`` registers ``feedback export``
without loading the dashboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roomwatch.core.lazy import lazy_names

if TYPE_CHECKING:
    from roomwatch.moderation.decision import DECISIONS, Decision
    from roomwatch.moderation.outbound import (
        ActionOutcome,
        LogOutbound,
        ModerationAction,
        Outbound,
        WebhookOutbound,
        build_outbound,
    )
    from roomwatch.moderation.runtime import Moderation

__all__ = [
    "DECISIONS",
    "ActionOutcome",
    "Decision",
    "LogOutbound",
    "Moderation",
    "ModerationAction",
    "Outbound",
    "WebhookOutbound",
    "build_outbound",
]

_LAZY = {
    "ActionOutcome": "roomwatch.moderation.outbound",
    "LogOutbound": "roomwatch.moderation.outbound",
    "ModerationAction": "roomwatch.moderation.outbound",
    "Outbound": "roomwatch.moderation.outbound",
    "WebhookOutbound": "roomwatch.moderation.outbound",
    "build_outbound": "roomwatch.moderation.outbound",
    "DECISIONS": "roomwatch.moderation.decision",
    "Decision": "roomwatch.moderation.decision",
    "Moderation": "roomwatch.moderation.runtime",
}


__getattr__ = lazy_names(__name__, _LAZY)
