"""The service: every component built from settings, started and stopped in one place.

::

    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        await svc.run()          # until svc.stop() or a signal

Startup order is metrics → store → hub → pipeline → stages → web server → sources;
shutdown unwinds it in reverse: sources stop, clients get GOING_AWAY, the
pipeline drains what it already holds, then the worker thread stops.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from prometheus_client import CollectorRegistry

from roomwatch import procstats
from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.config import Settings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.flood import FloodControl
from roomwatch.errors import ConfigError
from roomwatch.fdlimit import AcceptErrorHandler, fd_budget
from roomwatch.metrics import Metrics
from roomwatch.pipeline import Output, Pipeline
from roomwatch.recordings import RecordingError
from roomwatch.sinks.hub import Hub
from roomwatch.sinks.recorder import Recorder
from roomwatch.sinks.store import Store
from roomwatch.sinks.webhook import WebhookSink, WebhookTarget
from roomwatch.sources.replay import ReplaySource
from roomwatch.sources.supervise import SourceHealth, supervise
from roomwatch.sources.timebound import TimeGuard
from roomwatch.sources.websocket import Backoff, WebSocketSource
from roomwatch.stages.alert import AlertStage
from roomwatch.stages.clock import Pace
from roomwatch.stages.flag import FlagStage
from roomwatch.stages.triage import TriageStage
from roomwatch.web.app import AppState, create_app
from roomwatch.web.auth import Authenticator

__all__ = ["AppHook", "Service"]

#: Called with the aiohttp application before it starts.
AppHook = Callable[[web.Application], None]

logger = logging.getLogger(__name__)


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
        limits = settings.limits
        self.pipeline = Pipeline(
            analyzer,
            settings.pipeline,
            self.metrics,
            flood=FloodControl(limits.user_comments_per_s, limits.user_comments_burst),
        )
        # Who may do what (roomwatch.authz.TABLE), and every action admitted
        # through one gate: per-token rate limits, refusals counted in audit.
        self.authz = Authz(
            settings.tokens, open_flags={"server.open_metrics": settings.server.open_metrics}
        )
        self.refusals = RefusalLog()
        self.gate = Gate(self.authz, self.refusals, per_minute=settings.server.actions_per_minute)
        # Time is per room; a replay source sets its rooms' pace (see stages/clock.py).
        self.pace = Pace()
        self.time_guard = TimeGuard(settings.pipeline, pace=self.pace)
        self.pipeline.guard = self.time_guard.admit
        self.triage = TriageStage(self.hub, settings.queue, gate=self.gate, pace=self.pace)
        self.flag = FlagStage(self.hub, backlog=settings.hub.moderator_backlog)
        self.alerts = AlertStage(self.hub, settings.alerts, gate=self.gate, pace=self.pace)
        self.webhooks = WebhookSink(
            [_webhook_target(raw, i) for i, raw in enumerate(settings.webhooks)],
            registry=self.metrics.registry,
        )
        self.alerts.add_listener(self.webhooks.enqueue)
        outputs: list[Output] = [self.triage, self.flag, self.alerts, *extra_outputs]
        for output in outputs:
            self.pipeline.add_output(output)
        self.store: Store | None = None
        self.recorder: Recorder | None = None
        self._app_hooks: list[AppHook] = []
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._sources: list[asyncio.Task[object]] = []
        #: What each source is doing, for /healthz (restarted, failed).
        self.source_health = SourceHealth()
        self._ws_sources: list[WebSocketSource] = []
        self._ticker: asyncio.Task[None] | None = None
        self._accept_errors = AcceptErrorHandler(self.metrics.registry)
        self._stopped = asyncio.Event()
        self._closed = False
        self.port: int | None = None
        # The moderator dashboard: review queue, actions, the stream channel.
        from roomwatch.moderation import install as install_moderation

        self.moderation = install_moderation(self)

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

    async def start(self) -> None:
        procstats.install(self.metrics.registry, asyncio.get_running_loop())
        store = self.store = await Store.open(
            self.settings.store.path, registry=self.metrics.registry
        )
        self.triage.audit_sink = store.submit_queue_audit
        self.refusals.sink = store.submit_audit
        # An action is acknowledged only once its audit row is committed.
        self.hub.durable = store.flush
        restored = self.alerts.restore(await store.open_alerts())
        if restored:
            logger.info("restored %d open alerts", restored)
        self.alerts.add_listener(lambda event: store.submit_alert(event.alert.to_dict()))

        def audit_ack(alert_id: str, actor: str, role: str, ts: float) -> None:
            store.submit_audit(
                ts=ts,
                actor=actor,
                role=role,
                action="ack",
                target_kind="alert",
                target_id=alert_id,
                room=(a.room if (a := self.alerts.manager.get(alert_id)) else ""),
            )

        self.alerts.on_ack = audit_ack
        await self.webhooks.start()
        rec = self.settings.recorder
        # Say what the descriptor limit allows; out of descriptors, count and
        # rate-limit the accept errors instead of logging each one.
        budget = fd_budget(rec.max_open_files, recording=rec.enabled)
        self._accept_errors.install(asyncio.get_running_loop())
        if rec.enabled:
            self.recorder = Recorder(
                rec.dir,
                registry=self.metrics.registry,
                on_error=self._recorder_error,
                flush_interval_s=rec.flush_interval_s,
                max_bytes=rec.max_bytes,
                max_age_s=rec.max_age_s,
                max_buffer_bytes=rec.max_buffer_bytes,
                fsync=rec.fsync,
                max_open_files=budget.recorder_files,
            )
            await self.recorder.start()
            recorder = self.recorder
            # What is recorded is the record as accepted (unknown fields kept,
            # a missing ts filled in from the receive time), so a replay sees
            # exactly the clock the live run saw.
            self.pipeline.add_tap(lambda c: recorder.write(c.room, c.to_json()))
        self.pipeline.start()
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
        self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=self.settings.server.shutdown_timeout_s / 4,
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.settings.server.host, self.settings.server.port)
        await self._site.start()
        server = self._site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.server.port
        for ws in self.settings.websocket_sources:
            self.add_websocket_source(
                ws.url,
                name=ws.name,
                headers=ws.headers,
                backoff=Backoff(ws.backoff_initial_s, ws.backoff_max_s),
            )
        for rp in self.settings.replay_sources:
            self.add_replay_source(rp.paths, speed=rp.speed, name=rp.name, loop=rp.loop)
        self._ticker = asyncio.create_task(self._tick(), name="roomwatch-ticker")
        logger.info("roomwatch listening on %s (model %s)", self.url, self.analyzer.version)

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
        self.alerts.raise_system("recorder", message, self.alerts.now())

    def add_app_hook(self, hook: AppHook) -> None:
        """Run ``hook(app)`` on the web app before it starts (routes, cleanup_ctx).

        Features that bring their own routes use this instead of editing the
        app factory. Call before :meth:`start`.
        """
        if self._runner is not None:
            raise RuntimeError("add_app_hook must be called before the service starts")
        self._app_hooks.append(hook)

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.hub.close()

    def add_websocket_source(
        self,
        url: str,
        *,
        name: str = "websocket",
        headers: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
    ) -> WebSocketSource:
        source = WebSocketSource(
            url,
            self.metrics,
            name=name,
            headers=headers or {},
            backoff=backoff or Backoff(),
            frames_per_s=self.settings.limits.source_frames_per_s,
            health=self.source_health.get(name),
        )
        self._ws_sources.append(source)
        self._supervise(name, lambda: source.run(self.pipeline))
        return source

    def add_replay_source(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        speed: float = 1.0,
        name: str = "replay",
        loop: bool = False,
    ) -> asyncio.Task[object]:
        source = ReplaySource(
            list(paths),
            speed=speed,
            name=name,
            loop=loop,
            pace=self.pace,
            settings=self.settings.pipeline,
        )
        self.time_guard.trusted.add(name)  # the source bounds its files' ts itself
        # A file that can't be read would only fail again.
        return self._supervise(name, lambda: source.run(self.pipeline), fatal=(RecordingError,))

    def _supervise(
        self,
        name: str,
        run: Callable[[], Awaitable[object]],
        *,
        fatal: tuple[type[Exception], ...] = (),
    ) -> asyncio.Task[object]:
        """Run a source under :func:`supervise` (restarted, reported in /healthz)."""
        task: asyncio.Task[object] = asyncio.create_task(
            supervise(name, run, health=self.source_health, metrics=self.metrics, fatal=fatal),
            name=f"source-{name}",
        )
        self._sources.append(task)
        return task

    async def _tick(self) -> None:
        # Stages that age things out (the host queue) need time to pass even
        # when no comment arrives. Their clock is the records' ts; between
        # records we advance it by the wall time elapsed since the last one.
        # The queue holds back an item's updates for update_interval_s (50 ms)
        # and sends them on a tick, so tick often; alerts act on whole seconds.
        while True:
            await asyncio.sleep(0.1)
            self.triage.tick_wall()
            self.alerts.tick_wall()
            self.refusals.tick(time.time())

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

        In order: sources stop (nothing new enters); every WebSocket client
        gets GOING_AWAY (1001), all at once; the web server stops listening
        and lets in-flight requests (an ``/ingest`` answer) finish; the
        pipeline finishes what it holds; the recorder and SQLite write
        everything buffered and close. Each step gets a share of what is left
        of the bound, so one stuck client or request can't hold up the rest;
        whatever a step leaves when its share runs out is logged.
        """
        if self._closed:
            return
        self._closed = True
        self._stopped.set()
        loop = asyncio.get_running_loop()
        bound = self.settings.server.shutdown_timeout_s
        deadline = loop.time() + bound

        def share(fraction: float) -> float:
            return max(0.05, (deadline - loop.time()) * fraction)

        for source in self._ws_sources:
            source.close()
        for task in self._sources:
            task.cancel()
        await _within(share(0.1), "sources", *self._sources)
        if self._ticker is not None:
            self._ticker.cancel()
            await _within(1.0, "ticker", self._ticker)
        await self.hub.close(timeout=share(0.2))
        if self._runner is not None:
            # In-flight requests get their answer (a quarter of the bound, set
            # on the runner); what is still running then is cancelled.
            await self._runner.cleanup()
        try:
            await asyncio.wait_for(self.pipeline.drain(), timeout=share(0.6))
        except TimeoutError:
            logger.warning(
                "shutdown: the pipeline did not drain within the bound; dropping %d comments",
                self.pipeline.queued,
            )
        await self.pipeline.close()
        recorder_ok = store_ok = True
        if self.recorder is not None:
            recorder_ok = await _within(share(0.5), "recorder", self.recorder.aclose())
        await _within(share(0.3), "webhooks", self.webhooks.close())
        self.refusals.flush()
        if self.store is not None:
            store_ok = await _within(share(1.0), "store", self.store.close())
        logger.info(
            "shutdown: done in %.2f s (bound %g s); %d comments processed; recorder %s; store %s",
            bound - (deadline - loop.time()),
            bound,
            self.pipeline.processed,
            "flushed" if recorder_ok else "NOT flushed",
            "closed" if store_ok else "NOT closed",
        )
        self._accept_errors.uninstall()


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


def _webhook_target(raw: Mapping[str, object], index: int) -> WebhookTarget:
    """Build one ``[[webhooks]]`` table into a target, strictly."""
    known = {f.name for f in dataclasses.fields(WebhookTarget)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"unknown key(s) in webhooks[{index}]: {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(known))}"
        )
    values = dict(raw)
    for key in ("rooms", "kinds"):
        if key in values:
            value = values[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"webhooks[{index}].{key} must be a list of strings")
            values[key] = frozenset(value)
    try:
        return WebhookTarget(**values)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ConfigError(f"webhooks[{index}]: {exc}") from None
