"""Stopping a task that a library may not let stop the first time."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["cancel_and_wait"]

logger = logging.getLogger(__name__)


async def cancel_and_wait(*tasks: asyncio.Task[Any]) -> None:
    """Cancel ``tasks`` and wait for them, cancelling again each second until they end.

    A cancellation can be lost inside redis-py's read: the gateway's fan-out
    task was seen "cancelling" yet still reading, its loop going round on
    the next read (it retries on Redis errors), and ``close()`` waited for
    it forever in about half the runs of ``tests/streams/test_gateway.py``.
    Repeating the cancel ends such a loop.
    """
    pending = set(tasks)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1.0)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            logger.error("task %s ended with %r", task.get_name(), task.exception())
