"""Process gauges for watching a long run: open fds, RSS and asyncio tasks.

``roomwatch_process_open_fds``, ``roomwatch_process_resident_memory_bytes``
and ``roomwatch_asyncio_tasks`` are computed when ``/metrics`` is scraped
(Linux ``/proc``; elsewhere the fd and RSS gauges read -1). A leak in any of
them shows as a slope over hours; ``bench/soak.py`` samples them.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge

__all__ = ["install"]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _open_fds() -> float:
    try:
        return float(len(os.listdir("/proc/self/fd")))
    except OSError:
        return -1.0


def _rss_bytes() -> float:
    try:
        return float(int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE)
    except (OSError, ValueError, IndexError):
        return -1.0


def install(registry: CollectorRegistry, loop: asyncio.AbstractEventLoop) -> None:
    """Declare the gauges on ``registry``; tasks are counted on ``loop``."""
    Gauge(
        "roomwatch_process_open_fds",
        "File descriptors the process holds (sockets, recordings, SQLite).",
        registry=registry,
    ).set_function(_open_fds)
    Gauge(
        "roomwatch_process_resident_memory_bytes",
        "Resident set size of the process.",
        registry=registry,
    ).set_function(_rss_bytes)
    Gauge(
        "roomwatch_asyncio_tasks",
        "asyncio tasks alive on the service's event loop.",
        registry=registry,
    ).set_function(lambda: float(len(asyncio.all_tasks(loop))))
