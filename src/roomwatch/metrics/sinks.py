"""The store, the recorder and the webhooks."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from roomwatch.metrics.families import (
    Component,
    ComponentFamilies,
    _Labelled,
    _Tee,
    component_families,
)

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
