"""Source supervision: a source task that dies is restarted and reported.

A source's ``run`` should never raise; if it does anyway (a bug, a closed
pipeline, something no one foresaw), the supervisor logs the traceback,
counts ``roomwatch_source_restarts_total{source}``, marks the source
``restarting`` (so ``/healthz`` answers ``degraded``) and runs it again after
a backoff. A source is never silently gone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from roomwatch.metrics import Metrics

__all__ = ["SourceHealth", "SourceState", "supervise"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class SourceState:
    state: str = "running"  # running, reconnecting, restarting, finished, failed
    restarts: int = 0
    last_error: str = ""
    last_error_at: float = 0.0

    def enter(self, state: str, error: str) -> None:
        """Be ``state`` because of ``error`` (kept for ``/healthz``, cut to 500 characters)."""
        self.state = state
        self.last_error = error[:500]
        self.last_error_at = time.time()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "restarts": self.restarts}
        if self.last_error:
            out["last_error"] = self.last_error
            out["last_error_at"] = round(self.last_error_at, 3)
        return out


@dataclass(slots=True)
class SourceHealth:
    """What ``/healthz`` reports about the sources."""

    sources: dict[str, SourceState] = field(default_factory=dict)

    def get(self, name: str) -> SourceState:
        state = self.sources.get(name)
        if state is None:
            state = self.sources[name] = SourceState()
        return state

    @property
    def degraded(self) -> bool:
        return any(
            s.state in ("reconnecting", "restarting", "failed") for s in self.sources.values()
        )

    def to_dict(self) -> dict[str, Any]:
        return {name: s.to_dict() for name, s in sorted(self.sources.items())}


async def supervise(
    name: str,
    run: Callable[[], Awaitable[object]],
    *,
    health: SourceHealth,
    metrics: Metrics,
    fatal: tuple[type[Exception], ...] = (),
    initial_delay: float = 1.0,
    max_delay: float = 60.0,
    healthy_after: float = 60.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.time,
) -> object:
    """Run ``run()`` until it returns; restart it whenever it raises.

    An exception in ``fatal`` is reported and ends it (a replay that can't
    read its file would only fail again). A run that lasted ``healthy_after``
    seconds resets the backoff.
    """
    state = health.get(name)
    delay = initial_delay
    while True:
        started = clock()
        state.state = "running"
        try:
            result = await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            state.last_error = f"{type(exc).__name__}: {exc}"[:300]
            state.last_error_at = clock()
            metrics.source(name).errors(type(exc).__name__).inc()
            if isinstance(exc, fatal):
                state.state = "failed"
                logger.error("source %s stopped: %s", name, state.last_error)
                return None
            state.state = "restarting"
            state.restarts += 1
            metrics.source_restarts.labels(name).inc()
            if clock() - started >= healthy_after:
                delay = initial_delay
            logger.exception("source %s died; restarting it in %.1f s", name, delay)
            await sleep(delay)
            delay = min(max_delay, delay * 2)
            continue
        state.state = "finished"
        return result
