"""``roomwatch gateway``: sources, the web app, the hub, webhooks and the store,
with the stages in ``roomwatch worker`` processes behind Redis Streams.

The same parts as ``serve`` (:class:`roomwatch.service.Service`), wired the
other way round: what the sources and ``/ingest`` accept goes to the input
shards (:class:`~roomwatch.streams.producer.StreamProducer`, which stands
where the pipeline stands in ``serve``), and what the workers write to the
output stream comes back to the hub, the webhooks and the store
(:class:`~roomwatch.streams.fanout.Fanout`). The moderation stage (the
``stream`` channel) runs here, fed the workers' verdicts
(:mod:`roomwatch.streams.review`); one gateway runs per deployment
(:mod:`roomwatch.streams.lease`). ``docs/streams.md`` has the layout.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Iterable
from typing import Any, cast

from aiohttp import web
from prometheus_client import CollectorRegistry

from roomwatch.assets import asset_dir
from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.compose.graph import Graph
from roomwatch.compose.serve import async_handler, open_recorder
from roomwatch.compose.sources import build_sources
from roomwatch.compose.urls import print_urls, stop_logged
from roomwatch.config import Settings
from roomwatch.config.rooms import RoomBook, room_title
from roomwatch.core.normalize import Normalizer
from roomwatch.fdlimit import fd_budget
from roomwatch.heap import keep_heap_trimmed
from roomwatch.metrics import Metrics, StreamMetrics, install_process_metrics
from roomwatch.moderation.routes import add_routes as add_moderation_routes
from roomwatch.moderation.runtime import Moderation
from roomwatch.pipeline import Pipeline
from roomwatch.sinks.hub import Hub
from roomwatch.sinks.recorder import Recorder
from roomwatch.sinks.webhook import WebhookSink, WebhookTarget
from roomwatch.sources.supervise import supervise
from roomwatch.sources.timebound import TimeGuard
from roomwatch.stages.clock import Pace, RoomClocks
from roomwatch.stages.events import Publish
from roomwatch.store import Store
from roomwatch.streams.actions import (
    CONTROL_CHANNELS,
    ActionForwarder,
    MissingSecret,
    action_secret,
)
from roomwatch.streams.cancel import cancel_and_wait
from roomwatch.streams.connect import connect
from roomwatch.streams.fanout import OUT_GROUP, Fanout, Views
from roomwatch.streams.layout import Keys
from roomwatch.streams.lease import GatewayLease, GatewayTaken
from roomwatch.streams.producer import StreamProducer
from roomwatch.streams.review import GatewayReview
from roomwatch.streams.spool import Spool, SpoolFull
from roomwatch.streams.trim import trim_capped, trim_output
from roomwatch.web.app import create_app
from roomwatch.web.auth import Authenticator
from roomwatch.web.state import AppState

__all__ = ["Gateway", "run_gateway"]

logger = logging.getLogger(__name__)


class Gateway:
    def __init__(self, settings: Settings, *, registry: CollectorRegistry | None = None) -> None:
        self.settings = settings
        s = settings.streams
        self.metrics = Metrics(registry if registry is not None else CollectorRegistry())
        self.streams = StreamMetrics(self.metrics.registry)
        self.hub = Hub(settings.hub, self.metrics)
        self.hub.message_rate = (
            settings.limits.client_messages_per_s,
            settings.limits.client_messages_burst,
        )
        self.authz = Authz(
            settings.tokens, open_flags={"server.open_metrics": settings.server.open_metrics}
        )
        self.webhooks = WebhookSink(
            [WebhookTarget(**dataclasses.asdict(w)) for w in settings.webhooks],
            registry=self.metrics.registry,
            # (the room's section as it is now: an admin may retitle it)
            room_title=lambda room: room_title(self.graph.rooms, room),
        )
        self.keys = Keys(s.prefix, s.shards)
        #: This gateway's name: in its lease and in every action it signs.
        self.name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        secret = action_secret(s, "gateway")
        self.redis = connect(s.redis_url)
        self.lease = GatewayLease(self.redis, s.prefix, self.name, s.lease_ttl_s, self.stop)
        pace = Pace()
        self.producer = StreamProducer(
            self.redis,
            self.keys,
            Spool(s.spool_path or None, s.spool_max),
            metrics=self.metrics,
            streams=self.streams,
            pace=pace,
            guard=TimeGuard(settings.pipeline, pace=pace).admit,
            dedupe_window=settings.pipeline.dedupe_window,
        )
        self.views = Views(settings.hub.moderator_backlog)
        self.views.attach(self.hub)
        self.fanout = Fanout(
            self.redis, self.keys.output, self.hub, self.views, [self.webhooks.enqueue]
        )
        # Client actions: admitted here as in serve, applied by the room's worker.
        self.refusals = RefusalLog()
        self.gate = Gate(self.authz, self.refusals, per_minute=settings.server.actions_per_minute)
        self.actions = ActionForwarder(
            self.gate,
            self.producer.control,
            self.views.alert_room,
            gateway=self.name,
            secret=secret,
        )
        self.fanout.on_reply = self.actions.resolve
        for channel in CONTROL_CHANNELS:
            self.hub.set_handler(channel, self.actions.handler(channel))
        # The sources hand records to the producer where serve's sources hand
        # them to the pipeline: it has the same admit/offer/put/reject.
        self.graph = Graph(
            pipeline=cast(Pipeline, self.producer),
            metrics=self.metrics,
            pace=pace,
            clocks=RoomClocks(time.monotonic, pace),
            rooms=RoomBook(settings.queue, settings.alerts, settings.rooms),
        )
        self.sources = build_sources(settings, self.graph)
        # The moderation stage (``stream`` channel): fed the workers' verdicts
        # here, where the store and the outbound interface are; its actions
        # are admitted by the gate above and applied here (streams/review.py).
        self.moderation = Moderation(
            settings.moderation,
            gate=self.gate,
            registry=self.metrics.registry,
            clocks=self.graph.clocks,
            max_review_items=settings.limits.max_review_items,
            max_stats_rooms=settings.limits.max_stats_rooms,
        )
        lexicons = settings.model.lexicons_dir or None
        self.review = GatewayReview(
            self.moderation,
            lambda: Normalizer.from_dir(asset_dir("lexicons", lexicons)),
            self._publish,
        )
        self.moderation.emit = self._publish
        self.fanout.verdict_listeners.append(self.review.verdicts)
        self.hub.set_snapshot("stream", self.moderation.snapshot)
        # The stream channel's actions, as serve's handler (compose/serve.attach_hub).
        self.hub.set_handler("stream", async_handler(self._publish, self.moderation.handle))
        self.store: Store | None = None
        self.recorder: Recorder | None = None
        self.port: int | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._stopped = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://{self.settings.server.host}:{self.port}"

    async def start(self) -> None:
        stack = contextlib.AsyncExitStack()
        try:
            await self._open(stack)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack

    def _publish(self, events: Iterable[Publish]) -> None:
        for event in events:
            self.hub.publish(event.channel, event.room, event.message)

    async def _open(self, stack: contextlib.AsyncExitStack) -> None:
        settings = self.settings
        install_process_metrics(self.metrics.registry, asyncio.get_running_loop())
        # One gateway per deployment: a second one stops here (GatewayTaken).
        stack.push_async_callback(self.redis.aclose)
        await self.lease.acquire()
        stack.push_async_callback(self.lease.release)
        lease = asyncio.create_task(self.lease.keep(), name="gateway-lease")
        stack.push_async_callback(cancel_and_wait, lease)
        # The normaliser the review items' raid keys need (loaded off the loop).
        await asyncio.to_thread(self.review.normalizer, "")
        store = self.store = await Store.open(settings.store.path, registry=self.metrics.registry)
        stack.push_async_callback(store.close)
        self.moderation.store = store
        # The alerts open when the last gateway stopped, until the workers'
        # views (sent as their rooms change) say otherwise: comms staff saw 2
        # of 15 for 20 s after a restart.
        restored = self.views.restore_alerts(await store.open_alerts())
        if restored:
            logger.info("gateway: restored %d open alerts", restored)
        self.fanout.alert_listeners.append(lambda e: store.submit_alert(e.alert.to_dict()))
        # As in serve (compose/serve.py, attach_store): actions and refusals are
        # audited, and an action is acknowledged once its audit row is committed.
        self.fanout.audit_listeners.append(store.submit_audit)
        self.refusals.sink = store.submit_audit
        self.hub.durable = store.flush
        stack.callback(self.refusals.flush)
        await self.webhooks.start()
        stack.push_async_callback(self.webhooks.close)
        rec = settings.recorder
        if rec.enabled:
            budget = fd_budget(rec.max_open_files, recording=True)
            recorder = self.recorder = open_recorder(rec, budget, self.metrics.registry)
            await recorder.start()
            stack.push_async_callback(recorder.aclose)
            self.producer.add_tap(lambda c: recorder.write(c.room, c.to_json()))
        self.producer.start()
        stack.push_async_callback(self.producer.close)
        stack.push_async_callback(self.producer.drain, settings.server.shutdown_timeout_s / 2)
        fanout = asyncio.create_task(self.fanout.run(), name="stream-fanout")
        stack.push_async_callback(cancel_and_wait, fanout)
        # Outbound moderation deliveries finish (for a while) before the store closes.
        stack.push_async_callback(self.moderation.aclose)
        ticker = asyncio.create_task(self._ticker(), name="gateway-ticker")
        stack.push_async_callback(cancel_and_wait, ticker)
        trimmer = asyncio.create_task(self._trim_outputs(), name="output-trim")
        stack.push_async_callback(cancel_and_wait, trimmer)

        state = AppState(
            settings=settings,
            metrics=self.metrics,
            hub=self.hub,
            pipeline=cast(Pipeline, self.producer),
            auth=Authenticator(self.authz),
            started=time.monotonic(),
            model_version="(workers)",
            source_health=self.graph.source_health,
        )
        app = create_app(state)
        app.middlewares.append(self._spool_middleware)
        add_moderation_routes(app, self.moderation)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        stack.push_async_callback(self.hub.close)
        site = web.TCPSite(runner, settings.server.host, settings.server.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else settings.server.port
        tasks = [
            asyncio.create_task(
                supervise(
                    src.name,
                    src.run,
                    health=self.graph.source_health,
                    metrics=self.metrics,
                    fatal=src.fatal,
                ),
                name=f"source-{src.name}",
            )
            for src in self.sources
        ]
        stack.push_async_callback(cancel_and_wait, *tasks)
        for src in self.sources:
            stack.callback(src.stop)
        logger.info("roomwatch gateway listening on %s", self.url)

    async def _ticker(self) -> None:
        """Refusal counts roll over, and moderation stats go out, as serve's ticker does."""
        while True:
            await asyncio.sleep(self.moderation.stats_interval_s)
            try:
                self.refusals.tick(time.time())
                self.review.publish_stats()
            except Exception:
                logger.exception("gateway: the ticker's step failed")

    async def _trim_outputs(self) -> None:
        """Trim the output stream behind the fan-out, the dead letters to their cap; count it."""
        s, keys, m = self.settings.streams, self.keys, self.streams
        while True:
            await asyncio.sleep(s.trim_interval_s)
            try:
                n = await trim_output(self.redis, keys.output, OUT_GROUP, max_len=s.out_max_len)
                dead = await trim_capped(self.redis, keys.dead, max_len=s.out_max_len)
                for stream, trimmed in ((keys.output, n), (keys.dead, dead)):
                    if trimmed:
                        m.trimmed.labels(stream).inc(trimmed)
                    m.length.labels(stream).set(int(await self.redis.xlen(stream)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("gateway: trimming the output streams failed: %r", exc)

    @web.middleware
    async def _spool_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """429 when the spool is full; ``/healthz`` says whether Redis is away.

        A request refused part-way says how many of its records were taken
        (the first ones, in order); sending the rest again is safe, and
        records with an ``id`` sent twice are counted once.
        """
        before = self.producer.accepted
        try:
            response: web.StreamResponse = await handler(request)
        except SpoolFull as exc:
            taken = self.producer.accepted - before
            logger.warning("gateway: spool full; refused a request after %d records", taken)
            return web.json_response(
                {"error": str(exc), "reason": "spool_full", "accepted": taken},
                status=429,
                headers={"Retry-After": "1"},
            )
        if request.path == "/healthz" and isinstance(response, web.Response) and response.body:
            body = json.loads(cast(bytes, response.body))
            body["role"] = "gateway"
            body["redis"] = self.producer.health()
            if not self.producer.redis_up or len(self.producer.spool):
                body["status"] = "degraded"
                body["degraded"] = "redis" if not self.producer.redis_up else "spool"
            return web.json_response(body, status=response.status)
        return response

    async def run(self) -> None:
        await self._stopped.wait()

    def stop(self) -> None:
        self._stopped.set()

    async def close(self) -> None:
        self._stopped.set()
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()


async def run_gateway(settings: Settings) -> int:
    try:
        gateway = Gateway(settings)
        await gateway.start()
    except (MissingSecret, GatewayTaken) as exc:
        print(exc, file=sys.stderr, flush=True)
        return 2
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop_logged, "gateway", sig, gateway.stop)
    # The tokens it made up for roles left empty (.env) are printed here, once.
    print_urls(gateway.url, settings, title="roomwatch gateway")
    trimmer = asyncio.create_task(keep_heap_trimmed(), name="roomwatch-heap-trim")
    try:
        await gateway.run()
    finally:
        trimmer.cancel()
        stopped = time.monotonic()
        await gateway.close()
        logger.info("gateway: shutdown done in %.2f s", time.monotonic() - stopped)
    return 0
