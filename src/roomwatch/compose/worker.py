"""``roomwatch worker``: the stages, fed from Redis Streams (``docs/streams.md``).

The same graph as ``serve`` (:func:`roomwatch.compose.graph.build_pipeline`),
built once per input shard the worker owns, with the triage, flag and alert
stages; what they publish goes to the output stream instead of a hub. The
worker serves ``/metrics`` and ``/healthz`` on ``streams.worker_port``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from roomwatch.compose.graph import Graph, analyzer_for, build_pipeline
from roomwatch.compose.urls import stop_logged
from roomwatch.config import Settings
from roomwatch.core.analyze import Analyzer
from roomwatch.heap import keep_heap_trimmed, settle_heap
from roomwatch.metrics import Metrics, StreamMetrics, install_process_metrics
from roomwatch.streams.actions import ControlCheck, MissingSecret, TrustedGate, action_secret
from roomwatch.streams.connect import connect
from roomwatch.streams.worker import StreamWorker

__all__ = ["WORKER_STAGES", "run_worker", "shard_graphs"]

logger = logging.getLogger(__name__)

#: The stages a worker runs. The moderation stage (the ``stream`` channel) is a
#: reader of verdicts with the store and the outbound interface at hand: it runs
#: at the gateway (:mod:`roomwatch.streams.review`). Client actions on ``host``
#: and ``alerts`` reach these as signed control entries (:mod:`roomwatch.streams.actions`).
WORKER_STAGES = ("triage", "flag", "alerts")


def shard_graphs(settings: Settings, analyzer: Analyzer, metrics: Metrics) -> Callable[..., Graph]:
    """A factory of one shard's graph: ``factory(verdict_output, alert_listener)``.

    Overload degrade mode is off, on purpose (``docs/streams.md``, "Overload"):
    what it sheds depends on the wall-clock backlog at the moment, which a
    shard's new owner replaying the history cannot know, so its state would
    differ from the old owner's; and a shed record gets no verdict, where the
    Redis path promises one per accepted record. A worker's backlog waits in
    Redis, bounded by trimming and visible as pending/lag; add workers instead.
    """
    settings = dataclasses.replace(
        settings, pipeline=dataclasses.replace(settings.pipeline, overload_degrade=False)
    )

    def build(output: Callable[..., None], on_alert: Callable[..., None]) -> Graph:
        graph = build_pipeline(
            settings,
            analyzer,
            metrics=metrics,
            stages=WORKER_STAGES,
            outputs=[output],
            alert_listeners=[on_alert],
            guard=True,
            # The gateway admitted every action it forwards (streams/actions.py).
            gate=TrustedGate(),
        )
        # The gateway counted each record under its own source ("http"...);
        # here they come from the stream (docs/metrics.md).
        graph.pipeline.count_source = "stream"
        return graph

    return build


async def run_worker(settings: Settings, *, registry: CollectorRegistry | None = None) -> int:
    """Run a worker until SIGINT/SIGTERM; its shards are handed back on the way out."""
    try:
        secret = action_secret(settings.streams, "worker")
    except MissingSecret as exc:
        print(exc, file=sys.stderr, flush=True)
        return 2
    registry = registry if registry is not None else CollectorRegistry()
    metrics = Metrics(registry)
    streams = StreamMetrics(registry)
    install_process_metrics(registry, asyncio.get_running_loop())
    analyzer = await asyncio.to_thread(analyzer_for, settings)
    settle_heap()
    redis = connect(settings.streams.redis_url)
    worker = StreamWorker(
        redis,
        settings.streams,
        shard_graphs(settings, analyzer, metrics),
        metrics=metrics,
        streams=streams,
        window=settings.streams.idempotency_window,
    )
    # Only actions a gateway signed are applied; the others are dead letters.
    worker.check_control = ControlCheck(secret, streams)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop_logged, "worker", sig, worker.stop)
    runner = await _serve_metrics(settings, worker, registry)
    trimmer = asyncio.create_task(keep_heap_trimmed(), name="roomwatch-heap-trim")
    try:
        await worker.run()
    finally:
        trimmer.cancel()
        stopped = time.monotonic()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(worker.release_all(), 5.0)
        await runner.cleanup()
        await redis.aclose()
        logger.info(
            "worker: shutdown done in %.2f s (shards handed back)", time.monotonic() - stopped
        )
    return 0


async def _serve_metrics(
    settings: Settings, worker: StreamWorker, registry: CollectorRegistry
) -> web.AppRunner:
    started = time.monotonic()

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def healthz(request: web.Request) -> web.Response:
        up = _gauge(registry, "roomwatch_redis_up")
        body: dict[str, Any] = {
            "status": "ok" if up != 0 else "degraded",
            "role": "worker",
            "worker": worker.name,
            "shards": sorted(worker.owned),
            "redis_up": up != 0,
            "processed": worker.processed,
            "uptime_s": round(time.monotonic() - started, 3),
        }
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.server.host, settings.streams.worker_port)
    await site.start()
    sockets = getattr(site._server, "sockets", None) or []
    port = sockets[0].getsockname()[1] if sockets else settings.streams.worker_port
    logger.info(
        "worker %s: /metrics and /healthz on %s:%d", worker.name, settings.server.host, port
    )
    print(
        f"roomwatch worker {worker.name} metrics on http://{settings.server.host}:{port}",
        flush=True,
    )
    return runner


def _gauge(registry: CollectorRegistry, name: str) -> float | None:
    value = registry.get_sample_value(name)
    return None if value is None else float(value)
