"""The reconnect loop every long-lived source runs: connect, read, wait, again.

A source's ``connect_once`` reads one connection to its end and raises
:class:`Ended` to ask for a reconnect (or returns when the source is
closing). :class:`Reconnects` runs it under the shared
:class:`~roomwatch.retry.RetryPolicy` forever, counting the waits from the
last connection that received data, so a healthy upstream that drops once
is retried after the first delay, not the tenth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState

from roomwatch.retry import RetryPolicy
from roomwatch.sources.supervise import SourceState

__all__ = ["Ended", "Reconnects", "mark_restarting", "run_session"]


class Ended(Exception):
    """The connection closed, failed or went quiet; the source reconnects."""


@dataclass(slots=True)
class Reconnects:
    """Connection attempts of one source, and the one before data last arrived."""

    name: str
    url: str
    #: The source's own logger, so its reconnect lines keep its name.
    log: logging.Logger
    #: The connection attempt under way (1-based), and the attempts before
    #: the last one that received data: reconnects count from there.
    attempt: int = 0
    healthy_after: int = 0
    #: Where ``/healthz`` reads the source's state: ``reconnecting`` (with the
    #: error) from a failed or ended connection until data arrives again.
    health: SourceState | None = None

    def connected(self) -> None:
        """A connection is up: the upstream is reachable again (a quiet room may
        send nothing for a long time; that is no outage of the source)."""
        health = self.health
        if health is not None and health.state == "reconnecting":
            health.state = "running"

    def data_arrived(self) -> None:
        """The upstream sent data: the next reconnect waits as if it were the first."""
        self.healthy_after = self.attempt - 1
        health = self.health
        if health is not None and health.state in ("restarting", "reconnecting"):
            health.state = "running"

    async def run(
        self,
        policy: RetryPolicy,
        rand: Callable[[], float],
        connect_once: Callable[[], Awaitable[None]],
        *,
        stopping: asyncio.Event,
        pause: Callable[[float], Awaitable[None]],
    ) -> None:
        """Run ``connect_once`` until ``stopping`` is set, waiting ``pause`` between."""
        retrying = policy.retrying(
            Ended,
            rand=rand,
            sleep=pause,
            give_up=stopping.is_set,
            retry_number=self._number,
            before_sleep=self._log,
        )
        with contextlib.suppress(Ended):  # closed while the connection was failing
            async for attempt in retrying:
                with attempt:
                    self.attempt = attempt.retry_state.attempt_number
                    await connect_once()

    def _number(self, state: RetryCallState) -> int:
        return state.attempt_number - self.healthy_after

    def _log(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        health = self.health
        if health is not None and health.state == "running":
            # No data is coming in: an upstream that is down (or was never
            # up) is not "running" to an operator's health check.
            health.enter("reconnecting", str(error))
        self.log.warning(
            "%s: %s; reconnecting to %s in %.1f s (attempt %d)",
            self.name,
            error,
            self.url,
            state.upcoming_sleep,
            self._number(state),
        )


def mark_restarting(health: SourceState | None, reason: str) -> None:
    """An unexpected error: ``/healthz`` shows the source restarting, with why."""
    if health is None:
        return
    health.enter("restarting", reason)
    health.restarts += 1


async def run_session(ws: Any, session: Awaitable[None]) -> None:
    """Await one connection's ``session``; when roomwatch stops, say so.

    Cancelled (shutting down), it closes ``ws`` with 1001 going away (within
    a second) rather than let the connection's context manager report an
    internal error, then lets the cancellation through.
    """
    try:
        await session
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(1001, "roomwatch is stopping"), 1.0)
        raise
