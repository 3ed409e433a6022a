"""Configuration: a strict TOML file turned into frozen settings.

Every key has a default, so ``roomwatch serve`` with no file works on
127.0.0.1. Unknown keys and wrong types are errors that name the key.
Tokens may be written literally or as ``"env:NAME"``; the environment is
passed in (``environ``), never read from ``os.environ`` here, so tests don't
patch it. Tokens are never logged: :class:`Token` hides its secret in ``repr``.

See ``docs/config.md`` for every key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import secrets
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from roomwatch.errors import ConfigError

__all__ = [
    "ROLES",
    "HubSettings",
    "ModelSettings",
    "PipelineSettings",
    "RecorderSettings",
    "ReplaySourceSettings",
    "RoomSettings",
    "ServerSettings",
    "Settings",
    "StoreSettings",
    "Token",
    "WebSocketSourceSettings",
    "build_dataclass",
    "load_settings",
]

#: Roles a token can carry. ``ingest`` may only post comments.
ROLES: Final = ("host", "helper", "moderator", "comms", "admin", "ingest")

T = TypeVar("T")
_INTERNAL: Final = {"internal": True}


@dataclass(frozen=True, slots=True)
class ServerSettings:
    #: Address to listen on. Keep 127.0.0.1 unless a proxy guards the port.
    host: str = "127.0.0.1"
    #: TCP port for the pages, WebSocket hub, ingest, /metrics and /healthz.
    port: int = 8686
    #: Browser origins allowed to open WebSocket connections and post
    #: moderation actions, e.g. "https://ops.example.com". Empty means the
    #: server's own address only (http://host:port as configured; localhost,
    #: 127.0.0.1 and [::1] for a loopback host). The Host header is never
    #: trusted. Behind a proxy, or on 0.0.0.0, list the address browsers use.
    allowed_origins: tuple[str, ...] = ()
    #: /metrics and /healthz answer without a token (for Prometheus and
    #: health probes; they show no room names or text). false: any token.
    open_metrics: bool = True
    #: Actions one token may take per minute on the host and alerts
    #: channels (token bucket; bursts up to this). Moderation actions use
    #: moderation.actions_per_minute.
    actions_per_minute: int = 120
    #: Largest HTTP ingest body, in bytes, chunked or not (413 past it).
    #: Every limit: docs/limits.md.
    max_body_bytes: int = 16 * 1024 * 1024
    #: On SIGTERM/SIGINT, the longest `serve` takes to stop: in-flight
    #: requests and batches finish, the recorder and SQLite are flushed and
    #: clients get GOING_AWAY (1001), then it exits 0. A step that overruns
    #: its share is cut short and logged; if the process is still there 5 s
    #: past the bound, it exits with status 70. A second signal exits at once.
    shutdown_timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    #: Most comments the CPU-heavy stages take in one batch.
    batch_max: int = 512
    #: Longest a comment waits for its batch to fill, in milliseconds.
    batch_wait_ms: float = 5.0
    #: Comments buffered between the sources and the stages. When full,
    #: sources wait (backpressure) rather than drop.
    queue_max: int = 4096
    #: At least this many recent (room, id) pairs (at most twice as many) are
    #: remembered, so a repeated id among them is dropped as a duplicate.
    dedupe_window: int = 200_000
    #: A live record whose `ts` is more than this many seconds ahead of its
    #: receive time (the wall clock, or its room's record time if later) is
    #: rejected (`ts_out_of_range`).
    ts_max_future_s: float = 300.0
    #: A live record whose `ts` is more than this many seconds behind its
    #: room's record time is rejected (`ts_out_of_range`). A room's first
    #: record has no lower bound, so old recordings can still be posted.
    ts_max_past_s: float = 7 * 86400.0
    #: In a replay the receive time is the record time: a record more than
    #: this many seconds after the newest earlier one of its file is rejected
    #: (`ts_out_of_range`), unless the next record confirms the jump.
    replay_max_gap_s: float = 86400.0


@dataclass(frozen=True, slots=True)
class HubSettings:
    #: Messages buffered for each WebSocket client.
    client_queue: int = 1000
    #: What happens to a client whose buffer is full: "drop_oldest" keeps the
    #: connection and loses its oldest messages; "disconnect" closes it.
    slow_client: str = "drop_oldest"
    #: Messages each channel keeps so a reconnecting client can resume.
    resume_buffer: int = 5000
    #: Recent flagged verdicts sent to a moderator client on connect.
    moderator_backlog: int = 200


@dataclass(frozen=True, slots=True)
class ModelSettings:
    #: Folder holding the trained model; empty means the bundled one.
    models_dir: str = ""
    #: Folder holding the lexicons; empty means the bundled ones.
    lexicons_dir: str = ""


@dataclass(frozen=True, slots=True)
class StoreSettings:
    #: SQLite file for audits, alerts and feedback; created if missing.
    path: str = "var/roomwatch.sqlite3"


@dataclass(frozen=True, slots=True)
class WebSocketSourceSettings:
    #: Upstream URL that sends comment records as JSON text frames.
    url: str
    #: A name for metrics and logs; defaults to "websocket".
    name: str = "websocket"
    #: Extra HTTP headers for the upstream handshake (e.g. authorization).
    headers: Mapping[str, str] = field(default_factory=dict)
    #: First reconnect delay in seconds; doubles up to ``backoff_max_s``.
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0


@dataclass(frozen=True, slots=True)
class ReplaySourceSettings:
    #: Recordings to replay, in order (JSONL, .gz, or importer formats).
    paths: tuple[str, ...]
    name: str = "replay"
    #: 1 keeps the original timing, 10 runs ten times faster, 0 is flat out.
    speed: float = 1.0
    #: Start again from the first file after the last one ends.
    loop: bool = False


@dataclass(frozen=True, slots=True)
class RecorderSettings:
    """Recording every accepted record to per-room JSON Lines files."""

    #: Record at all. Recordings are what `roomwatch replay` and `report` read.
    enabled: bool = True
    #: Folder for the recordings; one sub-folder per room.
    dir: str = "var/recordings"
    #: Buffered records are written this often. A crash (even kill -9) loses
    #: at most this many seconds of records, plus at most one partial line.
    flush_interval_s: float = 1.0
    #: Start a new file once the current one holds this many bytes ...
    max_bytes: int = 256 * 1024 * 1024
    #: ... or is this many seconds old. Closed files are gzip-compressed.
    max_age_s: float = 3600.0
    #: Most bytes held in memory while the disk can't keep up; past it,
    #: records are dropped and counted.
    max_buffer_bytes: int = 64 * 1024 * 1024
    #: fsync after every flush (slower; survives power loss, not just crashes).
    fsync: bool = False
    #: Most recording files held open at once. A room beyond it keeps its
    #: file, which is closed and opened again (appending) when it is written
    #: next, least recently written first. Lowered at start-up to a quarter
    #: of the process's file-descriptor limit if that is smaller.
    max_open_files: int = 256


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """Limits on what one client, connection or user may send (docs/limits.md)."""

    #: Most records one POST /ingest may hold (413 past it, nothing accepted).
    max_records_per_request: int = 10_000
    #: Most WebSocket clients (/ws/*) open at once from one IP address (429).
    connections_per_ip: int = 64
    #: Most WebSocket clients open at once with one token (429).
    connections_per_token: int = 32
    #: Messages a client may send on /ws/* per second, sustained, and in a
    #: burst; past it the connection is closed with 1008 (policy violation).
    client_messages_per_s: float = 20.0
    client_messages_burst: int = 60
    #: Frames a WebSocket source reads per second at most; past it the source
    #: reads no faster (the upstream is slowed by TCP, nothing is lost).
    source_frames_per_s: float = 2_000.0
    #: Comments one user may post in one room per second, sustained, and in a
    #: burst (by the records' ts). Excess comments are recorded but shed from
    #: analysis, counted; 0 turns flood control off.
    user_comments_per_s: float = 1.0
    user_comments_burst: int = 20


@dataclass(frozen=True, slots=True)
class RoomSettings:
    """Per-room extra terms for the classifier (``[rooms."<room>"]``).

    Write terms in their normalised spelling (傻逼, not 煞笔); they match on
    jieba token boundaries like the shipped lexicons, and are evidence for the
    model, not blind overrides.
    """

    #: Extra insults for this room (e.g. a nickname used to attack the host).
    block_abuse: tuple[str, ...] = ()
    #: Extra ad / traffic-stealing terms (e.g. a rival room's name).
    block_spam: tuple[str, ...] = ()
    #: Terms never to count as abuse or spam here (a product called 大麻花).
    allow: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Token:
    """A login token: a secret, the role it grants and the rooms it may see."""

    token: str = field(repr=False)
    role: str
    name: str = ""
    #: Rooms this token may see; "*" means every room.
    rooms: tuple[str, ...] = ("*",)

    def allows_room(self, room: str) -> bool:
        return "*" in self.rooms or room in self.rooms

    @property
    def label(self) -> str:
        """What audits and logs show instead of the secret."""
        return self.name or f"{self.role}-{hashlib.sha256(self.token.encode()).hexdigest()[:8]}"


@dataclass(frozen=True, slots=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    hub: HubSettings = field(default_factory=HubSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    # Filled from [[tokens]] and [sources.*], which are validated separately.
    tokens: tuple[Token, ...] = field(default=(), metadata=_INTERNAL)
    websocket_sources: tuple[WebSocketSourceSettings, ...] = field(default=(), metadata=_INTERNAL)
    replay_sources: tuple[ReplaySourceSettings, ...] = field(default=(), metadata=_INTERNAL)
    #: Feature sections owned by later stages, validated by their own types.
    queue: Mapping[str, Any] = field(default_factory=dict)
    alerts: Mapping[str, Any] = field(default_factory=dict)
    recorder: RecorderSettings = field(default_factory=RecorderSettings)
    moderation: Mapping[str, Any] = field(default_factory=dict)
    #: Per-room classifier terms, keyed by room.
    rooms: Mapping[str, RoomSettings] = field(default_factory=dict)
    #: ``[[webhooks]]`` tables; validated by :class:`roomwatch.sinks.webhook.WebhookTarget`.
    webhooks: tuple[Mapping[str, Any], ...] = field(default=(), metadata=_INTERNAL)
    #: Names of the tokens that were generated because config had none.
    generated_roles: tuple[str, ...] = field(default=(), metadata=_INTERNAL)

    def tokens_for(self, role: str) -> tuple[Token, ...]:
        return tuple(t for t in self.tokens if t.role == role)

    def digest(self) -> str:
        """A short hash of the effective config, without secrets."""
        data = dataclasses.asdict(self)
        data["tokens"] = [{"role": t.role, "name": t.name, "rooms": t.rooms} for t in self.tokens]
        data.pop("generated_roles")
        blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def load_settings(
    path: str | Path | None,
    *,
    environ: Mapping[str, str],
    generate_missing_tokens: bool = True,
) -> Settings:
    """Read ``path`` (or nothing, for all defaults) into :class:`Settings`.

    Besides ``[[tokens]]`` in the file, ``ROOMWATCH_<ROLE>_TOKEN`` in
    ``environ`` adds a token for that role. With ``generate_missing_tokens``,
    every role that has no token gets a random one, listed in
    ``Settings.generated_roles`` so the CLI can show it once to the operator.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as f:
                raw = tomllib.load(f)
        except FileNotFoundError:
            raise ConfigError(f"config file {str(path)!r} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"config file {str(path)!r} is not valid UTF-8 (byte {exc.start})"
            ) from None
        except RecursionError:
            raise ConfigError(f"config file {str(path)!r} is nested too deeply") from None
    return settings_from_dict(raw, environ=environ, generate_missing_tokens=generate_missing_tokens)


def settings_from_dict(
    raw: Mapping[str, Any],
    *,
    environ: Mapping[str, str],
    generate_missing_tokens: bool = True,
) -> Settings:
    raw = dict(raw)
    sources = raw.pop("sources", {})
    if not isinstance(sources, Mapping):
        raise ConfigError("'sources' must be a table")
    unknown = set(sources) - {"websocket", "replay"}
    if unknown:
        raise ConfigError(
            f"unknown source type(s) {sorted(unknown)} in [sources]; "
            "expected 'websocket' or 'replay' (HTTP ingest is always on at POST /ingest)"
        )
    tokens_raw = raw.pop("tokens", [])
    webhooks = tuple(
        _resolve_env(dict(item), environ, f"webhooks[{i}]")
        for i, item in enumerate(_table_list(raw.pop("webhooks", []), "webhooks"))
    )
    settings = build_dataclass(Settings, raw, "")
    ws = tuple(
        build_dataclass(WebSocketSourceSettings, item, f"sources.websocket[{i}]")
        for i, item in enumerate(_table_list(sources.get("websocket", []), "sources.websocket"))
    )
    rp = tuple(
        build_dataclass(ReplaySourceSettings, item, f"sources.replay[{i}]")
        for i, item in enumerate(_table_list(sources.get("replay", []), "sources.replay"))
    )
    for r in rp:
        if r.speed < 0:
            raise ConfigError("sources.replay.speed must be 0 or more")
    tokens = [
        _resolve_token(build_dataclass(Token, item, f"tokens[{i}]"), environ, f"tokens[{i}]")
        for i, item in enumerate(_table_list(tokens_raw, "tokens"))
    ]
    for role in ROLES:
        value = environ.get(f"ROOMWATCH_{role.upper()}_TOKEN")
        if value:
            tokens.append(Token(token=value, role=role, name=f"env-{role}"))
    generated: list[str] = []
    if generate_missing_tokens:
        have = {t.role for t in tokens}
        for role in ROLES:
            if role not in have:
                tokens.append(Token(token=secrets.token_urlsafe(18), role=role, name=role))
                generated.append(role)
    _validate(settings)
    _check_shared_secrets(tokens)
    return dataclasses.replace(
        settings,
        tokens=tuple(tokens),
        websocket_sources=ws,
        replay_sources=rp,
        generated_roles=tuple(generated),
        webhooks=webhooks,
    )


def _validate(s: Settings) -> None:
    if not 0 <= s.server.port <= 65535:
        raise ConfigError("server.port must be between 0 and 65535")
    if not 0 < s.server.shutdown_timeout_s <= 3600:
        raise ConfigError("server.shutdown_timeout_s must be more than 0 and at most 3600")
    if s.pipeline.batch_max < 1:
        raise ConfigError("pipeline.batch_max must be at least 1")
    if s.pipeline.batch_wait_ms < 0:
        raise ConfigError("pipeline.batch_wait_ms must not be negative")
    if s.pipeline.queue_max < 1:
        raise ConfigError("pipeline.queue_max must be at least 1")
    if s.hub.slow_client not in ("drop_oldest", "disconnect"):
        raise ConfigError("hub.slow_client must be 'drop_oldest' or 'disconnect'")
    if s.server.actions_per_minute < 1:
        raise ConfigError("server.actions_per_minute must be at least 1")
    if s.hub.client_queue < 1:
        raise ConfigError("hub.client_queue must be at least 1")
    _validate_numbers(s)


def _validate_numbers(s: Settings) -> None:
    """Every number in the fixed sections is finite, and sizes and limits positive.

    TOML allows ``nan`` and ``inf``; ``batch_wait_ms = nan`` would pass every
    comparison above and stall the pipeline.
    """
    for section in (s.server, s.pipeline, s.hub, s.recorder, s.limits):
        prefix = _SECTION_NAMES[type(section)]
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            where = f"{prefix}.{f.name}"
            if not math.isfinite(value):
                raise ConfigError(f"{where} must be a finite number, not {value!r}")
            if value < 0 or (value == 0 and f.name in _POSITIVE):
                raise ConfigError(
                    f"{where} must be {'above' if f.name in _POSITIVE else 'at least'} 0"
                )


#: Fields that must be above zero (others may be 0, meaning "off" or "none").
_POSITIVE: Final = frozenset(
    {
        "max_body_bytes",
        "max_records_per_request",
        "connections_per_ip",
        "connections_per_token",
        "client_messages_per_s",
        "client_messages_burst",
        "source_frames_per_s",
        "user_comments_burst",
        "max_bytes",
        "max_age_s",
        "max_buffer_bytes",
        "flush_interval_s",
    }
)
_SECTION_NAMES: Final[dict[type, str]] = {
    ServerSettings: "server",
    PipelineSettings: "pipeline",
    HubSettings: "hub",
    RecorderSettings: "recorder",
    LimitSettings: "limits",
}


def _check_shared_secrets(tokens: Sequence[Token]) -> None:
    """One secret must mean one token: otherwise which role it grants is a guess."""
    seen: dict[str, Token] = {}
    for token in tokens:
        first = seen.setdefault(token.token, token)
        if first is not token:
            raise ConfigError(
                f"the same token secret is configured twice: for {_describe(first)} "
                f"and for {_describe(token)}; give each its own secret"
            )


def _describe(token: Token) -> str:
    return f"role {token.role!r}" + (f" (name {token.name!r})" if token.name else "")


def _resolve_token(token: Token, environ: Mapping[str, str], where: str) -> Token:
    if token.role not in ROLES:
        raise ConfigError(f"{where}.role is {token.role!r}; expected one of {', '.join(ROLES)}")
    secret = token.token
    if secret.startswith("env:"):
        name = secret[4:]
        if name not in environ or not environ[name]:
            raise ConfigError(f"{where}.token names environment variable {name!r}, which is unset")
        secret = environ[name]
    if len(secret) < 8:
        raise ConfigError(f"{where}.token is too short; use at least 8 characters")
    return dataclasses.replace(token, token=secret)


def _resolve_env(item: dict[str, Any], environ: Mapping[str, str], where: str) -> dict[str, Any]:
    """Replace ``"env:NAME"`` in ``url`` and ``secret`` with the variable's value."""
    for key in ("url", "secret"):
        value = item.get(key)
        if isinstance(value, str) and value.startswith("env:"):
            name = value[4:]
            if not environ.get(name):
                raise ConfigError(
                    f"{where}.{key} names environment variable {name!r}, which is unset"
                )
            item[key] = environ[name]
    return item


def _table_list(value: object, where: str) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"{where!r} must be a table or an array of tables")
    return value


def build_dataclass(cls: type[T], raw: object, where: str) -> T:
    """Build the frozen dataclass ``cls`` from ``raw``, strictly.

    Unknown keys, missing required keys and values of the wrong type raise
    :class:`ConfigError` naming the dotted key. Lists become tuples.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where or 'the config'} must be a table")
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    fields = {
        f.name: f
        for f in dataclasses.fields(cls)
        if f.init and not f.metadata.get("internal", False)
    }
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        names = ", ".join(_join(where, k) for k in unknown)
        raise ConfigError(f"unknown key(s): {names}; allowed: {', '.join(sorted(fields))}")
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        kwargs[name] = _coerce(value, hints[name], _join(where, name))
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"missing required key(s): {', '.join(_join(where, m) for m in missing)}")
    return cls(**kwargs)


def _coerce(value: object, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (types.UnionType, typing.Union):
        errors = []
        for arg in args:
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _coerce(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{where} has the wrong type")
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return build_dataclass(hint, value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, not {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {value!r}")
        return value
    if origin in (tuple, list, Sequence) or hint in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be an array, not {value!r}")
        item_hint = args[0] if args else Any
        return tuple(_coerce(v, item_hint, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a table, not {value!r}")
        key_hint, val_hint = args if args else (Any, Any)
        return {
            _coerce(k, key_hint, where): _coerce(v, val_hint, _join(where, str(k)))
            for k, v in value.items()
        }
    raise TypeError(f"unsupported config type {hint!r} at {where}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
