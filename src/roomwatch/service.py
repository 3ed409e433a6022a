"""The server: the graph of :mod:`roomwatch.compose` with a web server, sources and sinks.

::

    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        await svc.run()          # until svc.stop() or a signal

The graph (pipeline, stages, the shared record clock) is built by
:func:`roomwatch.compose.build_pipeline`; :mod:`roomwatch.compose.serve`
wires it to the hub, the store and the ticker; :mod:`roomwatch.compose.sources`
builds the configured sources, which the service only runs
(:meth:`Service.run_source`). :meth:`Service.start` is the one lifespan:
every resource is acquired on an :class:`~contextlib.AsyncExitStack`
(store → webhooks → recorder → pipeline → moderation → web server →
ticker → sources), so a start that fails part-way (the port is taken)
unwinds exactly what it opened, and :meth:`Service.close` unwinds the same
stack in reverse: sources stop, the ticker stops, clients get GOING_AWAY,
the web server stops, the pipeline drains what it already holds, the
recorder, webhooks and store flush and close.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from prometheus_client import CollectorRegistry

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.compose.graph import STAGES, build_pipeline
from roomwatch.compose.room_sources import RoomSources
from roomwatch.compose.rooms import RoomAdmin
from roomwatch.compose.serve import attach_hub, attach_store, open_recorder, run_ticker
from roomwatch.compose.sources import RunnableSource, build_sources
from roomwatch.config import Settings
from roomwatch.config.rooms import room_title
from roomwatch.core.analyze import Analyzer
from roomwatch.core.errors import RoomwatchError
from roomwatch.fdlimit import AcceptErrorHandler, fd_budget
from roomwatch.metrics import Metrics, install_process_metrics
from roomwatch.moderation.routes import add_routes as add_moderation_routes
from roomwatch.moderation.runtime import Moderation
from roomwatch.pipeline import Output
from roomwatch.sinks.hub import Hub
from roomwatch.sinks.recorder import Recorder
from roomwatch.sinks.webhook import WebhookSink, WebhookTarget
from roomwatch.sources.supervise import SourceHealth, supervise
from roomwatch.stages.alert import AlertStage
from roomwatch.stages.flag import FlagStage
from roomwatch.stages.triage import TriageStage
from roomwatch.store import Store
from roomwatch.web.app import create_app
from roomwatch.web.auth import Authenticator
from roomwatch.web.rooms import add_routes as add_room_routes
from roomwatch.web.state import AppState

__all__ = ["AppHook", "Service", "StartError"]

#: Called with the aiohttp application before it starts.
AppHook = Callable[[web.Application], None]

logger = logging.getLogger(__name__)


class StartError(RoomwatchError):
    """The service could not start (e.g. its port is taken); what it opened is closed again."""


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        analyzer: Analyzer,
        registry: CollectorRegistry | None = None,
        extra_outputs: Sequence[Output] = (),
    ) -> None:
        self.settings = settings
        self.analyzer = analyzer
        self.metrics = Metrics(registry if registry is not None else CollectorRegistry())
        self.hub = Hub(settings.hub, self.metrics)
        self.hub.message_rate = (
            settings.limits.client_messages_per_s,
            settings.limits.client_messages_burst,
        )
        # Who may do what (roomwatch.authz.TABLE), and every action admitted
        # through one gate: per-token rate limits, refusals counted in audit.
        self.authz = Authz(
            settings.tokens, open_flags={"server.open_metrics": settings.server.open_metrics}
        )
        self.refusals = RefusalLog()
        self.gate = Gate(self.authz, self.refusals, per_minute=settings.server.actions_per_minute)
        self.webhooks = WebhookSink(
            [WebhookTarget(**dataclasses.asdict(w)) for w in settings.webhooks],
            registry=self.metrics.registry,
            # (the room's section as it is now: an admin may retitle it)
            room_title=lambda room: room_title(self.graph.rooms, room),
        )
        self.graph = build_pipeline(
            settings,
            analyzer,
            metrics=self.metrics,
            stages=STAGES,
            gate=self.gate,
            outputs=extra_outputs,
            alert_listeners=[self.webhooks.enqueue],
            guard=True,
        )
        attach_hub(self.graph, self.hub)
        graph = self.graph
        assert graph.triage and graph.flag and graph.alerts and graph.moderation
        assert graph.time_guard is not None
        self.pipeline = graph.pipeline
        self.pace = graph.pace
        self.time_guard = graph.time_guard
        self.triage: TriageStage = graph.triage
        self.flag: FlagStage = graph.flag
        self.alerts: AlertStage = graph.alerts
        #: The moderator dashboard: review queue, actions, the stream channel.
        self.moderation: Moderation = graph.moderation
        self.store: Store | None = None
        self.recorder: Recorder | None = None
        #: Rooms added, changed and removed at run time (``/admin/rooms``).
        self.rooms = RoomAdmin(settings, graph, analyzer, self.authz)
        self._app_hooks: list[AppHook] = [self._moderation_routes, self._room_routes]
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        #: The configured sources, built by the composition root; started last.
        self.sources = build_sources(settings, graph)
        self._running: list[tuple[RunnableSource, asyncio.Task[object]]] = []
        # A room removed at run time stops the sources that feed it alone.
        self.rooms.sources = RoomSources(settings, graph, self.run_source, self._running)
        #: What each source is doing, for /healthz (restarted, failed).
        self.source_health: SourceHealth = graph.source_health
        self._accept_errors = AcceptErrorHandler(self.metrics.registry)
        self._stack: contextlib.AsyncExitStack | None = None
        self._stopped = asyncio.Event()
        self._closed = False
        self._deadline = 0.0
        self._flushed = {"recorder": True, "store": True}
        self.port: int | None = None

    @property
    def url(self) -> str:
        host = self.settings.server.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the lifespan ------------------------------------------------------------

    async def start(self) -> None:
        """Acquire everything, in order; a failure part-way closes what was opened."""
        if self._stack is not None or self._closed:
            raise RuntimeError("a Service starts once")
        stack = contextlib.AsyncExitStack()
        try:
            await self._open(stack)
        except BaseException:
            self._deadline = asyncio.get_running_loop().time() + (
                self.settings.server.shutdown_timeout_s
            )
            await stack.aclose()
            raise
        self._stack = stack
        logger.info("roomwatch listening on %s (model %s)", self.url, self.analyzer.version)

    async def _open(self, stack: contextlib.AsyncExitStack) -> None:
        loop = asyncio.get_running_loop()
        install_process_metrics(self.metrics.registry, loop)
        rec = self.settings.recorder
        # Say what the descriptor limit allows; out of descriptors, count and
        # rate-limit the accept errors instead of logging each one.
        budget = fd_budget(rec.max_open_files, recording=rec.enabled)
        self._accept_errors.install(loop)
        stack.callback(self._accept_errors.uninstall)

        store = self.store = await Store.open(
            self.settings.store.path, registry=self.metrics.registry
        )
        stack.push_async_callback(self._close_store, store)
        await attach_store(self.graph, store, hub=self.hub, refusals=self.refusals)
        # Rooms changed at run time before a restart, over the file's [rooms].
        self.rooms.store = store
        kept = await self.rooms.load_saved()
        if kept:
            logger.info("applied %d room changes kept in the store", kept)

        await self.webhooks.start()
        stack.push_async_callback(self._step, 0.3, "webhooks", self.webhooks.close)

        if rec.enabled:
            recorder = self.recorder = open_recorder(
                rec, budget, self.metrics.registry, self._recorder_error
            )
            await recorder.start()
            stack.push_async_callback(self._close_recorder, recorder)
            # What is recorded is the record as accepted (unknown fields kept,
            # a missing ts filled in from the receive time), so a replay sees
            # exactly the clock the live run saw.
            self.pipeline.add_tap(lambda c: recorder.write(c.room, c.to_json()))

        self.pipeline.start()
        stack.push_async_callback(self._close_pipeline)
        # Outbound moderation deliveries finish (for a while) before the
        # pipeline stops; the outbound interface closes.
        stack.push_async_callback(self.moderation.aclose)

        state = AppState(
            settings=self.settings,
            metrics=self.metrics,
            hub=self.hub,
            pipeline=self.pipeline,
            auth=Authenticator(self.authz),
            started=time.monotonic(),
            model_version=self.analyzer.version,
            source_health=self.source_health,
        )
        app = create_app(state)
        app.on_shutdown.append(self._on_shutdown)
        app.middlewares.append(self._durable_ingest)
        for hook in self._app_hooks:
            hook(app)
        runner = self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=self.settings.server.shutdown_timeout_s / 4,
        )
        await runner.setup()
        # In-flight requests get their answer (a quarter of the bound, set on
        # the runner); what is still running then is cancelled. Before that,
        # every WebSocket client gets GOING_AWAY, all at once.
        stack.push_async_callback(runner.cleanup)
        stack.push_async_callback(lambda: self.hub.close(timeout=self._share(0.2)))
        server = self.settings.server
        self._site = web.TCPSite(runner, server.host, server.port)
        try:
            await self._site.start()
        except OSError as exc:
            raise StartError(
                f"cannot listen on {server.host}:{server.port}: {exc.strerror or exc}"
            ) from exc
        sockets = getattr(self._site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else server.port

        ticker = asyncio.create_task(run_ticker(self.graph, self.refusals), name="roomwatch-ticker")
        stack.push_async_callback(self._cancel, 1.0, "ticker", ticker)
        stack.push_async_callback(self._stop_sources)
        for source in self.sources:
            if source.rooms and source.rooms <= self.pipeline.refused_rooms:
                # Its room was removed at run time before this start.
                self.source_health.get(source.name).state = "stopped"
                continue
            self.run_source(source)

    def _share(self, fraction: float) -> float:
        """A step's share of what is left of the shutdown bound (at least 50 ms)."""
        loop = asyncio.get_running_loop()
        return max(0.05, (self._deadline - loop.time()) * fraction)

    async def _step(
        self, fraction: float, what: str, close: Callable[[], Awaitable[object]]
    ) -> bool:
        return await _within(self._share(fraction), what, close())

    async def _cancel(self, timeout: float, what: str, *tasks: asyncio.Task[Any]) -> None:
        for task in tasks:
            task.cancel()
        await _within(timeout, what, *tasks)

    async def _stop_sources(self) -> None:
        for source, _ in self._running:
            source.stop()
        tasks = [task for _, task in self._running]
        for task in tasks:
            task.cancel()
        await _within(self._share(0.1), "sources", *tasks)

    async def _close_pipeline(self) -> None:
        try:
            await asyncio.wait_for(self.pipeline.drain(), timeout=self._share(0.6))
        except TimeoutError:
            logger.warning(
                "shutdown: the pipeline did not drain within the bound; dropping %d comments",
                self.pipeline.queued,
            )
        await self.pipeline.close()

    async def _close_recorder(self, recorder: Recorder) -> None:
        self._flushed["recorder"] = await _within(self._share(0.5), "recorder", recorder.aclose())

    async def _close_store(self, store: Store) -> None:
        self.refusals.flush()
        self._flushed["store"] = await _within(self._share(1.0), "store", store.close())

    def _moderation_routes(self, app: web.Application) -> None:
        add_moderation_routes(app, self.moderation)

    def _room_routes(self, app: web.Application) -> None:
        add_room_routes(app, self.rooms)

    @web.middleware
    async def _durable_ingest(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Answer ``POST /ingest`` only once its records are written to the recording.

        The recorder otherwise writes once per ``recorder.flush_interval_s``;
        a crash in between would lose records the client was told were
        accepted. (Written means handed to the OS: it survives ``kill -9``;
        surviving a power loss needs ``recorder.fsync``.)
        """
        response: web.StreamResponse = await handler(request)
        if (
            request.path == "/ingest"
            and response.status < 300
            and self.recorder is not None
            and self.recorder.pending
        ):
            # Pending includes a background flush that already took this
            # request's records and is still writing them: wait for it too.
            # A failed write is counted and raises a `system` alert (the
            # recorder reports it); the records were still taken in.
            try:
                await self.recorder.flush()
            except Exception as exc:
                logger.error("recorder: flush before the ingest answer failed: %r", exc)
        return response

    def _recorder_error(self, message: str) -> None:
        logger.error("recorder: %s", message)
        self.graph.forward(self.alerts.raise_system("recorder", message, self.alerts.now()))

    def add_app_hook(self, hook: AppHook) -> None:
        """Run ``hook(app)`` on the web app before it starts (routes, cleanup_ctx).

        Features that bring their own routes use this instead of editing the
        app factory. Call before :meth:`start`.
        """
        if self._stack is not None:
            raise RuntimeError("add_app_hook must be called before the service starts")
        self._app_hooks.append(hook)

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.hub.close()

    def run_source(self, source: RunnableSource) -> asyncio.Task[object]:
        """Run a source the composition root built (:mod:`roomwatch.compose.sources`).

        It runs under :func:`supervise` (restarted if it raises, reported in
        ``/healthz``) until it ends or the service closes. The configured
        sources are run this way as the service starts; call it once started
        for more (``demo``'s replay).
        """
        task: asyncio.Task[object] = asyncio.create_task(
            supervise(
                source.name,
                source.run,
                health=self.source_health,
                metrics=self.metrics,
                fatal=source.fatal,
            ),
            name=f"source-{source.name}",
        )
        self._running.append((source, task))
        return task

    async def run(self) -> None:
        """Serve until :meth:`stop` is called."""
        await self._stopped.wait()

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` or :meth:`close` was called."""
        return self._stopped.is_set()

    async def close(self) -> None:
        """Stop within ``server.shutdown_timeout_s``, losing nothing accepted. Idempotent.

        Unwinds :meth:`start`'s stack. In order: sources stop (nothing new
        enters); every WebSocket client gets GOING_AWAY (1001), all at once;
        the web server stops listening and lets in-flight requests (an
        ``/ingest`` answer) finish; the pipeline finishes what it holds; the
        recorder and SQLite write everything buffered and close. Each step
        gets a share of what is left of the bound, so one stuck client or
        request can't hold up the rest; whatever a step leaves when its share
        runs out is logged.
        """
        if self._closed:
            return
        self._closed = True
        self._stopped.set()
        loop = asyncio.get_running_loop()
        bound = self.settings.server.shutdown_timeout_s
        self._deadline = loop.time() + bound
        if self._stack is None:
            return
        await self._stack.aclose()
        logger.info(
            "shutdown: done in %.2f s (bound %g s); %d comments processed; recorder %s; store %s",
            bound - (self._deadline - loop.time()),
            bound,
            self.pipeline.processed,
            "flushed" if self._flushed["recorder"] else "NOT flushed",
            "closed" if self._flushed["store"] else "NOT closed",
        )


async def _within(timeout: float, what: str, *aws: Awaitable[object]) -> bool:
    """Await ``aws`` for at most ``timeout`` seconds; False (and a log line) if they didn't finish.

    Exceptions are logged, not raised: one failing step must not skip the
    steps after it.
    """
    if not aws:
        return True
    tasks = [asyncio.ensure_future(a) for a in aws]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in done:
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("shutdown: %s failed: %s", what, exc)
    if pending:
        logger.warning("shutdown: %s did not finish in %.1f s; giving up on it", what, timeout)
        for task in pending:
            task.cancel()
        return False
    return True
