"""Rooms added, changed and removed while ``serve`` runs (``/admin/rooms``; docs/rooms.md).

:class:`RoomAdmin` is what the admin routes (:mod:`roomwatch.web.rooms`)
call. A change is checked with the config schema
(:func:`roomwatch.config.rooms.parse_room`), written to the store's ``rooms``
table (awaited: the answer means committed), then applied to the running
graph, and audited:

* the room's section in the graph's :class:`~roomwatch.config.rooms.RoomBook`
  (its queue settings are asked when its queue is next made, its alert
  thresholds pick its detectors' manager);
* the analyzer's room terms (replaced whole, so the worker thread never
  sees a half-made mapping; the next batch uses them);
* the room's host queue, dropped if its settings changed (clients get
  ``removed`` with reason ``reconfigured``) or the room was removed
  (``room_removed``); the next question opens a new one;
* its alerts: moved to a manager with the new thresholds (open alerts stay
  open), or on removal resolved and forgotten;
* the tokens: the room's own tokens join or leave the authorisation table;
* ``roomwatch_room_comments_total``: the room gets its own label, or on
  removal loses its series and is counted as ``other`` again.

At start, :meth:`RoomAdmin.load_saved` merges what the store holds over the
file's ``[rooms]``: a room saved at run time replaces the file's section of
the same name, a room removed at run time stays removed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from roomwatch.authz import Authz
from roomwatch.compose.graph import Graph
from roomwatch.compose.room_sources import RoomSources
from roomwatch.config import InvalidConfig, Problem, RoomSettings, Settings, Token
from roomwatch.config.rooms import parse_room, room_to_dict, room_tokens
from roomwatch.config.schema import join
from roomwatch.core.analyze import Analyzer
from roomwatch.stages.events import Publish

__all__ = ["RoomAdmin", "RoomStore"]

logger = logging.getLogger(__name__)


class RoomStore(Protocol):
    """The part of :class:`roomwatch.store.Store` the room admin uses."""

    async def save_room(
        self, room: str, body: Mapping[str, Any] | None, *, ts: float, actor: str
    ) -> None: ...

    async def saved_rooms(self) -> dict[str, dict[str, Any] | None]: ...

    def submit_audit(
        self,
        *,
        ts: float,
        actor: str,
        role: str,
        action: str,
        target_kind: str,
        target_id: str,
        room: str,
        ok: bool = True,
        error: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> bool: ...


class RoomAdmin:
    """Adds, changes and removes rooms in a running graph, persisted and audited."""

    def __init__(
        self,
        settings: Settings,
        graph: Graph,
        analyzer: Analyzer,
        authz: Authz,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._graph = graph
        self._analyzer = analyzer
        self._authz = authz
        self._wall = wall
        #: Where changes are kept (set once the store is open; None: not kept).
        self.store: RoomStore | None = None
        #: The sources each room alone is fed by (set by the service; None:
        #: no sources are stopped or started with rooms).
        self.sources: RoomSources | None = None
        #: Rooms whose section came from the file and was not changed at run time.
        self._from_file = set(settings.rooms)
        # The tokens that are not a room's own: the file's room tokens are
        # already in settings.tokens, and follow their room from now on.
        file_room_tokens = room_tokens(settings.rooms)
        self._base_tokens = [t for t in settings.tokens if t not in file_room_tokens]
        self._lock = asyncio.Lock()

    # -- reads ---------------------------------------------------------------

    def view(self, rooms: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every room with a section (or those of ``rooms``), as the API shows them."""
        book = self._graph.rooms.rooms
        names = sorted(book) if rooms is None else [r for r in rooms if r in book]
        return [self._one(room, book[room]) for room in names]

    def _one(self, room: str, settings: RoomSettings) -> dict[str, Any]:
        return {
            "room": room,
            "from": "file" if room in self._from_file else "admin",
            "settings": room_to_dict(settings),
        }

    # -- changes -------------------------------------------------------------

    async def put(self, room: str, body: object, actor: Token) -> tuple[dict[str, Any], bool]:
        """Give ``room`` the section ``body``; returns its view and whether it is new.

        Raises :class:`InvalidConfig` (nothing changed, the attempt audited)
        when ``body`` breaks the schema.
        """
        async with self._lock:
            try:
                settings = self._check(room, body)
            except InvalidConfig as exc:
                self._audit(actor, "room.put", room, ok=False, error="invalid", problems=exc)
                raise
            created = room not in self._graph.rooms
            if self.store is not None:
                assert isinstance(body, Mapping)
                await self.store.save_room(room, body, ts=self._wall(), actor=actor.label)
            self._apply(room, settings)
            self._from_file.discard(room)
            started = self.sources.start(room) if self.sources is not None else []
            detail: dict[str, Any] = {"created": created, "keys": sorted(body_keys(body))}
            if started:
                detail["sources_started"] = started
            self._audit(actor, "room.put", room, **detail)
            logger.info("room %r %s by %s", room, "added" if created else "changed", actor.label)
            return self._one(room, settings), created

    async def delete(self, room: str, actor: Token) -> bool:
        """Remove ``room``'s section and its queue and alert state; False if it had none."""
        async with self._lock:
            if room not in self._graph.rooms:
                self._audit(actor, "room.delete", room, ok=False, error="not_found")
                return False
            if self.store is not None:
                await self.store.save_room(room, None, ts=self._wall(), actor=actor.label)
            self._apply(room, None)
            self._from_file.discard(room)
            stopped = await self.sources.stop(room) if self.sources is not None else []
            gone: dict[str, Any] = {"sources_stopped": stopped} if stopped else {}
            self._audit(actor, "room.delete", room, **gone)
            logger.info("room %r removed by %s", room, actor.label)
            return True

    async def load_saved(self) -> int:
        """Merge the rooms kept in the store over the file's; returns how many applied.

        A kept section that no longer passes the checks (the global
        ``[queue]`` or ``[alerts]`` changed under it) is logged and skipped:
        the file's section, if any, stays.
        """
        if self.store is None:
            return 0
        saved = await self.store.saved_rooms()
        applied = 0
        for room, body in saved.items():
            if body is None:
                if room in self._graph.rooms:
                    self._apply(room, None)
                    applied += 1
                else:  # removed at run time: its records stay refused
                    pipeline = self._graph.pipeline
                    pipeline.refused_rooms = pipeline.refused_rooms | {room}
                self._from_file.discard(room)
                continue
            try:
                settings = self._check(room, body)
            except InvalidConfig as exc:
                logger.error("room %r kept in the store is not valid now; skipped: %s", room, exc)
                continue
            self._apply(room, settings)
            self._from_file.discard(room)
            applied += 1
        return applied

    def _check(self, room: str, body: object) -> RoomSettings:
        if not isinstance(body, Mapping):
            raise InvalidConfig([Problem(join("rooms", room), "must be a JSON object")])
        settings = parse_room(room, body, queue=self._settings.queue, alerts=self._settings.alerts)
        problems = []
        others = {t.token for t in self._tokens_without(room)}
        for i, t in enumerate(settings.tokens):
            where = f"{join('rooms', room)}.tokens[{i}].token"
            if t.token.startswith("env:"):
                problems.append(Problem(where, 'is "env:...", which only the config file may use'))
            elif t.token in others:
                problems.append(Problem(where, "is already another token's secret"))
        if problems:
            raise InvalidConfig(problems)
        return settings

    def _tokens_without(self, room: str) -> list[Token]:
        rooms = {r: s for r, s in self._graph.rooms.rooms.items() if r != room}
        return [*self._base_tokens, *room_tokens(rooms)]

    def _apply(self, room: str, settings: RoomSettings | None) -> None:
        """Make the running graph use ``settings`` for ``room`` (None: remove it)."""
        graph = self._graph
        book = graph.rooms
        old_queue = book.queue_config(room)
        had_terms = room in book.terms()
        if settings is None:
            book.remove(room)
            # Its records are refused from now on (until it is added again).
            graph.pipeline.refused_rooms = graph.pipeline.refused_rooms | {room}
        else:
            book.set(room, settings)
            graph.pipeline.refused_rooms = graph.pipeline.refused_rooms - {room}
        events: list[Publish] = []
        terms = book.terms()
        if had_terms or room in terms:
            # Replaced whole: the analyzer's thread reads the mapping it had.
            self._analyzer.classifier.set_room_terms(terms)
        if graph.triage is not None:
            if settings is None:
                events += graph.triage.drop_room(room, "room_removed")
            elif book.queue_config(room) != old_queue:
                events += graph.triage.drop_room(room, "reconfigured")
        if graph.alerts is not None:
            if settings is None:
                events += graph.alerts.drop_room(room)
            else:
                own = book.alert_config(room)
                graph.alerts.set_room_config(room, None if own is book.alerts else own)
        if graph.moderation is not None:  # its own review labels and cap, if any
            graph.moderation.queue.set_room(
                room,
                settings.review_labels if settings is not None else (),
                settings.review_max if settings is not None else 0,
            )
        self._authz.set_tokens([*self._base_tokens, *book.tokens()])
        graph.metrics.name_rooms(book.rooms)
        graph.forward(events)

    def _audit(
        self,
        actor: Token,
        action: str,
        room: str,
        *,
        ok: bool = True,
        error: str | None = None,
        problems: InvalidConfig | None = None,
        **detail: Any,
    ) -> None:
        if problems is not None:
            detail["problems"] = [str(p) for p in problems.problems][:20]
        if self.store is None:
            return
        self.store.submit_audit(
            ts=self._wall(),
            actor=actor.label,
            role=actor.role,
            action=action,
            target_kind="room",
            target_id=room[:256],
            room=room[:256],
            ok=ok,
            error=error,
            detail=detail,
        )


def body_keys(body: object) -> Sequence[str]:
    """The top-level keys of a room's section (what an audit row names)."""
    return [str(k) for k in body] if isinstance(body, Mapping) else []
