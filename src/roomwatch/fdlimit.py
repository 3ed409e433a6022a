"""File descriptors: what the process limit allows, and running out of them.

Every WebSocket client, HTTP request, recording file and the SQLite store
holds a descriptor. At start-up :func:`fd_budget` reads ``RLIMIT_NOFILE``,
says what it allows, and lowers the recorder's ``max_open_files`` to a
quarter of the soft limit if the configured value would not leave room for
connections.

If the process runs out anyway (``EMFILE``), asyncio's server stops
accepting for a second and tries again, and reports each failure to the
event loop's exception handler. :class:`AcceptErrorHandler` counts those in
``roomwatch_server_accept_errors_total`` and logs at most one line per
interval, so the accept loop keeps going and the log does not fill up.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]

from prometheus_client import CollectorRegistry

from roomwatch.metrics import accept_errors_counter

__all__ = ["AcceptErrorHandler", "FdBudget", "fd_budget"]

logger = logging.getLogger(__name__)

#: Descriptors kept back for everything that is not a recording file.
_RESERVED: Final = 64
_OUT_OF_FDS: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


@dataclass(frozen=True, slots=True)
class FdBudget:
    soft: int | None  # None: unlimited or unknown
    hard: int | None
    recorder_files: int  # max_open_files to use
    lowered: bool  # the configured value did not fit


def fd_budget(
    max_open_files: int,
    *,
    recording: bool = True,
    getrlimit: Callable[[int], tuple[int, int]] | None = None,
) -> FdBudget:
    """Read the descriptor limit, log what it allows, and fit the recorder into it."""
    if getrlimit is None and resource is not None:
        getrlimit = resource.getrlimit
    if getrlimit is None or resource is None:
        return FdBudget(None, None, max_open_files, False)
    soft, hard = getrlimit(resource.RLIMIT_NOFILE)
    inf = resource.RLIM_INFINITY
    soft_n = None if soft == inf or soft < 0 else soft
    hard_n = None if hard == inf or hard < 0 else hard
    if soft_n is None:
        logger.info("file descriptors: no limit; the recorder keeps %d open", max_open_files)
        return FdBudget(None, hard_n, max_open_files, False)
    files = max_open_files
    lowered = False
    if recording and max_open_files > soft_n // 4:
        files = max(1, soft_n // 4)
        lowered = True
        logger.warning(
            "file descriptors: the limit is %d (hard %s), too few for recorder.max_open_files = "
            "%d plus connections; keeping at most %d recording files open. Raise the limit "
            "(ulimit -n) for more rooms and clients.",
            soft_n,
            hard_n if hard_n is not None else "unlimited",
            max_open_files,
            files,
        )
    left = soft_n - (files if recording else 0) - _RESERVED
    logger.info(
        "file descriptors: limit %d (hard %s); recorder keeps at most %d files open, "
        "leaving about %d for WebSocket and HTTP connections",
        soft_n,
        hard_n if hard_n is not None else "unlimited",
        files if recording else 0,
        max(0, left),
    )
    if left < 64:
        logger.warning(
            "file descriptors: only about %d left for connections; raise the limit (ulimit -n)",
            max(0, left),
        )
    return FdBudget(soft_n, hard_n, files, lowered)


class AcceptErrorHandler:
    """An event-loop exception handler that rate-limits "out of descriptors" reports.

    Everything else goes to the handler that was there before (or the default).
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        interval_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.errors = accept_errors_counter(registry)
        self.interval_s = interval_s
        self._monotonic = monotonic
        self._last: float | None = None
        self._since = 0
        self._previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._previous = loop.get_exception_handler()
        loop.set_exception_handler(self)

    def uninstall(self) -> None:
        if self._loop is not None and self._loop.get_exception_handler() is self:
            self._loop.set_exception_handler(self._previous)
        self._loop = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _OUT_OF_FDS:
            self.errors.inc()
            now = self._monotonic()
            if self._last is not None and now - self._last < self.interval_s:
                self._since += 1
                return
            more = f" ({self._since} more since the last report)" if self._since else ""
            self._last, self._since = now, 0
            logger.error(
                "cannot accept connections: %s; retrying every second%s",
                exc.strerror or exc,
                more,
            )
            return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)
