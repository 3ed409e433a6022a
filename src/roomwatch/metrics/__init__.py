"""Every Prometheus metric roomwatch exports, declared in this package and nowhere else.

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

from roomwatch.metrics.families import (
    COMPONENT_KINDS,
    OTHER_ROOM,
    STAGES,
    Component,
    ComponentFamilies,
    component_families,
)
from roomwatch.metrics.process import (
    accept_errors_counter,
    install_process_metrics,
    moderation_actions_counter,
)
from roomwatch.metrics.service import Metrics, observe_many
from roomwatch.metrics.sinks import RecorderMetrics, StoreMetrics, WebhookMetrics
from roomwatch.metrics.streams import StreamMetrics

__all__ = [
    "COMPONENT_KINDS",
    "OTHER_ROOM",
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
