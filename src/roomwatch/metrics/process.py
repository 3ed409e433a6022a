"""Moderation actions, the server's accept loop, the process."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Gauge, ProcessCollector

# -- moderation, the server, the process ----------------------------------------


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
