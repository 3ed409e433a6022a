"""Reading the TOML file into :class:`Settings`, checked against the schema.

:class:`ConfigFile` is the file's shape, one field per top-level table;
:func:`load_settings` checks a file against it (every problem at once, see
:mod:`.schema`), resolves ``"env:NAME"`` secrets from the ``environ`` it is
given (never ``os.environ`` itself), adds ``ROOMWATCH_<ROLE>_TOKEN`` tokens
and returns frozen :class:`Settings` in which every section is typed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from roomwatch.config import rules as _rules  # noqa: F401  (registers the bounds of core sections)
from roomwatch.config.moderation import ModerationConfig
from roomwatch.config.rooms import check_room, room_tokens
from roomwatch.config.schema import InvalidConfig, Problem, check_table, join
from roomwatch.config.sections import (
    ROLES,
    BilibiliSourceSettings,
    HubSettings,
    LimitSettings,
    ModelSettings,
    PipelineSettings,
    RecorderSettings,
    ReplaySourceSettings,
    RoomSettings,
    ServerSettings,
    Sources,
    StoreSettings,
    Token,
    WebhookSettings,
    WebSocketSourceSettings,
)
from roomwatch.config.streams import StreamsSettings
from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.errors import ConfigError
from roomwatch.core.queue.config import QueueConfig

__all__ = ["ConfigFile", "Settings", "load_settings", "read_toml", "settings_from_dict"]

_INTERNAL: Final = {"internal": True}
#: Sections the config digest hashes as written in the file (see :meth:`Settings.digest`).
_HASHED_AS_WRITTEN: Final = ("queue", "alerts", "moderation", "webhooks")
_MIN_TOKEN_CHARS: Final = 8


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """The TOML file: one field per top-level table, in the order docs/config.md lists them."""

    server: ServerSettings = field(default_factory=ServerSettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    hub: HubSettings = field(default_factory=HubSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    tokens: tuple[Token, ...] = ()
    sources: Sources = field(default_factory=Sources)
    recorder: RecorderSettings = field(default_factory=RecorderSettings)
    rooms: Mapping[str, RoomSettings] = field(default_factory=dict, metadata={"key": "room"})
    queue: QueueConfig = field(default_factory=QueueConfig)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    webhooks: tuple[WebhookSettings, ...] = ()
    moderation: ModerationConfig = field(default_factory=ModerationConfig)
    streams: StreamsSettings = field(default_factory=StreamsSettings)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``roomwatch`` runs with: every section typed and checked."""

    server: ServerSettings = field(default_factory=ServerSettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    hub: HubSettings = field(default_factory=HubSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    #: From ``[[tokens]]`` (secrets resolved) and ``ROOMWATCH_<ROLE>_TOKEN``.
    tokens: tuple[Token, ...] = field(default=(), metadata=_INTERNAL)
    #: ``[[sources.websocket]]`` and ``[[sources.replay]]``.
    websocket_sources: tuple[WebSocketSourceSettings, ...] = field(default=(), metadata=_INTERNAL)
    replay_sources: tuple[ReplaySourceSettings, ...] = field(default=(), metadata=_INTERNAL)
    #: ``[[sources.bilibili]]``.
    bilibili_sources: tuple[BilibiliSourceSettings, ...] = field(default=(), metadata=_INTERNAL)
    queue: QueueConfig = field(default_factory=QueueConfig)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    recorder: RecorderSettings = field(default_factory=RecorderSettings)
    moderation: ModerationConfig = field(default_factory=ModerationConfig)
    #: ``[streams]``: the gateway and worker roles (not in the digest: it changes no verdict).
    streams: StreamsSettings = field(default_factory=StreamsSettings)
    #: Per-room classifier terms, keyed by room.
    #: (``[rooms."<room>"]``: each room's whole section; docs/rooms.md.)
    rooms: Mapping[str, RoomSettings] = field(default_factory=dict)
    #: ``[[webhooks]]``; the sink builds ``WebhookTarget(**dataclasses.asdict(w))`` from each.
    webhooks: tuple[WebhookSettings, ...] = field(default=(), metadata=_INTERNAL)
    #: Names of the tokens that were generated because config had none.
    generated_roles: tuple[str, ...] = field(default=(), metadata=_INTERNAL)
    #: ``[queue]``, ``[alerts]``, ``[moderation]`` and ``[[webhooks]]`` as
    #: written in the file, for :meth:`digest`.
    as_written: Mapping[str, Any] = field(
        default_factory=dict, repr=False, compare=False, metadata=_INTERNAL
    )

    def tokens_for(self, role: str) -> tuple[Token, ...]:
        return tuple(t for t in self.tokens if t.role == role)

    def digest(self) -> str:
        """A short hash of the effective config, without token secrets.

        Verdicts and reports carry it. ``[queue]``, ``[alerts]``,
        ``[moderation]`` and ``[[webhooks]]`` enter it as written in the file
        (as they did when they were kept as raw tables), so a file hashes the
        same as before the schema checked them; built in code, they enter as
        their fields that differ from the defaults.
        """
        data: dict[str, Any] = {
            name: _hashed(getattr(self, name))
            for name in ("server", "pipeline", "hub", "model", "store", "limits", "recorder")
        }
        data["websocket_sources"] = [_hashed(s) for s in self.websocket_sources]
        data["replay_sources"] = [dataclasses.asdict(s) for s in self.replay_sources]
        if self.bilibili_sources:  # (absent, the digest is what it was before them)
            data["bilibili_sources"] = [
                {k: v for k, v in _hashed(s).items() if k not in ("key", "buvid")}
                for s in self.bilibili_sources
            ]
        data["rooms"] = {room: _hashed(r) for room, r in self.rooms.items()}
        # (Not the tokens serve makes up for roles the file has none for: the
        # live run must carry the stamp check-config and replay give the file.)
        data["tokens"] = [
            {"role": t.role, "name": t.name, "rooms": t.rooms}
            for t in self.tokens
            if t.role not in self.generated_roles
        ]
        for name in _HASHED_AS_WRITTEN:
            data[name] = self.as_written.get(name, _written_form(getattr(self, name)))
        blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _hashed(section: Any) -> dict[str, Any]:
    """``section`` as the digest sees it: every field but those marked
    ``unhashed`` (settings that change no verdict, such as the lag alert),
    and those marked ``hashed_if_set`` while at their default (keys added
    later), so adding either leaves every existing digest as it was."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(section):
        unset = f.metadata.get("hashed_if_set", False) and _at_default(section, f)
        if not (f.metadata.get("unhashed", False) or unset):
            out[f.name] = _hashed_value(getattr(section, f.name))
    return out


def _hashed_value(value: Any) -> Any:
    """A field's value as the digest sees it: nested sections (a field map's type
    rules) leave out their own unhashed and unset keys too."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _hashed(value)
    if isinstance(value, Mapping):
        return {k: _hashed_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_hashed_value(v) for v in value]
    return value


def _at_default(section: Any, f: dataclasses.Field[Any]) -> bool:
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        return False
    return bool(getattr(section, f.name) == default)


def _written_form(value: Any) -> Any:
    """A section built in code, as the digest sees it: the fields that differ from defaults."""
    if isinstance(value, tuple):
        return [_written_form(v) for v in value]
    try:
        default = type(value)()
    except TypeError:  # required fields: every field counts
        default = None
    return {
        f.name: _jsonable(getattr(value, f.name))
        for f in dataclasses.fields(value)
        if default is None or getattr(value, f.name) != getattr(default, f.name)
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def read_toml(path: str | Path) -> dict[str, Any]:
    """The decoded file, or :class:`ConfigError` saying why it can't be read."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {str(path)!r} is a directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {str(path)!r} is not valid UTF-8 (byte {exc.start})"
        ) from None
    except RecursionError:
        raise ConfigError(f"config file {str(path)!r} is nested too deeply") from None


def load_settings(
    path: str | Path | None,
    *,
    environ: Mapping[str, str],
    generate_missing_tokens: bool = True,
) -> Settings:
    """Read ``path`` (or nothing, for all defaults) into :class:`Settings`.

    Every problem in the file is reported at once, in one
    :class:`~roomwatch.config.schema.InvalidConfig`. Besides ``[[tokens]]``
    in the file, ``ROOMWATCH_<ROLE>_TOKEN`` in ``environ`` adds a token for
    that role. With ``generate_missing_tokens``, every role that has no token
    gets a random one, listed in ``Settings.generated_roles`` so the CLI can
    show it once to the operator.
    """
    raw = {} if path is None else read_toml(path)
    return settings_from_dict(raw, environ=environ, generate_missing_tokens=generate_missing_tokens)


def settings_from_dict(
    raw: Mapping[str, Any],
    *,
    environ: Mapping[str, str],
    generate_missing_tokens: bool = True,
) -> Settings:
    """:func:`load_settings` for an already decoded TOML document."""
    problems: list[Problem] = []
    file = check_table(ConfigFile, raw, "", problems, environ)
    if file is None:
        raise InvalidConfig(problems)
    rooms: dict[str, RoomSettings] = {}
    raw_rooms = raw.get("rooms", {})
    for room in file.rooms:
        built = check_room(
            room,
            raw_rooms[room],
            queue=file.queue,
            alerts=file.alerts,
            path=join("rooms", room),
            problems=problems,
            environ=environ,
        )
        if built is not None:
            rooms[room] = built
    file = dataclasses.replace(file, rooms=rooms)
    tokens = [*file.tokens, *room_tokens(rooms)]
    for role in ROLES:
        value = environ.get(f"ROOMWATCH_{role.upper()}_TOKEN")
        if value:
            tokens.append(Token(token=value, role=role, name=f"env-{role}"))
    streams = file.streams
    if not streams.action_secret and environ.get("ROOMWATCH_ACTION_SECRET"):
        streams = dataclasses.replace(streams, action_secret=environ["ROOMWATCH_ACTION_SECRET"])
    problems += _short_secrets(file.tokens) + _shared_secrets(tokens) + _shared_names(file.webhooks)
    if problems:
        raise InvalidConfig(problems)
    generated: list[str] = []
    if generate_missing_tokens:
        have = {t.role for t in tokens}
        for role in ROLES:
            if role not in have:
                tokens.append(Token(token=secrets.token_urlsafe(18), role=role, name=role))
                generated.append(role)
    return Settings(
        server=file.server,
        pipeline=file.pipeline,
        hub=file.hub,
        model=file.model,
        store=file.store,
        limits=file.limits,
        tokens=tuple(tokens),
        websocket_sources=file.sources.websocket,
        replay_sources=file.sources.replay,
        bilibili_sources=file.sources.bilibili,
        queue=file.queue,
        alerts=file.alerts,
        recorder=file.recorder,
        moderation=file.moderation,
        streams=streams,
        rooms=file.rooms,
        webhooks=file.webhooks,
        generated_roles=tuple(generated),
        as_written=_as_written(raw, environ),
    )


def _short_secrets(tokens: Sequence[Token]) -> list[Problem]:
    return [
        Problem(f"tokens[{i}].token", f"is too short; use at least {_MIN_TOKEN_CHARS} characters")
        for i, t in enumerate(tokens)
        if len(t.token) < _MIN_TOKEN_CHARS
    ]


def _shared_secrets(tokens: Sequence[Token]) -> list[Problem]:
    """One secret must mean one token: otherwise which role it grants is a guess."""
    problems = []
    seen: dict[str, Token] = {}
    for token in tokens:
        first = seen.setdefault(token.token, token)
        if first is not token:
            problems.append(
                Problem(
                    "",
                    f"the same token secret is configured twice: for {_describe(first)} "
                    f"and for {_describe(token)}; give each its own secret",
                )
            )
    return problems


def _shared_names(webhooks: Sequence[WebhookSettings]) -> list[Problem]:
    """A webhook's name labels its metrics, so two targets may not share one."""
    first: dict[str, int] = {}
    problems = []
    for i, hook in enumerate(webhooks):
        seen = first.setdefault(hook.name, i)
        if seen != i:
            problems.append(
                Problem(
                    f"webhooks[{i}].name", f"{hook.name!r} is already the name of webhooks[{seen}]"
                )
            )
    return problems


def _describe(token: Token) -> str:
    return f"role {token.role!r}" + (f" (name {token.name!r})" if token.name else "")


def _as_written(raw: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: dict(raw[name]) for name in ("queue", "alerts", "moderation") if name in raw
    }
    if "webhooks" in raw:
        hooks = raw["webhooks"]
        out["webhooks"] = tuple(
            {k: _env(v, environ) if k in ("url", "secret") else v for k, v in hook.items()}
            for hook in ([hooks] if isinstance(hooks, Mapping) else hooks)
        )
    return out


def _env(value: object, environ: Mapping[str, str]) -> object:
    if isinstance(value, str) and value.startswith("env:"):
        return environ[value[4:]]
    return value
