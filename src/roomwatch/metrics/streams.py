"""The Redis Streams roles (gateway, worker)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from roomwatch.metrics.families import _LATENCY_BUCKETS


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
        self.control_refused = c(
            "stream_control_refused_entries_total",
            "Control entries (client actions) a worker refused: unsigned or badly signed.",
            ("reason",),
        )
        self.length = g(
            "stream_length_entries",
            "Entries a stream holds after the gateway's last trim (XLEN).",
            ("stream",),
        )
        self.redis_up = g("redis_up", "1 while the last Redis command succeeded, else 0.")
        self.owned_shards = g("worker_owned_shards", "Input shards this worker holds the lease of.")
        self.batch_seconds = Histogram(
            "roomwatch_worker_batch_seconds",
            "Time to process one batch of one shard, read to acknowledged.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
