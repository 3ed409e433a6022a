"""Every Prometheus metric roomwatch exports, declared up front.

Names follow ``roomwatch_<subsystem>_<name>_<unit>[_total]`` in base units.
Labels come only from bounded sets: source names from config, labels from
the model's label list, reject reasons from :data:`REJECT_REASONS`, stage and
channel names from code. Never a user id, a room or comment text.

The registry is injected so that tests pass their own ``CollectorRegistry()``.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["STAGES", "Metrics"]

STAGES = ("normalize", "segment", "classify", "triage", "alert", "publish")

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


class Metrics:
    """The pipeline's metrics on one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.comments_in = Counter(
            "roomwatch_source_comments_in_total",
            "Comment records accepted from a source, before de-duplication.",
            ["source"],
            registry=registry,
        )
        self.comments_out = Counter(
            "roomwatch_pipeline_comments_out_total",
            "Comments that left the pipeline with a verdict, by the source they came from.",
            ["source"],
            registry=registry,
        )
        self.rejects = Counter(
            "roomwatch_source_rejects_total",
            "Malformed records rejected at the boundary, by source and reason.",
            ["source", "reason"],
            registry=registry,
        )
        self.discarded = Counter(
            "roomwatch_pipeline_discarded_total",
            "Comments dropped inside the pipeline, by reason.",
            ["reason"],
            registry=registry,
        )
        self.source_errors = Counter(
            "roomwatch_source_errors_total",
            "Errors a source hit (connection failures, unreadable files), by type.",
            ["source", "type"],
            registry=registry,
        )
        self.source_connected = Gauge(
            "roomwatch_source_connected",
            "1 while a network source is connected to its upstream.",
            ["source"],
            registry=registry,
        )
        self.source_restarts = Counter(
            "roomwatch_source_restarts_total",
            "Times a source task died unexpectedly and was restarted.",
            ["source"],
            registry=registry,
        )
        self.limit_exceeded = Counter(
            "roomwatch_limit_exceeded_total",
            "Requests, frames, connections or comments refused or shed by a limit "
            "(see docs/limits.md), by limit.",
            ["limit"],
            registry=registry,
        )
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
        self.queue_depth = Gauge(
            "roomwatch_pipeline_queue_depth_comments",
            "Comments waiting for the CPU-heavy stages.",
            registry=registry,
        )
        self.hub_clients = Gauge(
            "roomwatch_hub_clients",
            "Connected WebSocket clients, by channel.",
            ["channel"],
            registry=registry,
        )
        self.hub_messages = Counter(
            "roomwatch_hub_messages_total",
            "Messages published on a hub channel.",
            ["channel"],
            registry=registry,
        )
        self.hub_dropped = Counter(
            "roomwatch_hub_dropped_messages_total",
            "Messages a slow client lost, by channel and what happened to it.",
            ["channel", "reason"],
            registry=registry,
        )
        self.hub_refused = Counter(
            "roomwatch_hub_refused_total",
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

    def track_queue_depth(self, fn: Callable[[], float]) -> None:
        self.queue_depth.set_function(fn)
