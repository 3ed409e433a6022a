"""Sources and the pipeline: the service's :class:`Metrics`."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from roomwatch.metrics.families import (
    _LAG_BUCKETS,
    _LATENCY_BUCKETS,
    OTHER_ROOM,
    Component,
    component_families,
)
from roomwatch.metrics.unexported import metric_kinds

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

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
        # (prometheus_client's classes, or no-ops on an Unexported registry)
        Counter, Gauge, Histogram = metric_kinds(registry)
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
            "record's ts, by room (rooms with a [rooms] section, up to "
            "pipeline.lag_metric_rooms of them; every other room: 'other').",
            ["room"],
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self._lag_rooms: dict[str, Any] = {}
        self._label_children: dict[str, Any] = {}
        #: Rooms that get their own lag label (set from pipeline.lag_metric_rooms).
        self.lag_room_limit = 64
        self.room_comments = Counter(
            "roomwatch_room_comments_total",
            "Typed comments by room and label. Rooms with a [rooms] section (from the file "
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
            "Comments shed in overload degrade mode: counted in their room's volume, "
            "rate and mood, but no verdict of theirs reached the stages or clients.",
            registry=registry,
        )
        self.overload_transitions = Counter(
            "roomwatch_pipeline_overload_transitions_total",
            "Times the pipeline entered, went a level deeper in, eased or left overload "
            "degrade mode.",
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
        """One live verdict's lag. Like roomwatch_room_comments_total, only rooms
        with a section are named (the first :attr:`lag_room_limit` of them): the
        others share "other", so a feed can't write names into /metrics."""
        self._lag_child(room).observe(seconds)

    def observe_lags(self, room: str, seconds: Sequence[float]) -> None:
        """Many live verdicts' lags in ``room`` (:func:`observe_many`)."""
        observe_many(self._lag_child(room), seconds)

    def count_batch(
        self,
        by_label: Mapping[str, int],
        sent: int,
        ages: Sequence[float],
        lags: Mapping[str, Sequence[float]],
    ) -> None:
        """One pipeline batch, once: verdicts per label and sent, their ages
        since they entered (end to end), and the live ones' lags per room."""
        for label, n in by_label.items():
            child = self._label_children.get(label)
            if child is None:
                # (labels() validates and locks; the label set is bounded)
                child = self._label_children[label] = self.labels.labels(label)
            child.inc(n)
        self.pipeline.sent.inc(sent)
        observe_many(self.end_to_end_seconds, ages)
        for room, values in lags.items():
            self.observe_lags(room, values)

    def _lag_child(self, room: str) -> Any:
        child = self._lag_rooms.get(room)
        if child is None:
            named = len(self._lag_rooms) - (OTHER_ROOM in self._lag_rooms)
            if room in self._named_rooms and named < self.lag_room_limit:
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
        for room in [r for r in self._lag_rooms if r != OTHER_ROOM and r not in named]:
            del self._lag_rooms[room]
            self.verdict_lag_seconds.remove(room)
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
