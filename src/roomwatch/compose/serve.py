"""Wire a graph to the server's sinks: hub, store, webhooks, and the one ticker.

:class:`roomwatch.service.Service` calls these while it starts; each piece
is small so a reader sees every connection in one place:

* :func:`attach_hub` — stage events go to :meth:`Hub.publish`; each
  channel's snapshot and action handler come from its stage (``host``:
  triage, ``moderator``: flag, ``alerts``: alerts, ``stream``: moderation).
* :func:`attach_store` — audit rows (queue actions, refusals, alert acks,
  moderation), alert rows, restored open alerts; hub actions wait for
  their audit row to be committed.
* :func:`run_ticker` — the one ticker: quiet rooms' time moves on every
  0.1 s; moderation stats once a second; refusal counts roll over.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

from prometheus_client import CollectorRegistry

from roomwatch.authz import RefusalLog
from roomwatch.compose.graph import Graph
from roomwatch.compose.host_flush import HostFlush
from roomwatch.config.sections import RecorderSettings
from roomwatch.core.log_throttle import LogThrottle
from roomwatch.fdlimit import FdBudget
from roomwatch.sinks.hub import ActionHandler, Client, Hub
from roomwatch.sinks.recorder import Recorder
from roomwatch.stages.events import Handled, Publish
from roomwatch.store import Store

__all__ = [
    "TICK_S",
    "async_handler",
    "attach_hub",
    "attach_store",
    "open_recorder",
    "run_ticker",
    "sync_handler",
]

logger = logging.getLogger(__name__)

#: The ticker's period. Alerts act on whole seconds; the host queue's held
#: updates leave when their hold ends (compose.host_flush), not on a tick.
TICK_S = 0.1


def attach_hub(graph: Graph, hub: Hub) -> None:
    """Send the graph's events to ``hub``, and register each stage's channel on it."""

    def publish(events: Iterable[Publish]) -> None:
        for event in events:
            hub.publish(event.channel, event.room, event.message)

    graph.sink = publish
    if graph.triage is not None:
        hub.set_snapshot("host", graph.triage.snapshot)
        hub.set_handler("host", sync_handler(graph.forward, graph.triage.handle))
    if graph.flag is not None:
        hub.set_snapshot("moderator", graph.flag.snapshot)
    if graph.alerts is not None:
        hub.set_snapshot("alerts", graph.alerts.snapshot)
        hub.set_handler("alerts", sync_handler(graph.forward, graph.alerts.handle))
    if graph.moderation is not None:
        graph.moderation.emit = publish
        hub.set_snapshot("stream", graph.moderation.snapshot)
        hub.set_handler("stream", async_handler(graph.forward, graph.moderation.handle))


def sync_handler(
    forward: Callable[[Iterable[Publish]], None],
    handle: Callable[[Client, Mapping[str, Any]], Handled],
) -> ActionHandler:
    """A channel's hub handler: the stage handles the action, its events go to ``forward``."""

    async def run(client: Client, message: Mapping[str, Any]) -> dict[str, Any]:
        handled = handle(client, message)
        forward(handled.events)
        return handled.reply

    return run


def async_handler(
    forward: Callable[[Iterable[Publish]], None],
    handle: Callable[[Client, Mapping[str, Any]], Awaitable[Handled]],
) -> ActionHandler:
    """As :func:`sync_handler`, for a stage whose ``handle`` is a coroutine (moderation's;
    the gateway registers the same for its ``stream`` channel)."""

    async def run(client: Client, message: Mapping[str, Any]) -> dict[str, Any]:
        handled = await handle(client, message)
        forward(handled.events)
        return handled.reply

    return run


async def attach_store(graph: Graph, store: Store, *, hub: Hub, refusals: RefusalLog) -> None:
    """Audit and alert rows go to ``store``; open alerts saved before a restart come back."""
    refusals.sink = store.submit_audit
    # An action is acknowledged only once its audit row is committed.
    hub.durable = store.flush
    if graph.triage is not None:
        graph.triage.audit_sink = store.submit_queue_audit
    if graph.moderation is not None:
        graph.moderation.store = store
    alerts = graph.alerts
    if alerts is None:
        return
    restored = alerts.restore(await store.open_alerts())
    if restored:
        logger.info("restored %d open alerts", restored)
    alerts.add_listener(lambda event: store.submit_alert(event.alert.to_dict()))

    def audit_ack(alert_id: str, actor: str, role: str, ts: float) -> None:
        store.submit_audit(
            ts=ts,
            actor=actor,
            role=role,
            action="ack",
            target_kind="alert",
            target_id=alert_id,
            room=(a.room if (a := alerts.get(alert_id)) else ""),
        )

    alerts.on_ack = audit_ack


async def run_ticker(graph: Graph, refusals: RefusalLog) -> None:
    """The one ticker: run until cancelled.

    Stages that age things out (the host queue, alerts) need time to pass
    even when no comment arrives. Their clock is the records' ts; between
    records it moves on by the wall time elapsed since the last one.
    """
    loop = asyncio.get_running_loop()
    stats_every = graph.moderation.stats_interval_s if graph.moderation is not None else 1.0
    next_stats = loop.time() + stats_every
    tick_failed = _Throttled("the ticker's step failed")
    stats_failed = _Throttled("moderation stats failed")
    # Held host updates leave when their hold ends, not at the next tick.
    flush = HostFlush(graph)
    if graph.triage is not None:
        graph.pipeline.add_output(flush)
    try:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                graph.tick()
                refusals.tick(time.time())
            except Exception:
                tick_failed.log(loop.time())
            flush.arm()
            if loop.time() >= next_stats:
                next_stats = loop.time() + stats_every
                try:
                    graph.publish_stats()
                except Exception:
                    stats_failed.log(loop.time())
    finally:
        flush.close()


class _Throttled:
    """Log a repeating failure with its traceback at most once a minute.

    The ticker runs ten times a second: a step that keeps failing would
    otherwise write ten tracebacks a second. The first failure is logged at
    once; later ones say how many were held back since.
    """

    EVERY_S: Final = 60.0

    def __init__(self, message: str) -> None:
        self.message = message
        self._throttle = LogThrottle(self.EVERY_S)

    def log(self, now: float) -> None:
        more = self._throttle.due(None, now)
        if more is None:
            return
        if more:
            logger.exception("%s (and %d more times since the last report)", self.message, more)
        else:
            logger.exception("%s", self.message)


def open_recorder(
    settings: RecorderSettings,
    budget: FdBudget,
    registry: CollectorRegistry,
    on_error: Callable[[str], None] | None = None,
) -> Recorder:
    """The recorder every role that takes records in keeps (``serve``, the gateway).

    Its open files are capped by ``budget`` (:func:`roomwatch.fdlimit.fd_budget`),
    so many rooms can't exhaust the process's descriptors.
    """
    return Recorder(
        settings.dir,
        registry=registry,
        on_error=on_error,
        flush_interval_s=settings.flush_interval_s,
        max_bytes=settings.max_bytes,
        max_age_s=settings.max_age_s,
        max_buffer_bytes=settings.max_buffer_bytes,
        fsync=settings.fsync,
        max_open_files=budget.recorder_files,
    )
