"""Sources, built from settings by the composition root: one function per kind.

Each kind of source is one function ``(its settings table, the settings,
the graph) -> RunnableSource`` and one entry in :data:`SOURCE_KINDS`, which
also says where the kind's tables are in :class:`~roomwatch.config.Settings`.
:func:`build_sources` builds every configured one, in registry order;
:func:`build_source` builds one table of any kind (the ``demo`` replay,
tests). :class:`roomwatch.service.Service` only runs what it is handed
(:meth:`~roomwatch.service.Service.run_source`): it supervises ``run``,
restarting it if it raises, and calls ``stop`` on shutdown.

Adding a kind (say ``redis``):

1. its table in :mod:`roomwatch.config.sections` (``RedisSourceSettings``,
   a ``redis`` field of ``Sources`` and ``redis_sources`` of ``Settings``,
   as ``bilibili`` has);
2. ``def redis_source(spec, settings, graph) -> RunnableSource`` here;
3. ``"redis": SourceKind(RedisSourceSettings, lambda s: s.redis_sources,
   redis_source)`` in :data:`SOURCE_KINDS`.

A source hands its comments to ``graph.pipeline`` (a
:class:`~roomwatch.sources.protocol.CommentSink`), reports its state to
``graph.source_health.get(name)`` if it has more to say than the
supervisor does, and reads ``graph.metrics`` and ``graph.pace`` as it needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from roomwatch.compose.bilibili import build_bilibili_source
from roomwatch.compose.graph import Graph
from roomwatch.config import (
    BilibiliSourceSettings,
    ReplaySourceSettings,
    Settings,
    WebSocketSourceSettings,
)
from roomwatch.config.field_maps import field_map_for
from roomwatch.recordings import RecordingError
from roomwatch.sources.replay import ReplaySource
from roomwatch.sources.timebound import Trusted
from roomwatch.sources.websocket import Backoff, WebSocketSource

__all__ = [
    "SOURCE_KINDS",
    "RunnableSource",
    "SourceKind",
    "bilibili_source",
    "build_source",
    "build_sources",
    "replay_source",
    "websocket_source",
]

S = TypeVar("S")


def _nothing() -> None:
    pass


@dataclass(frozen=True, slots=True)
class RunnableSource:
    """A built source: what the service runs, supervised, until shutdown."""

    #: Its name in metrics, logs and ``/healthz``.
    name: str
    #: Runs the source; returns when it is done (a replay at its end) or stopped.
    run: Callable[[], Awaitable[object]]
    #: Asks ``run`` to return (on shutdown, before its task is cancelled).
    stop: Callable[[], None] = _nothing
    #: Errors that end the source for good instead of restarting it.
    fatal: tuple[type[Exception], ...] = ()
    #: The rooms this source alone feeds (stopped when such a room is removed
    #: at run time: :mod:`roomwatch.compose.room_sources`); empty: any rooms.
    rooms: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SourceKind(Generic[S]):
    """One kind of source: its settings table, where it is configured, how it is built."""

    table: type[S]
    configured: Callable[[Settings], Sequence[S]]
    build: Callable[[S, Settings, Graph], RunnableSource]


def websocket_source(
    spec: WebSocketSourceSettings, settings: Settings, graph: Graph
) -> RunnableSource:
    """A client of an upstream that sends comment records, or its own JSON
    through a field map (``[[sources.websocket]]``)."""
    source = WebSocketSource(
        spec.url,
        graph.metrics,
        name=spec.name,
        headers=dict(spec.headers),
        backoff=Backoff(spec.backoff_initial_s, spec.backoff_max_s),
        frames_per_s=settings.limits.source_frames_per_s,
        health=graph.source_health.get(spec.name),
        # A fetcher's own JSON shape, mapped to records (docs/mappings.md).
        field_map=field_map_for(spec),
    )
    pipeline = graph.pipeline
    return RunnableSource(spec.name, lambda: source.run(pipeline), stop=source.close)


def bilibili_source(
    spec: BilibiliSourceSettings, settings: Settings, graph: Graph
) -> RunnableSource:
    """One Bilibili live room's danmaku feed (``[[sources.bilibili]]``, docs/sources.md)."""
    name = spec.source_name
    source = build_bilibili_source(spec, graph, health=graph.source_health.get(name))
    pipeline = graph.pipeline
    return RunnableSource(
        name, lambda: source.run(pipeline), stop=source.close, rooms=frozenset({spec.room_name})
    )


def replay_source(spec: ReplaySourceSettings, settings: Settings, graph: Graph) -> RunnableSource:
    """Recordings read back at their pace times ``speed`` (``[[sources.replay]]``)."""
    source = ReplaySource(
        list(spec.paths),
        speed=spec.speed,
        name=spec.name,
        loop=spec.loop,
        pace=graph.pace,
        settings=settings.pipeline,
    )
    # The source bounds its files' ts itself: the guard trusts what it puts
    # through this sink (this source object, not its name).
    sink = Trusted(graph.pipeline)
    # A file that can't be read would only fail again.
    return RunnableSource(spec.name, lambda: source.run(sink), fatal=(RecordingError,))


#: Every kind of source, in the order :func:`build_sources` starts them.
SOURCE_KINDS: Final[Mapping[str, SourceKind[Any]]] = {
    "websocket": SourceKind(
        WebSocketSourceSettings, lambda s: s.websocket_sources, websocket_source
    ),
    "bilibili": SourceKind(BilibiliSourceSettings, lambda s: s.bilibili_sources, bilibili_source),
    "replay": SourceKind(ReplaySourceSettings, lambda s: s.replay_sources, replay_source),
}


def build_source(spec: object, settings: Settings, graph: Graph) -> RunnableSource:
    """Build the source one settings table (of any kind in :data:`SOURCE_KINDS`) describes."""
    for kind in SOURCE_KINDS.values():
        if isinstance(spec, kind.table):
            return kind.build(spec, settings, graph)
    raise TypeError(f"no source kind is built from a {type(spec).__name__}")


def build_sources(settings: Settings, graph: Graph) -> list[RunnableSource]:
    """Every source the settings configure, kind by kind."""
    return [
        kind.build(spec, settings, graph)
        for kind in SOURCE_KINDS.values()
        for spec in kind.configured(settings)
    ]
