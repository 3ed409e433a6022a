"""Send the host queue's held updates the moment their hold ends (issue #14).

An item's ``updated`` events are held for ``queue.update_interval_s`` so a
hot question does not flood the host's screen; a held update goes out when
the room's record time reaches the end of the hold. The one ticker moves
every stage on ten times a second, so a held update waited for it up to
0.1 s more than its hold. :class:`HostFlush` is a pipeline output that runs
after every batch (and after each of its own flushes): it sets one timer on
the event loop for the triage stage's next wake-up
(:meth:`~roomwatch.stages.triage.TriageStage.next_wake`), and when the timer
fires it runs :meth:`~roomwatch.stages.triage.TriageStage.tick_wall` and
forwards its events. Ticking the triage stage more often changes when held
updates leave, never what the queue holds (the stage is built for calls at
any time).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Final

from roomwatch.compose.graph import Graph
from roomwatch.core.log_throttle import LogThrottle
from roomwatch.core.result import Result

__all__ = ["MIN_GAP_S", "HostFlush"]

logger = logging.getLogger(__name__)

#: Least seconds between two flushes: a wake-up that keeps coming due at
#: once (a room whose time stands still behind its queue's) can't spin the loop.
MIN_GAP_S: Final = 0.002


class HostFlush:
    """A pipeline output that keeps one timer set for the next held host update."""

    __slots__ = ("_closed", "_graph", "_handle", "_last", "_throttle")

    #: Its label in roomwatch_stage_duration_seconds (the triage stage has its own).
    stage = "host_flush"

    def __init__(self, graph: Graph) -> None:
        self._graph = graph
        self._handle: asyncio.TimerHandle | None = None
        self._last = -1.0
        self._closed = False
        self._throttle = LogThrottle(60.0)

    def __call__(self, results: Sequence[Result]) -> None:
        self.arm()

    def arm(self) -> None:
        """Set the timer for the triage stage's next wake-up (if sooner than the one set)."""
        triage = self._graph.triage
        if self._closed or triage is None:
            return
        delay = triage.wake_in()
        if delay is None:
            return
        loop = asyncio.get_running_loop()
        at = max(loop.time() + delay, self._last + MIN_GAP_S)
        handle = self._handle
        if handle is not None:
            if handle.when() <= at:
                return
            handle.cancel()
        self._handle = loop.call_at(at, self._fire)

    def _fire(self) -> None:
        self._handle = None
        loop = asyncio.get_running_loop()
        self._last = loop.time()
        triage = self._graph.triage
        if self._closed or triage is None:
            return
        try:
            events = triage.tick_wall()
            self._graph.forward(events)
        except Exception:
            events = []
            more = self._throttle.due(None, self._last)
            if more is not None:
                logger.exception("sending held host updates failed (%d more since)", more)
        delay = triage.wake_in()
        if not events and delay is not None and delay <= 0:
            # Due again at once, yet this flush sent nothing (a deadline
            # the queue doesn't act on, a failing step): leave it to the
            # ticker's 0.1 s pace rather than firing every MIN_GAP_S.
            return
        self.arm()

    def close(self) -> None:
        """Cancel the timer; later batches set none."""
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
