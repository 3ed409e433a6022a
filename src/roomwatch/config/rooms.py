"""Per-room settings: checking one room's table, and every room's effective settings.

A room's table (``[rooms."<room>"]`` in the file, or the JSON body of
``PUT /admin/rooms/{room}``) is checked by :func:`check_room` against the
same schema (:class:`~roomwatch.config.sections.RoomSettings`); its
``queue`` and ``alerts`` tables hold only the keys the room changes, and are
checked as the whole ``[queue]`` / ``[alerts]`` table they make with the
global one, so every bound and cross-field check applies. The values kept
are the converted ones.

:class:`RoomBook` answers, per room, the settings the stages run with: the
global ``[queue]`` and ``[alerts]`` for a room without a section, else the
global ones with the room's keys over them. Each room's answer is built
once and cached until the room changes, so the stages' per-comment path only
looks a room up in a dict (and most do it once per queue or per room).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

from roomwatch.config.rules import TOKEN_RULES
from roomwatch.config.schema import (
    RULES,
    InvalidConfig,
    Problem,
    check_table,
    field_types,
    join,
)
from roomwatch.config.sections import RoomSettings, RoomToken, Token
from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.lexicon import RoomTerms, fold_term
from roomwatch.core.queue.config import QueueConfig

__all__ = [
    "MAX_ROOM_CHARS",
    "RoomBook",
    "check_room",
    "parse_room",
    "room_title",
    "room_to_dict",
    "room_tokens",
]

#: Longest room name (the comment record allows no longer).
MAX_ROOM_CHARS: Final = 128
_MIN_TOKEN_CHARS: Final = 8

_C = TypeVar("_C", QueueConfig, AlertConfig)

# A room's own token has a role from the same list as [[tokens]].
RULES[RoomToken] = TOKEN_RULES


def check_room(
    room: str,
    raw: object,
    *,
    queue: QueueConfig,
    alerts: AlertConfig,
    path: str,
    problems: list[Problem],
    environ: Mapping[str, str] | None = None,
) -> RoomSettings | None:
    """Check one room's table; the built settings, or None after adding to ``problems``.

    ``queue`` and ``alerts`` are the global settings the room's keys go over.
    """
    before = len(problems)
    if not room.strip():
        problems.append(Problem(path, "the room name must not be blank"))
    elif len(room) > MAX_ROOM_CHARS:
        problems.append(Problem(path, f"the room name is longer than {MAX_ROOM_CHARS} characters"))
    built = check_table(RoomSettings, raw, path, problems, environ)
    # The queue and alerts keys are checked even when something else is
    # wrong, so that one pass reports every problem.
    parts = raw if isinstance(raw, Mapping) else {}
    q = a = None
    if isinstance(parts.get("queue", {}), Mapping):
        q = _overrides(QueueConfig, queue, parts.get("queue", {}), join(path, "queue"), problems)
    if isinstance(parts.get("alerts", {}), Mapping):
        a = _overrides(AlertConfig, alerts, parts.get("alerts", {}), join(path, "alerts"), problems)
    if built is None:
        return None
    for i, t in enumerate(built.tokens):
        where = f"{join(path, 'tokens')}[{i}]"
        if len(t.token) < _MIN_TOKEN_CHARS:
            problems.append(
                Problem(
                    f"{where}.token", f"is too short; use at least {_MIN_TOKEN_CHARS} characters"
                )
            )
    if q is None or a is None or len(problems) > before:
        return None
    return dataclasses.replace(built, queue=q, alerts=a)


def parse_room(
    room: str,
    raw: object,
    *,
    queue: QueueConfig,
    alerts: AlertConfig,
    environ: Mapping[str, str] | None = None,
) -> RoomSettings:
    """:func:`check_room`, raising :class:`InvalidConfig` with every problem."""
    problems: list[Problem] = []
    built = check_room(
        room,
        raw,
        queue=queue,
        alerts=alerts,
        path=join("rooms", room),
        problems=problems,
        environ=environ,
    )
    if built is None:
        raise InvalidConfig(problems or [Problem(join("rooms", room), "is not valid")])
    return built


def _overrides(
    cls: type[_C], base: _C, raw: Mapping[str, Any], path: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """The room's keys of ``cls``, converted; checked as the table they make over ``base``."""
    if not raw:
        return {}
    keys = field_types(cls)
    merged = {k: _plain(getattr(base, k)) for k in keys}
    merged.update(raw)
    before = len(problems)
    effective = check_table(cls, merged, path, problems)
    if effective is None or len(problems) > before:
        return None
    return {k: getattr(effective, k) for k in raw}


def _plain(value: Any) -> Any:
    """A setting's value as TOML/JSON would write it (for checking it again)."""
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def room_to_dict(settings: RoomSettings, *, secrets: bool = False) -> dict[str, Any]:
    """A room's settings as JSON values (token secrets shown as ``"***"`` unless ``secrets``)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.name == "tokens":
            out[f.name] = [
                {"token": t.token if secrets else "***", "role": t.role, "name": t.name}
                for t in value
            ]
        else:
            out[f.name] = _plain(value)
    return out


def room_tokens(rooms: Mapping[str, RoomSettings]) -> list[Token]:
    """Every room's own tokens as :class:`Token` values that see only that room."""
    return [
        Token(token=t.token, role=t.role, name=t.name or f"{t.role}@{room}", rooms=(room,))
        for room, r in rooms.items()
        for t in r.tokens
    ]


class RoomBook:
    """Every room's settings as the stages run with them, built once per room and cached.

    Not thread-safe: the event loop owns it (the analyzer's worker thread
    only reads the room terms mapping, which is replaced whole).
    """

    def __init__(
        self,
        queue: QueueConfig,
        alerts: AlertConfig,
        rooms: Mapping[str, RoomSettings] | None = None,
    ) -> None:
        self.queue = queue
        self.alerts = alerts
        self._rooms: dict[str, RoomSettings] = dict(rooms or {})
        self._queues: dict[str, QueueConfig] = {}
        self._alerts: dict[str, AlertConfig] = {}

    def __contains__(self, room: object) -> bool:
        return room in self._rooms

    def __len__(self) -> int:
        return len(self._rooms)

    @property
    def rooms(self) -> Mapping[str, RoomSettings]:
        """Every room with a section (read-only view)."""
        return MappingProxyType(self._rooms)

    def get(self, room: str) -> RoomSettings | None:
        return self._rooms.get(room)

    def set(self, room: str, settings: RoomSettings) -> None:
        """Give ``room`` these settings (replacing any it had)."""
        self._rooms[room] = settings
        self._forget(room)

    def remove(self, room: str) -> RoomSettings | None:
        """Drop ``room``'s section; it runs on the global settings again."""
        self._forget(room)
        return self._rooms.pop(room, None)

    def _forget(self, room: str) -> None:
        self._queues.pop(room, None)
        self._alerts.pop(room, None)

    def queue_config(self, room: str) -> QueueConfig:
        """The host queue settings of ``room`` (the global ones without a section)."""
        found = self._queues.get(room)
        if found is None:
            r = self._rooms.get(room)
            found = self.queue
            if r is not None and (r.queue or r.products):
                products = tuple(dict.fromkeys(fold_term(p) for p in r.products if p.strip()))
                found = dataclasses.replace(self.queue, **r.queue, products=products)
            self._queues[room] = found
        return found

    def alert_config(self, room: str) -> AlertConfig:
        """The alert thresholds of ``room``: the global object itself when it sets none."""
        found = self._alerts.get(room)
        if found is None:
            r = self._rooms.get(room)
            found = self.alerts
            if r is not None and r.alerts:
                found = dataclasses.replace(self.alerts, **r.alerts)
            self._alerts[room] = found
        return found

    def own_alerts(self) -> Iterable[tuple[str, AlertConfig]]:
        """Rooms whose alert thresholds differ from the global ones, with theirs."""
        for room, r in self._rooms.items():
            if r.alerts:
                yield room, self.alert_config(room)

    def terms(self) -> dict[str, RoomTerms]:
        """Every room's extra classifier terms (rooms with none are left out)."""
        out: dict[str, RoomTerms] = {}
        for room, r in self._rooms.items():
            if r.block_abuse or r.block_spam or r.allow or r.question_terms:
                out[room] = RoomTerms.of(r.block_abuse, r.block_spam, r.allow, r.question_terms)
        return out

    def tokens(self) -> list[Token]:
        """Every room's own tokens (see :func:`room_tokens`)."""
        return room_tokens(self._rooms)


def room_title(book: RoomBook, room: str) -> str:
    """``room``'s display title (its section's ``title``), or "" without one."""
    settings = book.rooms.get(room)
    return settings.title if settings is not None else ""
