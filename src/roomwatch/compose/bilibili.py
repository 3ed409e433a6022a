"""Build a ``[[sources.bilibili]]`` source from its settings, wired to the graph.

The one piece of wiring the source needs beyond the pipeline: a gap in its
feed that reaches ``gap_alert_s`` raises a ``system`` alert (named after the
source) through the graph's alert stage, and data flowing again resolves it.
The source itself stays free of the alert stage; it only calls back.
"""

from __future__ import annotations

from roomwatch.compose.graph import Graph
from roomwatch.config import BilibiliSourceSettings
from roomwatch.sources.bilibili import BilibiliSource
from roomwatch.sources.supervise import SourceState

__all__ = ["build_bilibili_source"]


def build_bilibili_source(
    settings: BilibiliSourceSettings, graph: Graph, *, health: SourceState | None = None
) -> BilibiliSource:
    """The source for one room; the caller runs ``source.run(pipeline)`` and ``close()``s it."""
    name = settings.source_name
    alerts = graph.alerts

    def gap_alert(message: str) -> None:
        if alerts is not None:
            graph.forward(alerts.raise_system(name, message, alerts.now()))

    def gap_resolved() -> None:
        if alerts is not None:
            graph.forward(alerts.resolve_system(name, alerts.now()))

    return BilibiliSource(
        settings,
        graph.metrics,
        on_gap_alert=gap_alert,
        on_gap_resolved=gap_resolved,
        health=health,
    )
