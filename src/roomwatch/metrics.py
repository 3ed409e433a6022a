"""Every Prometheus metric roomwatch exports, declared here and nowhere else.

Every component (a source, the pipeline, a sink) reports the same four
Vector-style counters, labelled ``component_kind`` (``source``,
``transform``, ``sink``) and ``component_id``:

- ``roomwatch_component_received_events_total``: events that reached it;
- ``roomwatch_component_sent_events_total``: events it passed on;
- ``roomwatch_component_discarded_events_total{reason}``: events it dropped;
- ``roomwatch_component_errors_total{error_type}``: errors it hit.

Component ids: a source's name from config (``http``, ``bridge``...), the
``pipeline``, ``hub/<channel>``, ``webhook/<target>``, ``store`` and
``recorder``. Around them sit the metrics only one component has (stage
timings, hub clients, webhook attempts, process gauges), grouped below by
component. ``docs/metrics.md`` lists them all, with the old names.

Every name ends in its unit: ``_seconds``, ``_bytes``, ``_events``,
``_comments``, ``_messages``, ``_rows``, ``_connections``, ``_clients``,
``_tasks``, ``_fds``, ``_entries``, ``_shards`` (counters then ``_total``;
a 1/0 gauge ends in ``_up``). Labels come only from
bounded sets: source names and webhook targets from config, labels from the
model's label list, reasons and error types from code; rooms only where
config bounds them (the lag histogram's first ``pipeline.lag_metric_rooms``,
the rooms with a ``[rooms]`` section), every other room as ``other``. Never
a user id or comment text.

The registry is injected so that tests pass their own ``CollectorRegistry()``;
the four component families are declared once per registry and shared by
every component on it.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

__all__ = [
    "COMPONENT_KINDS",
    "STAGES",
    "Component",
    "ComponentFamilies",
    "Metrics",
    "RecorderMetrics",
    "StoreMetrics",
    "StreamMetrics",
    "WebhookMetrics",
    "accept_errors_counter",
    "component_families",
    "install_process_metrics",
    "moderation_actions_counter",
    "observe_many",
]

STAGES = ("normalize", "segment", "classify", "triage", "alert", "publish")
COMPONENT_KINDS: Final = ("source", "transform", "sink")

_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)

#: Lag from a record's ts to its verdict: fetchers and networks add seconds.
_LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
#: The room label of rooms past ``pipeline.lag_metric_rooms``.
OTHER_ROOM: Final = "other"


# -- every component ----------------------------------------------------------


class ComponentFamilies:
    """The four component counters on one registry (see :func:`component_families`)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["component_kind", "component_id"]
        self.received = Counter(
            "roomwatch_component_received_events_total",
            "Events that reached a component.",
            labels,
            registry=registry,
        )
        self.sent = Counter(
            "roomwatch_component_sent_events_total",
            "Events a component passed on (to the next component, a client, a file, "
            "a table or a webhook).",
            labels,
            registry=registry,
        )
        self.discarded = Counter(
            "roomwatch_component_discarded_events_total",
            "Events a component dropped, by reason.",
            [*labels, "reason"],
            registry=registry,
        )
        self.errors = Counter(
            "roomwatch_component_errors_total",
            "Errors a component hit (the events involved may be discarded too), by type.",
            [*labels, "error_type"],
            registry=registry,
        )
        self._components: dict[tuple[str, str], Component] = {}

    def component(self, kind: str, component_id: str) -> Component:
        """The handle of one component (made once, then cached)."""
        key = (kind, component_id)
        found = self._components.get(key)
        if found is None:
            if kind not in COMPONENT_KINDS:
                raise ValueError(f"component kind {kind!r} is not one of {COMPONENT_KINDS}")
            found = self._components[key] = Component(self, kind, component_id)
        return found


_FAMILIES: weakref.WeakKeyDictionary[CollectorRegistry, ComponentFamilies] = (
    weakref.WeakKeyDictionary()
)


def component_families(registry: CollectorRegistry) -> ComponentFamilies:
    """The component counters of ``registry``, declared on first use."""
    found = _FAMILIES.get(registry)
    if found is None:
        found = _FAMILIES[registry] = ComponentFamilies(registry)
    return found


class Component:
    """One component's counters with its kind and id filled in.

    ``labels()`` costs microseconds (it validates and locks), so the children
    are made once and kept: the reasons and error types are bounded sets.
    """

    __slots__ = ("_discarded", "_errors", "_families", "id", "kind", "received", "sent")

    def __init__(self, families: ComponentFamilies, kind: str, component_id: str) -> None:
        self._families = families
        self.kind = kind
        self.id = component_id
        self.received: Counter = families.received.labels(kind, component_id)
        self.sent: Counter = families.sent.labels(kind, component_id)
        self._discarded: dict[str, Counter] = {}
        self._errors: dict[str, Counter] = {}

    def discarded(self, reason: str) -> Counter:
        child = self._discarded.get(reason)
        if child is None:
            child = self._discarded[reason] = self._families.discarded.labels(
                self.kind, self.id, reason
            )
        return child

    def errors(self, error_type: str) -> Counter:
        child = self._errors.get(error_type)
        if child is None:
            child = self._errors[error_type] = self._families.errors.labels(
                self.kind, self.id, error_type
            )
        return child


class _Tee:
    """Increments several counters at once (received and its outcome)."""

    __slots__ = ("_counters",)

    def __init__(self, *counters: Counter) -> None:
        self._counters = counters

    def inc(self, amount: float = 1) -> None:
        for counter in self._counters:
            counter.inc(amount)


class _Labelled:
    """``labels(value)`` → a cached child: the sinks' call sites keep their shape."""

    __slots__ = ("_children", "_make")

    def __init__(self, make: Callable[[str], Counter | _Tee]) -> None:
        self._make = make
        self._children: dict[str, Counter | _Tee] = {}

    def labels(self, value: str) -> Counter | _Tee:
        child = self._children.get(value)
        if child is None:
            child = self._children[value] = self._make(value)
        return child


# -- sources and the pipeline (the service's Metrics) -------------------------


class Metrics:
    """The service's metrics on one registry: sources, pipeline, hub, limits.

    Sources count ``received`` for every record, ``sent`` for the ones they
    hand to the pipeline and ``discarded{reason}`` for malformed ones (the
    reason from :data:`roomwatch.core.errors.REJECT_REASONS`). The pipeline
    (``transform``/``pipeline``) receives what sources sent, discards
    duplicates, floods and failed batches, and sends comments with a verdict.
    A hub channel (``sink``/``hub/<channel>``) receives each published
    message and sends one per client it is queued for.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.components = component_families(registry)
        #: The pipeline as one component.
        self.pipeline = self.components.component("transform", "pipeline")
        self._sources: dict[str, Component] = {}
        self.source_connected = Gauge(
            "roomwatch_source_upstream_connections",
            "1 while a network source is connected to its upstream, else 0.",
            ["source"],
            registry=registry,
        )
        self.source_restarts = Counter(
            "roomwatch_source_restarts_total",
            "Times a source task died unexpectedly and was restarted.",
            ["source"],
            registry=registry,
        )
        self.source_packets = Counter(
            "roomwatch_source_packets_total",
            "Packets a binary-protocol source (bilibili) read, by outcome: record "
            "(a command that became a record), ignored (another command), "
            "heartbeat_reply, auth_reply, malformed (with the reason in the log), "
            "unknown_operation, truncated (cut off by a dropped connection).",
            ["source", "outcome"],
            registry=registry,
        )
        self.source_gap_seconds = Histogram(
            "roomwatch_source_data_gap_seconds",
            "Time a network source went without data from its upstream, observed "
            "when data flows again after a reconnect.",
            ["source"],
            buckets=(1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0),
            registry=registry,
        )
        self.limit_exceeded = Counter(
            "roomwatch_limit_exceeded_total",
            "Requests, frames, connections or comments refused or shed by a limit "
            "(see docs/limits.md), by limit.",
            ["limit"],
            registry=registry,
        )
        # -- pipeline and stages
        self.labels = Counter(
            "roomwatch_classify_comments_total",
            "Verdicts by label.",
            ["label"],
            registry=registry,
        )
        self.stage_seconds = Histogram(
            "roomwatch_stage_duration_seconds",
            "Wall time one batch spent in a stage.",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "roomwatch_pipeline_batch_size_comments",
            "Comments per batch handed to the CPU-heavy stages.",
            buckets=(1, 4, 16, 64, 128, 256, 512, 1024, 4096),
            registry=registry,
        )
        self.end_to_end_seconds = Histogram(
            "roomwatch_pipeline_latency_seconds",
            "Time from a comment entering the pipeline to its verdict being published.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.verdict_lag_seconds = Histogram(
            "roomwatch_verdict_lag_seconds",
            "End-to-end lag of live verdicts: pipeline exit (wall clock) minus the "
            "record's ts, by room (rooms past pipeline.lag_metric_rooms: 'other').",
            ["room"],
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self._lag_rooms: dict[str, Any] = {}
        #: Rooms that get their own lag label (set from pipeline.lag_metric_rooms).
        self.lag_room_limit = 64
        self.room_comments = Counter(
            "roomwatch_room_comments_total",
            "Verdicts by room and label. Rooms with a [rooms] section (from the file "
            "or PUT /admin/rooms) by name; every other room as 'other'.",
            ["room", "label"],
            registry=registry,
        )
        #: Rooms counted under their own name on roomwatch_room_comments_total.
        self._named_rooms: frozenset[str] = frozenset()
        self._room_children: dict[tuple[str, str], Any] = {}
        self.queue_depth = Gauge(
            "roomwatch_pipeline_queue_depth_comments",
            "Comments waiting for the CPU-heavy stages.",
            registry=registry,
        )
        self.overload_degraded = Gauge(
            "roomwatch_pipeline_overload_degraded_seconds",
            "How long the pipeline has been in overload degrade mode (cue-less chatter "
            "shed); 0 when it is not.",
            registry=registry,
        )
        self.overload_shed = Counter(
            "roomwatch_pipeline_overload_shed_comments_total",
            "Comments given a shed verdict (chatter, reason shed:overload) without the "
            "model, in overload degrade mode.",
            registry=registry,
        )
        self.overload_transitions = Counter(
            "roomwatch_pipeline_overload_transitions_total",
            "Times the pipeline entered or left overload degrade mode.",
            ["to"],
            registry=registry,
        )
        # -- hub
        self.hub_clients = Gauge(
            "roomwatch_hub_clients",
            "Connected WebSocket clients, by channel.",
            ["channel"],
            registry=registry,
        )
        self.hub_refused = Counter(
            "roomwatch_hub_refused_connections_total",
            "WebSocket connections refused, by channel and reason.",
            ["channel", "reason"],
            registry=registry,
        )
        self.hub_client_queue_depth = Gauge(
            "roomwatch_hub_client_queue_depth_messages",
            "Messages buffered for clients of a channel, summed.",
            ["channel"],
            registry=registry,
        )

    # -- components

    def source(self, name: str) -> Component:
        """The component of source ``name``."""
        found = self._sources.get(name)
        if found is None:
            found = self._sources[name] = self.components.component("source", name)
        return found

    def hub(self, channel: str) -> Component:
        """The component of hub channel ``channel``."""
        return self.components.component("sink", f"hub/{channel}")

    def accepted(self, source: str, n: int = 1) -> None:
        """``source`` handed ``n`` records to the pipeline (the pipeline counts
        them per batch: three counter increments per record cost a lock each)."""
        comp = self.source(source)
        comp.received.inc(n)
        comp.sent.inc(n)
        self.pipeline.received.inc(n)

    def rejected(self, source: str, reason: str) -> None:
        """``source`` got one malformed record and dropped it for ``reason``."""
        comp = self.source(source)
        comp.received.inc()
        comp.discarded(reason).inc()

    def observe_lag(self, room: str, seconds: float) -> None:
        """One live verdict's lag; rooms beyond :attr:`lag_room_limit` share "other"."""
        self._lag_child(room).observe(seconds)

    def observe_lags(self, room: str, seconds: Sequence[float]) -> None:
        """Many live verdicts' lags in ``room`` (:func:`observe_many`)."""
        observe_many(self._lag_child(room), seconds)

    def _lag_child(self, room: str) -> Any:
        child = self._lag_rooms.get(room)
        if child is None:
            if len(self._lag_rooms) < self.lag_room_limit:
                child = self._lag_rooms[room] = self.verdict_lag_seconds.labels(room)
            else:
                child = self._lag_rooms.get(OTHER_ROOM)
                if child is None:
                    child = self.verdict_lag_seconds.labels(OTHER_ROOM)
                    self._lag_rooms[OTHER_ROOM] = child
        return child

    def track_queue_depth(self, fn: Callable[[], float]) -> None:
        self.queue_depth.set_function(fn)

    def name_rooms(self, rooms: Iterable[str]) -> None:
        """Count these rooms under their own name (the rooms with a section).

        A room no longer named loses its series (its counts so far go with
        it); rooms never named are counted as ``other``.
        """
        named = frozenset(rooms)
        for key in [k for k in self._room_children if k[0] != OTHER_ROOM and k[0] not in named]:
            del self._room_children[key]
            self.room_comments.remove(*key)
        self._named_rooms = named

    @property
    def named_rooms(self) -> frozenset[str]:
        """The rooms counted under their own name (see :meth:`name_rooms`)."""
        return self._named_rooms

    def count_rooms(self, counts: dict[tuple[str, str], int]) -> None:
        """Add one batch's verdicts, ``{(room, label): n}``, to roomwatch_room_comments_total.

        One increment per key: callers that already sum unnamed rooms under
        ``other`` (the pipeline's output does) pass few keys.
        """
        named = self._named_rooms
        merged: dict[tuple[str, str], int] = {}
        for (room, label), n in counts.items():
            key = (room if room in named else OTHER_ROOM, label)
            merged[key] = merged.get(key, 0) + n
        children = self._room_children
        for key, n in merged.items():
            child = children.get(key)
            if child is None:
                child = children[key] = self.room_comments.labels(*key)
            child.inc(n)


def observe_many(histogram: Any, values: Sequence[float]) -> None:
    """``histogram.observe(v)`` for each of ``values``, with one increment per
    bucket touched and one for the sum instead of two per value (each takes
    a lock). Falls back to one observe per value if the histogram's
    internals are not prometheus_client's usual ones."""
    if not values:
        return
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if bounds is None or buckets is None or total is None or len(bounds) != len(buckets):
        for v in values:
            histogram.observe(v)
        return
    counts = [0] * len(bounds)
    for v in values:
        counts[bisect_left(bounds, v)] += 1  # the first bound >= v, as observe picks
    total.inc(math.fsum(values))
    for i, n in enumerate(counts):
        if n:
            buckets[i].inc(n)


# -- sinks ----------------------------------------------------------------------


class StoreMetrics:
    """The SQLite store (``sink``/``store``) on one registry (one set per registry).

    ``writes.labels(table).inc(n)`` counts committed rows (received and sent),
    ``dropped.labels(reason).inc(n)`` lost fire-and-forget rows (received and
    discarded), ``errors.labels(type)`` failed operations.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        tables: Iterable[str] = (),
        error_types: Iterable[str] = (),
        drop_reasons: Iterable[str] = (),
    ) -> None:
        self.component = component_families(registry).component("sink", "store")
        self._rows = Counter(
            "roomwatch_store_written_rows_total",
            "Rows committed to the SQLite store, by table.",
            ["table"],
            registry=registry,
        )
        self.backlog = Gauge(
            "roomwatch_store_backlog_rows",
            "Fire-and-forget rows waiting to be written.",
            registry=registry,
        )
        comp = self.component
        self.writes = _Labelled(
            lambda table: _Tee(comp.received, comp.sent, self._rows.labels(table))
        )
        self.errors = _Labelled(comp.errors)
        self.dropped = _Labelled(lambda reason: _Tee(comp.received, comp.discarded(reason)))
        for table in tables:
            self._rows.labels(table)
        for kind in error_types:
            self.component.errors(kind)
        for reason in drop_reasons:
            self.component.discarded(reason)


class RecorderMetrics:
    """The recorder (``sink``/``recorder``) on one registry.

    ``records.inc(n)`` counts written records (received and sent),
    ``dropped.labels(reason)`` records it could not write (received and
    discarded), ``errors.labels(reason)`` I/O errors.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        error_reasons: Iterable[str] = (),
        drop_reasons: Iterable[str] = (),
    ) -> None:
        self.component = comp = component_families(registry).component("sink", "recorder")
        self.records = _Tee(comp.received, comp.sent)
        self.bytes = Counter(
            "roomwatch_recorder_bytes_total",
            "Bytes written to recordings (before compression).",
            registry=registry,
        )
        self.rotations = Counter(
            "roomwatch_recorder_rotations_total",
            "Recording files closed (by size, age or shutdown).",
            registry=registry,
        )
        self.errors = _Labelled(comp.errors)
        self.dropped = _Labelled(lambda reason: _Tee(comp.received, comp.discarded(reason)))
        for reason in error_reasons:
            self.errors.labels(reason)
        for reason in drop_reasons:
            self.dropped.labels(reason)


class WebhookMetrics:
    """Webhook targets (``sink``/``webhook/<target>``) on one registry.

    ``deliveries.labels(target, outcome)`` counts one alert event's final
    outcome: ``delivered`` is sent, any other outcome (``rejected``,
    ``failed``, ``dropped``) is discarded with that reason; both are received.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self._families = component_families(registry)
        self.deliveries = _Deliveries(self._families)
        self.attempts = Counter(
            "roomwatch_webhook_attempts_total",
            "HTTP attempts to webhook targets, by result.",
            ["target", "result"],
            registry=registry,
        )
        self.duration = Histogram(
            "roomwatch_webhook_attempt_duration_seconds",
            "Duration of one HTTP attempt to a webhook target.",
            ["target"],
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.depth = Gauge(
            "roomwatch_webhook_queue_depth_events",
            "Alert events waiting for a webhook target.",
            ["target"],
            registry=registry,
        )

    def target(self, name: str) -> Component:
        return self._families.component("sink", f"webhook/{name}")


class _Deliveries:
    __slots__ = ("_children", "_families")

    def __init__(self, families: ComponentFamilies) -> None:
        self._families = families
        self._children: dict[tuple[str, str], _Tee] = {}

    def labels(self, target: str, outcome: str) -> _Tee:
        child = self._children.get((target, outcome))
        if child is None:
            comp = self._families.component("sink", f"webhook/{target}")
            out = comp.sent if outcome == "delivered" else comp.discarded(outcome)
            child = self._children[(target, outcome)] = _Tee(comp.received, out)
        return child


# -- moderation, the server, the process ----------------------------------------


class StreamMetrics:
    """The Redis Streams roles (gateway, worker; ``docs/streams.md``) on one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def c(name: str, doc: str, labels: tuple[str, ...] = ("stream",)) -> Counter:
            return Counter(f"roomwatch_{name}", doc, list(labels), registry=registry)

        def g(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(f"roomwatch_{name}", doc, list(labels), registry=registry)

        self.appended = c("stream_appended_entries_total", "Entries this process added, by stream.")
        self.pending = g(
            "stream_pending_entries",
            "Entries delivered to a consumer group and not yet acknowledged (XPENDING).",
            ("stream", "group"),
        )
        self.claimed = c(
            "stream_claimed_entries_total", "Pending entries claimed from a dead owner."
        )
        self.trimmed = c("stream_trimmed_entries_total", "Entries trimmed (MINID/MAXLEN).")
        self.redelivered = c(
            "stream_redelivered_entries_total",
            "Entries seen again (a redelivery or a re-sent record) and not counted twice.",
        )
        self.spool = g("stream_spool_entries", "Records the gateway holds while Redis is away.")
        self.spool_refused = Counter(
            "roomwatch_stream_spool_refused_entries_total",
            "Records refused because the gateway's spool was full.",
            registry=registry,
        )
        self.redis_up = g("redis_up", "1 while the last Redis command succeeded, else 0.")
        self.owned_shards = g("worker_owned_shards", "Input shards this worker holds the lease of.")
        self.batch_seconds = Histogram(
            "roomwatch_worker_batch_seconds",
            "Time to process one batch of one shard, read to acknowledged.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )


def moderation_actions_counter(registry: CollectorRegistry) -> Counter:
    """``roomwatch_moderation_actions_total{action,outcome}``."""
    return Counter(
        "roomwatch_moderation_actions_total",
        "Moderation actions by action and outcome (ok, error; sent, failed outbound).",
        ["action", "outcome"],
        registry=registry,
    )


def accept_errors_counter(registry: CollectorRegistry) -> Counter:
    """``roomwatch_server_accept_errors_total`` (see :mod:`roomwatch.fdlimit`)."""
    return Counter(
        "roomwatch_server_accept_errors_total",
        "Connections the server could not accept because the process was out of "
        "file descriptors (or memory); it retries after a second.",
        registry=registry,
    )


def install_process_metrics(registry: CollectorRegistry, loop: asyncio.AbstractEventLoop) -> None:
    """Process gauges for watching a long run: open fds, RSS and asyncio tasks.

    ``roomwatch_process_open_fds``, ``roomwatch_process_resident_memory_bytes``
    (with CPU time, virtual memory, the fd limit and the start time) come from
    prometheus_client's own :class:`~prometheus_client.ProcessCollector`, which
    reads Linux ``/proc`` when ``/metrics`` is scraped (elsewhere it reports
    nothing); ``roomwatch_asyncio_tasks`` counts ``loop``'s tasks. A leak in
    any of them shows as a slope over hours; ``bench/soak.py`` samples them.
    """
    ProcessCollector(namespace="roomwatch", registry=registry)
    Gauge(
        "roomwatch_asyncio_tasks",
        "asyncio tasks alive on the service's event loop.",
        registry=registry,
    ).set_function(lambda: float(len(asyncio.all_tasks(loop))))
