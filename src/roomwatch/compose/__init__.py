"""The composition root: the one place that builds roomwatch's graph.

::

    sources ──▶ TimeGuard ──▶ Pipeline (batches → Analyzer) ──▶ outputs
                                                  triage, flag, alerts, moderation
                                                  (pure: results in, Publish events out)
                                                  + what a command attaches
                                                    (report builder, verdict writer)
    events ──▶ Hub (serve) · alert listeners ──▶ webhooks, store, --alerts file

* :mod:`roomwatch.compose.graph` builds the pipeline and its stages from
  settings (:func:`build_pipeline`); every command uses it: ``serve`` /
  ``demo`` (through :class:`roomwatch.service.Service`), ``replay``,
  ``replay --compare``, ``report`` and ``classify --jsonl``. It imports
  nothing of the web layer, so offline commands never load aiohttp.
* :mod:`roomwatch.compose.serve` wires a graph to the server's sinks: the
  hub's snapshot and action handlers, the store's audit and alert rows,
  webhooks, and the one ticker.
* :mod:`roomwatch.compose.sources` builds the sources the settings
  configure (one function per kind, one registry entry each); the service
  only runs them.
"""

from __future__ import annotations

from roomwatch.compose.graph import STAGES, Graph, analyzer_for, build_pipeline

__all__ = ["STAGES", "Graph", "analyzer_for", "build_pipeline"]
