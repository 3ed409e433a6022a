"""The config sections roomwatch owns, as frozen dataclasses.

Each field is one key: its ``#:`` comment is the documentation
(``tools/gen_config_doc.py`` copies it to docs/config.md), its type hint the
schema (bounds from :mod:`.types`), its default the default. The sections
whose dataclass lives elsewhere (``[queue]``, ``[alerts]``) get their bounds
from :mod:`.rules`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

from msgspec import Meta

from roomwatch.config.types import (
    NonBlank,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
)
from roomwatch.core.mapping import FieldMap

__all__ = [
    "ROLES",
    "BilibiliSourceSettings",
    "HubSettings",
    "LimitSettings",
    "ModelSettings",
    "PipelineSettings",
    "RecorderSettings",
    "ReplaySourceSettings",
    "RoomSettings",
    "RoomToken",
    "ServerSettings",
    "Sources",
    "StoreSettings",
    "Token",
    "WebSocketSourceSettings",
    "WebhookSettings",
]

#: Roles a token can carry. ``ingest`` may only post comments.
ROLES: Final = ("host", "helper", "moderator", "comms", "admin", "ingest")
#: A value never echoed in an error message (it may hold a secret).
_SECRET: Final = {"secret": True}
#: ... and may be written "env:NAME" to read it from the environment.
_SECRET_ENV: Final = {"secret": True, "env": True}
#: Left out of the config digest that verdicts carry: it changes no verdict.
_UNHASHED: Final = {"unhashed": True}
#: In the digest only when set (a key added later: old digests stay as they were).
_HASHED_IF_SET: Final = {"hashed_if_set": True}


@dataclass(frozen=True, slots=True)
class ServerSettings:
    #: Address to listen on. Keep 127.0.0.1 unless a proxy guards the port.
    host: str = "127.0.0.1"
    #: TCP port for the pages, WebSocket hub, ingest, /metrics and /healthz.
    port: Annotated[int, Meta(ge=0, le=65535)] = 8686
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
    actions_per_minute: PositiveInt = 120
    #: Largest HTTP ingest body, in bytes, chunked or not (413 past it).
    #: Every limit: docs/limits.md.
    max_body_bytes: PositiveInt = 16 * 1024 * 1024
    #: On SIGTERM/SIGINT, the longest `serve` takes to stop: in-flight
    #: requests and batches finish, the recorder and SQLite are flushed and
    #: clients get GOING_AWAY (1001), then it exits 0. A step that overruns
    #: its share is cut short and logged; if the process is still there 5 s
    #: past the bound, it exits with status 70. A second signal exits at once.
    shutdown_timeout_s: Annotated[float, Meta(gt=0, le=3600)] = 10.0


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    #: Most comments the CPU-heavy stages take in one batch (`replay --speed 0`
    #: takes 2048 if that is more, `classify` its `--batch`: nothing waits there).
    batch_max: PositiveInt = 512
    #: Longest a comment waits for its batch to fill, in milliseconds.
    batch_wait_ms: NonNegativeFloat = 5.0
    #: Child processes that normalise, segment and classify. 0: a thread of
    #: the serving process does it (one core for everything). 1 or more: that
    #: many child processes, each loading the model once (RSS grows by about
    #: 200 MB each), while the event loop keeps its own core; verdicts are the
    #: same, in the same order. See docs/architecture.md.
    analysis_processes: NonNegativeInt = field(default=0, metadata=_UNHASHED)
    #: Comments buffered between the sources and the stages. When full,
    #: sources wait (backpressure) rather than drop.
    queue_max: PositiveInt = 4096
    #: At least this many recent (room, id) pairs (at most twice as many) are
    #: remembered, so a repeated id among them is dropped as a duplicate.
    dedupe_window: NonNegativeInt = 200_000
    #: A live record whose `ts` is more than this many seconds ahead of its
    #: receive time (the wall clock, or its room's record time if later) is
    #: rejected (`ts_out_of_range`).
    ts_max_future_s: NonNegativeFloat = 300.0
    #: A live record whose `ts` is more than this many seconds behind its
    #: room's record time is rejected (`ts_out_of_range`). A room's first
    #: record with a `ts` has no lower bound, so old recordings can still be
    #: posted (also after a record without `ts`, which starts no room time).
    ts_max_past_s: NonNegativeFloat = 7 * 86400.0
    #: In a replay the receive time is the record time: a record more than
    #: this many seconds after the newest earlier one of its file is rejected
    #: (`ts_out_of_range`), unless the next record confirms the jump.
    replay_max_gap_s: NonNegativeFloat = 86400.0
    #: When a room's live verdicts have an end-to-end lag (exit from the
    #: pipeline minus the record's ts) above this many seconds three times in
    #: a row, a `system` alert (key "lag:<room>") opens; three in a row under
    #: half of it resolve it. 0 turns the alert off. Replays carry no lag; records
    #: more than 6 hours old (an old recording posted to /ingest) are a backfill
    #: and leave the alert alone (their lag is still in the metric).
    lag_alert_s: NonNegativeFloat = field(default=60.0, metadata=_UNHASHED)
    #: Rooms with a [rooms] section that get their own label on
    #: roomwatch_verdict_lag_seconds, first come first served; later rooms, and
    #: rooms with no section, are counted under "other".
    lag_metric_rooms: PositiveInt = field(default=64, metadata=_UNHASHED)
    #: Overload degrade mode (serve only; offline commands never shed): while
    #: the pipeline is behind, typed comments with no question, grievance,
    #: abuse or spam cue skip segmentation and the model, and chatter (but a
    #: sample) reaches the stages as per-room counts instead of verdicts
    #: (counted as shed). See docs/reliability.md.
    overload_degrade: bool = field(default=True, metadata=_UNHASHED)
    #: Degrade mode starts when the oldest comment of a batch has waited this
    #: many seconds in the queue (the injected monotonic clock)...
    overload_enter_wait_s: PositiveFloat = field(default=1.0, metadata=_UNHASHED)
    #: ...or when this many comments are queued (0: only the wait counts).
    #: When the queue is full, sources wait (backpressure), so the queue's
    #: depth, not its wait, is what shows a sustained overload.
    overload_enter_queued: NonNegativeInt = field(default=3072, metadata=_UNHASHED)
    #: Degrade mode ends once the wait has stayed under this (and the queue
    #: under half of `overload_enter_queued`) for `overload_hold_s` seconds.
    overload_leave_wait_s: NonNegativeFloat = field(default=0.25, metadata=_UNHASHED)
    #: See `overload_leave_wait_s` (hysteresis, so a lull doesn't flap the mode).
    overload_hold_s: NonNegativeFloat = field(default=10.0, metadata=_UNHASHED)
    #: An n-gram whose weight for question, grievance, abuse or spam, less
    #: its weight for chatter, is at least this is a cue (lower: fewer comments
    #: shed, safer; the model's own evidence threshold is 0.2).
    overload_cue_weight: PositiveFloat = field(default=0.2, metadata=_UNHASHED)
    #: In degrade mode one chatter verdict in this many still goes to the
    #: stages and clients (a sample of the room's chatter); 1 sends them all.
    #: In deep degrade mode, one in this many comments whose only evidence is
    #: an n-gram leaning under 1.0 is analysed; the rest are shed.
    overload_sample_every: PositiveInt = field(default=10, metadata=_UNHASHED)
    #: Degrade mode goes deep when the backlog is still over the threshold
    #: after this many seconds in it (0: never deep). See docs/reliability.md.
    overload_deep_after_s: NonNegativeFloat = field(default=3.0, metadata=_UNHASHED)
    #: In degrade mode chatter with a sentiment at or under this still goes
    #: to the stages and clients (strongly negative chatter: moderators see
    #: it). Shed chatter's sentiment still counts in the mood and alerts.
    overload_keep_sentiment: float = field(default=-0.8, metadata=_UNHASHED)


@dataclass(frozen=True, slots=True)
class HubSettings:
    #: Messages buffered for each WebSocket client.
    client_queue: PositiveInt = 1000
    #: What happens to a client whose buffer is full: "drop_oldest" keeps the
    #: connection and loses its oldest messages; "disconnect" closes it.
    slow_client: Literal["drop_oldest", "disconnect"] = "drop_oldest"
    #: Messages each channel keeps so a reconnecting client can resume.
    resume_buffer: NonNegativeInt = 5000
    #: Recent flagged verdicts sent to a moderator client on connect.
    moderator_backlog: NonNegativeInt = 200


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
    url: str = field(metadata=_SECRET)
    #: A name for metrics and logs; defaults to "websocket".
    name: str = "websocket"
    #: Extra HTTP headers for the upstream handshake (e.g. authorization).
    headers: Mapping[str, str] = field(default_factory=dict, metadata=_SECRET)
    #: First reconnect delay in seconds; doubles up to ``backoff_max_s``.
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    #: The upstream is a fetcher with its own JSON shape: a shipped field map
    #: by name ("dycast", "douyin-barragegrab", "bilibili-cmd"; see
    #: docs/mappings.md) or the path of a TOML file holding one. Empty: the
    #: upstream sends comment records.
    mapping: str = field(default="", metadata=_HASHED_IF_SET)
    #: An inline field map (``[sources.websocket.field_map]``), used instead
    #: of ``mapping``; its keys are those of a mapping file (docs/mappings.md).
    field_map: FieldMap | None = field(default=None, metadata=_HASHED_IF_SET)
    #: The room of mapped messages that name none (a fetcher watching one
    #: room often leaves it out); overrides the map's own ``room``.
    room: str = field(default="", metadata=_HASHED_IF_SET)


@dataclass(frozen=True, slots=True)
class BilibiliSourceSettings:
    """One ``[[sources.bilibili]]`` table: a Bilibili live room's danmaku feed (docs/sources.md)."""

    #: The room's id: the real (long) one, or a short (vanity) one such as
    #: 1 from live.bilibili.com/1, resolved through `api_url` when the source
    #: starts (see `resolve_room`).
    room_id: Annotated[int, Meta(ge=1)]
    #: The `room` of the records; empty means "bilibili-" and the room id.
    room: str = ""
    #: A name for metrics, logs and /healthz; empty means "bilibili-" and the room id.
    name: str = ""
    #: The danmaku server's WebSocket address: the one used without `api_url`,
    #: or when the API's host list can't be had. Its scheme (ws or wss) and
    #: path also shape the addresses of the API's hosts.
    url: str = "wss://broadcastlv.chat.bilibili.com/sub"
    #: The live HTTP API's base URL. Before each connection the source asks it
    #: for the room's danmaku hosts and a fresh key (keys expire), rotating to
    #: the next host when one fails; if the API fails, `url` and `key` are
    #: used. Empty: no API calls at all (`room_id` must then be the long id).
    api_url: str = field(default="https://api.live.bilibili.com", metadata=_UNHASHED)
    #: Resolve `room_id` through the API (`room_init`) once, when the source
    #: starts; retried with the reconnect backoff until it succeeds. Only
    #: needed for short ids, but harmless for long ones.
    resolve_room: bool = field(default=True, metadata=_UNHASHED)
    #: Seconds an API call may take.
    api_timeout_s: PositiveFloat = field(default=10.0, metadata=_UNHASHED)
    #: The logged-in account's uid sent when entering the room (0: anonymous).
    uid: NonNegativeInt = 0
    #: The auth key (the "token" of the room's danmaku info for a logged-in
    #: account). With `api_url` set, each connection fetches a fresh one and
    #: this is the fallback, or, with a uid but no `cookie`, the key used (the
    #: API's would be an anonymous visitor's). Without uid and key the server
    #: masks senders: docs/sources.md says which fields. May be "env:VAR".
    key: str = field(default="", metadata=_SECRET_ENV)
    #: The logged-in browser's buvid cookie, sent with the key; may be "env:VAR".
    buvid: str = field(default="", metadata=_SECRET_ENV)
    #: The logged-in browser's Cookie header (SESSDATA=...; buvid3=...) sent
    #: to the API, so that the key it hands out belongs to `uid`; may be "env:VAR".
    cookie: str = field(default="", metadata={**_SECRET_ENV, **_UNHASHED})
    #: Seconds between heartbeats. A heartbeat with no reply by the next one
    #: counts as a dead connection: the source reconnects.
    heartbeat_s: PositiveFloat = 30.0
    #: Seconds to wait for the enter-room reply before reconnecting.
    auth_timeout_s: PositiveFloat = 10.0
    #: A feed without data for this many seconds (reconnecting) raises a
    #: `system` alert, resolved when data flows again.
    gap_alert_s: PositiveFloat = 60.0
    #: First reconnect delay in seconds; doubles up to ``backoff_max_s``.
    backoff_initial_s: NonNegativeFloat = 0.5
    backoff_max_s: NonNegativeFloat = 30.0

    @property
    def room_name(self) -> str:
        return self.room or f"bilibili-{self.room_id}"

    @property
    def source_name(self) -> str:
        return self.name or f"bilibili-{self.room_id}"


@dataclass(frozen=True, slots=True)
class ReplaySourceSettings:
    #: Recordings to replay, in order (JSONL, .gz, or importer formats).
    paths: tuple[str, ...]
    name: str = "replay"
    #: 1 keeps the original timing, 10 runs ten times faster, 0 is flat out.
    speed: NonNegativeFloat = 1.0
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
    flush_interval_s: PositiveFloat = 1.0
    #: Start a new file once the current one holds this many bytes ...
    max_bytes: PositiveInt = 256 * 1024 * 1024
    #: ... or is this many seconds old. Closed files are gzip-compressed.
    max_age_s: PositiveFloat = 3600.0
    #: Most bytes held in memory while the disk can't keep up; past it,
    #: records are dropped and counted.
    max_buffer_bytes: PositiveInt = 64 * 1024 * 1024
    #: fsync after every flush (slower; survives power loss, not just crashes).
    fsync: bool = False
    #: Most recording files held open at once. A room beyond it keeps its
    #: file, which is closed and opened again (appending) when it is written
    #: next, least recently written first. Lowered at start-up to a quarter
    #: of the process's file-descriptor limit if that is smaller.
    max_open_files: NonNegativeInt = 256


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """Limits on what one client, connection or user may send (docs/limits.md)."""

    #: Most records one POST /ingest may hold (413 past it, nothing accepted).
    max_records_per_request: PositiveInt = 10_000
    #: Most WebSocket clients (/ws/*) open at once from one IP address (429).
    connections_per_ip: PositiveInt = 64
    #: Most WebSocket clients open at once with one token (429).
    connections_per_token: PositiveInt = 32
    #: Messages a client may send on /ws/* per second, sustained, and in a
    #: burst; past it the connection is closed with 1008 (policy violation).
    client_messages_per_s: PositiveFloat = 20.0
    client_messages_burst: PositiveInt = 60
    #: Frames a WebSocket source reads per second at most; past it the source
    #: reads no faster (the upstream is slowed by TCP, nothing is lost).
    source_frames_per_s: PositiveFloat = 2_000.0
    #: Comments one user may post in one room per second, sustained, and in a
    #: burst (by the records' ts). Excess comments are recorded but shed from
    #: analysis, counted; 0 turns flood control off.
    user_comments_per_s: NonNegativeFloat = 1.0
    user_comments_burst: PositiveInt = 20
    #: Open review items kept across all rooms (each room also keeps at most
    #: moderation.queue_max). Past it the least recently active room loses its
    #: oldest item: counted, and the dashboards are told.
    max_review_items: PositiveInt = field(default=20_000, metadata=_UNHASHED)
    #: Flagged verdicts kept for moderators who connect, across all rooms
    #: (each room also keeps at most hub.moderator_backlog). Past it the least
    #: recently active room loses its oldest, counted.
    max_moderator_backlog: PositiveInt = field(default=20_000, metadata=_UNHASHED)
    #: Rooms with a live rate, mood and mood chart (moderation) at once. Past
    #: it the least recently active room's chart is forgotten, counted.
    max_stats_rooms: PositiveInt = field(default=2_000, metadata=_UNHASHED)


@dataclass(frozen=True, slots=True)
class RoomToken:
    """A login token that sees only its room (``[[rooms."<room>".tokens]]``)."""

    #: The secret, or "env:NAME" to read it from that environment variable.
    token: str = field(repr=False, metadata={"env": True})
    #: host, helper, moderator, comms, admin or ingest (docs/authorisation.md).
    role: str
    #: Shown in audits and logs instead of the secret.
    name: str = ""


@dataclass(frozen=True, slots=True)
class RoomSettings:
    """One room's own settings (``[rooms."<room>"]``; docs/rooms.md).

    Terms are written in their normalised spelling (傻逼, not 煞笔; simplified
    characters, lower case): they match on jieba token boundaries like the
    shipped lexicons and are evidence for the model, not blind overrides.
    ``queue`` and ``alerts`` hold only the keys this room changes; every
    other key is the global ``[queue]`` / ``[alerts]`` one.
    """

    #: A display title (GET /admin/rooms shows it; never a metric label).
    title: str = field(default="", metadata=_UNHASHED)
    #: Free labels for people and tools (e.g. "livecommerce", "apples").
    tags: tuple[NonBlank, ...] = field(default=(), metadata=_UNHASHED)
    #: Extra insults for this room (e.g. a nickname used to attack the host).
    block_abuse: tuple[str, ...] = ()
    #: Extra ad / traffic-stealing terms (e.g. a rival room's name).
    block_spam: tuple[str, ...] = ()
    #: Terms never to count as abuse or spam here (a product called 大麻花).
    allow: tuple[str, ...] = ()
    #: Extra question terms for this room (question evidence, like the
    #: shipped question list), e.g. its own way of asking for a link.
    question_terms: tuple[NonBlank, ...] = field(default=(), metadata=_HASHED_IF_SET)
    #: The room's product names: a question naming one gets a `product`
    #: slot in the host queue, so questions about two products never fold.
    products: tuple[NonBlank, ...] = field(default=(), metadata=_HASHED_IF_SET)
    #: Keys of `[queue]` this room sets differently (e.g. window_s, max_items).
    queue: Mapping[str, Any] = field(default_factory=dict, metadata=_HASHED_IF_SET)
    #: Keys of `[alerts]` this room sets differently (e.g. negative_min_count,
    #: watch_terms).
    alerts: Mapping[str, Any] = field(default_factory=dict, metadata=_HASHED_IF_SET)
    #: Labels that wait in this room's review queue, instead of
    #: `[moderation]` review_labels (e.g. ["abuse"] where ads are welcome);
    #: empty: the global ones.
    review_labels: tuple[Literal["abuse", "spam"], ...] = field(default=(), metadata=_UNHASHED)
    #: Open review items kept for this room, instead of `[moderation]`
    #: queue_max (0: the global one).
    review_max: NonNegativeInt = field(default=0, metadata=_UNHASHED)
    #: Tokens that see only this room (`[[rooms."<room>".tokens]]`: token,
    #: role, name); they join `[[tokens]]`.
    tokens: tuple[RoomToken, ...] = field(default=(), metadata=_UNHASHED)


@dataclass(frozen=True, slots=True)
class Token:
    """A login token: a secret, the role it grants and the rooms it may see."""

    #: The secret itself, or "env:NAME" to read it from that environment variable.
    token: str = field(repr=False, metadata={"env": True})
    #: What the token may do: host, helper, moderator, comms, admin or ingest
    #: (docs/authorisation.md).
    role: str
    #: Shown in audits and logs instead of the secret.
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
class Sources:
    """``[sources]``: where comments come from besides ``POST /ingest``."""

    websocket: tuple[WebSocketSourceSettings, ...] = ()
    replay: tuple[ReplaySourceSettings, ...] = ()
    bilibili: tuple[BilibiliSourceSettings, ...] = ()


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """One ``[[webhooks]]`` table: where alert events are posted.

    The fields are those of :class:`roomwatch.sinks.webhook.WebhookTarget`,
    which is built from this (``WebhookTarget(**dataclasses.asdict(w))``);
    the sink is not imported here so that loading config loads no aiohttp.
    """

    #: A unique name; it labels this target's delivery metrics.
    name: NonBlank
    #: The bot's webhook URL (http or https); may be "env:VAR".
    url: str = field(metadata=_SECRET_ENV)
    #: Body format: json, feishu, dingtalk, wecom or slack.
    format: Literal["json", "feishu", "dingtalk", "wecom", "slack"] = "json"
    #: "rich" (cards, markdown) or "text" (plain text).
    style: Literal["rich", "text"] = "rich"
    #: Least severity delivered: info, warning or critical.
    min_severity: Literal["info", "warning", "critical"] = "warning"
    #: Only these rooms (``None``: every room).
    rooms: frozenset[str] | None = None
    #: Only these detectors (``None``: every one). A comms chat may want the
    #: incidents (negative_spike, grievance_topic, abuse_raid, watchlist,
    #: volume_surge) and leave the operators' ones (volume_drop: a feed gone
    #: quiet or ended; system: roomwatch itself) to another target.
    # (core.alerts.DETECTORS spelt again: importing the alerts package here
    # would load it for every command, `classify` too; a test keeps them equal.)
    detectors: (
        frozenset[
            Literal[
                "negative_spike",
                "grievance_topic",
                "abuse_raid",
                "watchlist",
                "volume_drop",
                "volume_surge",
                "system",
            ]
        ]
        | None
    ) = None
    #: Signing secret (Feishu, DingTalk signed mode, or an HMAC header for json); may be "env:VAR".
    secret: str | None = field(default=None, metadata=_SECRET_ENV)
    #: Event kinds delivered. ``update`` events are sent only when they
    #: escalate severity, unless ``all_updates`` is set.
    kinds: frozenset[Literal["open", "update", "resolve", "ack"]] = frozenset(
        {"open", "update", "resolve"}
    )
    all_updates: bool = False
    #: Seconds before one delivery attempt gives up.
    timeout_seconds: PositiveFloat = 10.0
    #: Events held for this target; when full the oldest is dropped and counted.
    queue_size: PositiveInt = 256
    #: A page the message links to, e.g. the comms view (https://rw.example.com/moderator);
    #: empty: none.
    link: str = ""
