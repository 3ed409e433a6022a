"""What the pipeline logs when overload degrade mode changes (docs/reliability.md)."""

from __future__ import annotations

import logging

__all__ = ["announce"]

logger = logging.getLogger("roomwatch.pipeline")


def announce(change: str, level: int, wait: float, queued: int, every: int, shed: int) -> None:
    """Log one change of the overload gauge (:class:`roomwatch.core.shed.OverloadGauge`)."""
    if change == "enter":
        logger.warning(
            "overload: entering degrade mode (oldest comment waited %.1f s, "
            "%d queued); shedding chatter",
            wait,
            queued,
        )
    elif change == "deep":
        logger.warning(
            "overload: still behind (%d queued); degrade level %d: analysing one "
            "in %d comments with %s evidence only",
            queued,
            level,
            every,
            "weak n-gram" if level == 2 else "n-gram",
        )
    elif change == "ease":
        logger.warning("overload: easing to degrade level %d", level)
    else:
        logger.warning("overload: leaving degrade mode (%d shed so far)", shed)
