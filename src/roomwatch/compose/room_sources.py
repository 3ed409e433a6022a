"""Sources that feed one room only, stopped and started with the room (``/admin/rooms``).

A ``[[sources.bilibili]]`` table is one platform room, whose records carry one
``room`` (``room``, or ``bilibili-<room_id>``): that source feeds that room
only. When the room is removed at run time (``DELETE /admin/rooms/{room}``)
its sources are stopped (their connections closed, ``/healthz`` shows them
``stopped``), and when it is added again (``PUT``) they start again, built
afresh from the same tables. A source that may carry several rooms (a
``[[sources.websocket]]`` fetcher, a replay) is never stopped for one room;
its records for a removed room are refused by the pipeline instead
(``room_removed``, see docs/rooms.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from roomwatch.compose.graph import Graph
from roomwatch.compose.sources import RunnableSource, build_source
from roomwatch.config import Settings

__all__ = ["RoomSources"]

logger = logging.getLogger(__name__)

Running = list[tuple[RunnableSource, "asyncio.Task[object]"]]


class RoomSources:
    """Stops and starts the sources of one room, in a running service."""

    def __init__(
        self,
        settings: Settings,
        graph: Graph,
        run: Callable[[RunnableSource], asyncio.Task[object]],
        running: Running,
        *,
        stop_timeout_s: float = 5.0,
    ) -> None:
        self._settings = settings
        self._graph = graph
        #: Runs a built source, supervised (``Service.run_source``).
        self._run = run
        #: The service's running sources (shared: stopped ones leave it).
        self._running = running
        self._stop_timeout_s = stop_timeout_s

    def configured(self, room: str) -> list[str]:
        """The names of the sources configured for ``room`` alone."""
        return [s.source_name for s in self._settings.bilibili_sources if s.room_name == room]

    async def stop(self, room: str) -> list[str]:
        """Stop every running source that feeds ``room`` alone; their names."""
        stopped: list[str] = []
        for entry in list(self._running):
            source, task = entry
            if room not in source.rooms:
                continue
            self._running.remove(entry)
            if not task.done():
                source.stop()
                done, _ = await asyncio.wait({task}, timeout=self._stop_timeout_s)
                if not done:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self._graph.source_health.get(source.name).state = "stopped"
            stopped.append(source.name)
        if stopped:
            logger.info("room %r removed: stopped source(s) %s", room, ", ".join(stopped))
        return stopped

    def start(self, room: str) -> list[str]:
        """Start the sources configured for ``room`` alone that are not running; their names."""
        live = {s.name for s, task in self._running if not task.done()}
        started: list[str] = []
        for spec in self._settings.bilibili_sources:
            if spec.room_name != room or spec.source_name in live:
                continue
            self._run(build_source(spec, self._settings, self._graph))
            started.append(spec.source_name)
        if started:
            logger.info("room %r added: started source(s) %s", room, ", ".join(started))
        return started
