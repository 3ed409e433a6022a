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
every component on it. A pipeline built without one (the offline commands)
gets an :class:`~roomwatch.metrics.unexported.Unexported` registry, on which
the metrics are no-ops and prometheus_client is never imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roomwatch.core.lazy import lazy_names
from roomwatch.metrics.families import (
    COMPONENT_KINDS,
    OTHER_ROOM,
    STAGES,
    Component,
    ComponentFamilies,
    component_families,
)
from roomwatch.metrics.service import Metrics, observe_many
from roomwatch.metrics.unexported import Unexported

if TYPE_CHECKING:
    from roomwatch.metrics.process import (
        accept_errors_counter,
        install_process_metrics,
        moderation_actions_counter,
    )
    from roomwatch.metrics.sinks import RecorderMetrics, StoreMetrics, WebhookMetrics
    from roomwatch.metrics.streams import StreamMetrics

# These import prometheus_client, so each is imported when first asked for
# (PEP 562): a process that builds the pipeline on an Unexported registry
# (classify, replay, report) never imports it (see .unexported).
_HOMES = {
    "RecorderMetrics": ".sinks",
    "StoreMetrics": ".sinks",
    "StreamMetrics": ".streams",
    "WebhookMetrics": ".sinks",
    "accept_errors_counter": ".process",
    "install_process_metrics": ".process",
    "moderation_actions_counter": ".process",
}


__getattr__ = lazy_names(__name__, _HOMES)


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
    "Unexported",
    "WebhookMetrics",
    "accept_errors_counter",
    "component_families",
    "install_process_metrics",
    "moderation_actions_counter",
    "observe_many",
]
