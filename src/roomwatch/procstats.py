"""Process gauges for watching a long run: open fds, RSS and asyncio tasks.

``roomwatch_process_open_fds``, ``roomwatch_process_resident_memory_bytes``
(with CPU time, virtual memory, the fd limit and the start time) come from
prometheus_client's own :class:`~prometheus_client.ProcessCollector`, which
reads Linux ``/proc`` when ``/metrics`` is scraped (elsewhere it reports
nothing); ``roomwatch_asyncio_tasks`` counts the service loop's tasks. A leak
in any of them shows as a slope over hours; ``bench/soak.py`` samples them.
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Gauge, ProcessCollector

__all__ = ["install"]


def install(registry: CollectorRegistry, loop: asyncio.AbstractEventLoop) -> None:
    """Declare the gauges on ``registry``; tasks are counted on ``loop``."""
    ProcessCollector(namespace="roomwatch", registry=registry)
    Gauge(
        "roomwatch_asyncio_tasks",
        "asyncio tasks alive on the service's event loop.",
        registry=registry,
    ).set_function(lambda: float(len(asyncio.all_tasks(loop))))
