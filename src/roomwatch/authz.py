"""The authorisation table: who may use each route, channel and action, in which rooms.

Every handler asks this module; no other module lists roles. ``docs/authorisation.md``
is generated from :data:`TABLE` (``python tools/gen_authz_doc.py``), and
``tests/web/test_authz_table.py`` walks it over a running service with no
token, a wrong token, every wrong role and a wrong room.

Room scope (:data:`SCOPES`):

``none``
    Not about a room (pages, metrics, who-am-I).
``filtered``
    The token sees only its own rooms: channel frames, snapshots and exports
    are filtered; asking for another room is refused.
``room``
    The request names a room (a record's ``room``, an action's ``room`` or
    the room of the alert or decision it acts on), which must be one of the
    token's rooms.

Besides the table: :class:`Authz` finds a token by its secret in constant
time, :class:`Gate` admits actions (table, field lengths, a per-token rate
limit) and :class:`RefusalLog` turns refused attempts into counted audit
rows, so a flood of refused attempts can't grow the audit log.
Sans-I/O: no aiohttp, the clocks are passed in.
"""

from __future__ import annotations

import hmac
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from roomwatch.config import ROLES, Token
from roomwatch.ratelimit import RateLimiter

__all__ = [
    "ACTIONS",
    "MAX_FIELD_CHARS",
    "MAX_ID_CHARS",
    "SCOPES",
    "TABLE",
    "Authz",
    "Gate",
    "Refusal",
    "RefusalLog",
    "Rule",
]

logger = logging.getLogger(__name__)

#: Longest id (queue item, comment, alert, decision) an action may name.
MAX_ID_CHARS: Final = 256
#: Longest other string field of an action (room, user, cursor).
MAX_FIELD_CHARS: Final = 256

SCOPES: Final = {
    "none": "not about a room",
    "filtered": "sees only the token's rooms; asking for another room is refused",
    "room": "the room it names (or acts on) must be one of the token's rooms",
}

_ALL: Final = frozenset(ROLES)
_OPEN: Final = frozenset[str]()


@dataclass(frozen=True, slots=True)
class Rule:
    #: ``route`` (HTTP), ``channel`` (WebSocket hub) or ``action`` (a message
    #: on a channel or ``POST /moderation/actions``).
    kind: str
    #: ``"GET /metrics"``, ``"host"`` (a channel) or ``"host.claim"`` (an action).
    name: str
    #: Roles that may use it; empty means open to anyone, without a token.
    roles: frozenset[str]
    scope: str
    doc: str
    #: A boolean ``[server]`` key that opens it to anyone when true.
    open_if: str = ""


def _r(kind: str, name: str, roles: Iterable[str], scope: str, doc: str, **kw: str) -> Rule:
    return Rule(kind, name, frozenset(roles), scope, doc, **kw)


_HOST_ACTIONS: Final = ("claim", "unclaim", "answer", "dismiss", "pin", "unpin")
_MOD_DECISIONS: Final = ("confirm", "false_positive", "hide", "mute", "ban", "ignore")
_MOD: Final = ("moderator", "admin")

#: Every route, channel and action, with the roles and room scope it needs.
TABLE: Final[tuple[Rule, ...]] = (
    # -- HTTP routes ---------------------------------------------------------
    _r("route", "GET /", _OPEN, "none", "index page; pages carry no secrets"),
    _r("route", "GET /host", _OPEN, "none", "host / helper page; it asks for a token"),
    _r("route", "GET /moderator", _OPEN, "none", "moderator page; it asks for a token"),
    _r("route", "GET /static/{path}", _OPEN, "none", "page scripts and styles"),
    _r(
        "route",
        "GET /healthz",
        _ALL,
        "none",
        "liveness and counters",
        open_if="server.open_metrics",
    ),
    _r(
        "route",
        "GET /metrics",
        _ALL,
        "none",
        "Prometheus metrics (no comment text; only rooms with a `[rooms]` section are named)",
        open_if="server.open_metrics",
    ),
    _r("route", "GET /auth/whoami", _ALL, "none", "the token's role, rooms and channels"),
    _r("route", "POST /ingest", ("ingest", "admin"), "room", "post comment records"),
    _r(
        "route",
        "POST /moderation/actions",
        _MOD,
        "room",
        "the moderation actions below, over HTTP",
    ),
    _r("route", "GET /moderation/audit.csv", _MOD, "filtered", "the audit log as CSV"),
    _r(
        "route",
        "GET /admin/rooms",
        ("admin",),
        "filtered",
        "rooms with a section and their settings (docs/rooms.md)",
    ),
    _r(
        "route",
        "PUT /admin/rooms/{room}",
        ("admin",),
        "room",
        "add or change a room's section at run time",
    ),
    _r(
        "route",
        "DELETE /admin/rooms/{room}",
        ("admin",),
        "room",
        "remove a room's section, its host queue and its alerts",
    ),
    # -- WebSocket channels (GET /ws/{channel}) --------------------------------
    _r("channel", "host", ("host", "helper", "admin"), "filtered", "the ranked question queue"),
    _r(
        "channel",
        "moderator",
        (*_MOD, "comms"),
        "filtered",
        "flagged verdicts (the comms page shows their grievances)",
    ),
    _r("channel", "alerts", ("comms", "moderator", "admin"), "filtered", "public-opinion alerts"),
    _r("channel", "stream", _MOD, "filtered", "the moderator dashboard's live stream"),
    # -- actions ---------------------------------------------------------------
    *(
        _r("action", f"host.{a}", ("helper", "admin"), "room", f"{a} a queue item (host channel)")
        for a in _HOST_ACTIONS
    ),
    _r(
        "action",
        "alerts.ack",
        ("comms", "moderator", "admin"),
        "room",
        "acknowledge an alert (alerts channel)",
    ),
    *(
        _r("action", f"moderation.{a}", _MOD, "room", f"{a} review items (stream channel, HTTP)")
        for a in (*_MOD_DECISIONS, "undo", "history")
    ),
)

_BY_NAME: Final = {rule.name: rule for rule in TABLE}
ACTIONS: Final = tuple(r.name for r in TABLE if r.kind == "action")
CHANNELS: Final = tuple(r.name for r in TABLE if r.kind == "channel")


def rule(name: str) -> Rule:
    return _BY_NAME[name]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why something was refused: ``missing_token``, ``unknown_token``,
    ``forbidden`` (role), ``no_room``, ``rate_limited`` or ``bad_request``."""

    reason: str
    detail: str = ""
    retry_after: float = 0.0


class Authz:
    """The table applied to the configured tokens."""

    def __init__(self, tokens: Sequence[Token], *, open_flags: Mapping[str, bool] | None = None):
        self._tokens = tuple((t.token.encode(), t) for t in tokens)
        self._open = dict(open_flags or {})

    def set_tokens(self, tokens: Sequence[Token]) -> None:
        """Replace the tokens (rooms with their own tokens added or removed at run time)."""
        self._tokens = tuple((t.token.encode(), t) for t in tokens)

    def find(self, secret: str) -> Token | None:
        """The token whose secret is ``secret``, compared in constant time."""
        found = None
        encoded = secret.encode("utf-8", "surrogatepass")
        for stored, token in self._tokens:
            # Check every token, so timing doesn't tell how many there are
            # or which one nearly matched.
            if hmac.compare_digest(stored, encoded):
                found = token
        return found

    def is_open(self, name: str) -> bool:
        r = _BY_NAME[name]
        return not r.roles or bool(r.open_if and self._open.get(r.open_if, False))

    def decide(
        self, token: Token | None, name: str, room: str | None = None, *, missing: bool = True
    ) -> Refusal | None:
        """None if ``token`` may use ``name`` (in ``room``, when given)."""
        r = _BY_NAME[name]
        if self.is_open(name):
            return None
        if token is None:
            return Refusal("missing_token" if missing else "unknown_token")
        if token.role not in r.roles:
            return Refusal("forbidden", f"a {token.role} token can't use {name}")
        if room is not None and r.scope != "none" and not token.allows_room(room):
            return Refusal("no_room", "this token can't see that room")
        return None

    def channels(self, token: Token) -> list[str]:
        return [c for c in CHANNELS if token.role in _BY_NAME[c].roles]

    def actions(self, token: Token) -> list[str]:
        return [a for a in ACTIONS if token.role in _BY_NAME[a].roles]


#: Called with the keyword arguments of ``Store.submit_audit``.
AuditSink = Callable[..., object]


class RefusalLog:
    """Refused attempts as counted audit rows.

    The first refusal of a token for a reason in a wall-clock minute is
    written at once, as it came (action, room, target, cut to
    :data:`MAX_FIELD_CHARS`); the rest of that minute are counted, and one
    ``refused`` row with the count is written when the minute is over (or
    at :meth:`flush`). So a token makes at most two rows per reason per
    minute, however fast it tries. Tokens are configured, so the keys are
    bounded; unknown tokens are never audited (only counted in metrics).
    """

    def __init__(self, sink: AuditSink | None = None) -> None:
        self.sink = sink
        # (actor, role, reason, minute) -> [count beyond the first, first ts, last ts, actions]
        self._pending: dict[tuple[str, str, str, int], list[Any]] = {}

    def note(
        self, token: Token, action: str, reason: str, *, room: str, target: str, now: float
    ) -> None:
        minute = math.floor(now / 60)
        self._write_before(minute)
        key = (token.label, token.role, reason, minute)
        entry = self._pending.get(key)
        if entry is None:
            self._pending[key] = [0, now, now, {}]
            logger.info("refused: %s %s (%s)", token.label, action[:64], reason)
            self._submit(
                ts=now,
                actor=token.label,
                role=token.role,
                action=action[:64] or "-",
                target_kind="refused",
                target_id=target[:MAX_ID_CHARS] or "-",
                room=room[:MAX_FIELD_CHARS] or "-",
                ok=False,
                error=reason,
                detail={"count": 1},
            )
            return
        entry[0] += 1
        entry[2] = now
        actions: dict[str, int] = entry[3]
        name = action[:64] if action[:64] in actions or len(actions) < 20 else "other"
        actions[name] = actions.get(name, 0) + 1

    def tick(self, now: float) -> None:
        """Write the counts of minutes that are over."""
        self._write_before(math.floor(now / 60))

    def flush(self) -> None:
        """Write every pending count (at shutdown)."""
        self._write_before(None)

    def _write_before(self, minute: int | None) -> None:
        if not self._pending:
            return
        done = [k for k in self._pending if minute is None or k[3] < minute]
        for key in done:
            count, first, last, actions = self._pending.pop(key)
            if count == 0:
                continue
            actor, role, reason, m = key
            self._submit(
                ts=last,
                actor=actor,
                role=role,
                action="refused",
                target_kind="refused",
                target_id=actor,
                room="-",
                ok=False,
                error=reason,
                detail={
                    "count": count,
                    "minute": datetime.fromtimestamp(m * 60, UTC).strftime("%Y-%m-%dT%H:%MZ"),
                    "first_ts": first,
                    "last_ts": last,
                    "actions": actions,
                },
            )

    def _submit(self, **row: Any) -> None:
        if self.sink is not None:
            try:
                self.sink(**row)
            except Exception:
                logger.exception("refusal not audited")


class Gate:
    """Admits one action: the table, field lengths and a per-token rate limit.

    Every refusal goes to the :class:`RefusalLog`. Each action family
    (``host``, ``alerts``, ``moderation``) has its own token bucket per
    token, ``per_minute`` actions a minute, bursting up to that.
    """

    def __init__(
        self,
        authz: Authz,
        refusals: RefusalLog,
        *,
        per_minute: int = 120,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.authz = authz
        self.refusals = refusals
        self._per_minute = per_minute
        self._limiters: dict[str, RateLimiter] = {}
        self._monotonic = monotonic
        self._clock = clock

    def set_rate(self, family: str, per_minute: int) -> None:
        self._limiters[family] = RateLimiter(per_minute)

    def limiter(self, family: str) -> RateLimiter:
        lim = self._limiters.get(family)
        if lim is None:
            lim = self._limiters[family] = RateLimiter(self._per_minute)
        return lim

    def admit(
        self,
        token: Token,
        name: str,
        *,
        room: str | None = None,
        target: str = "",
        ids: Sequence[str] = (),
        fields: Mapping[str, object] | None = None,
    ) -> Refusal | None:
        """None if ``token`` may do action ``name`` now; otherwise the refusal (noted).

        ``room`` None skips the room check (for actions whose room is known
        only after a look-up: call :meth:`admit_room` then).
        """
        action = _audit_name(name)
        refusal = _lengths(room, target, ids, fields)
        if refusal is None:
            refusal = self.authz.decide(token, name, room)
        if refusal is None:
            lim = self.limiter(name.split(".", 1)[0])
            if not lim.allow(token.label, self._monotonic()):
                refusal = Refusal(
                    "rate_limited", retry_after=round(lim.retry_after(token.label), 2)
                )
        if refusal is not None:
            self.refuse(token, action, refusal, room=room or "", target=target)
        return refusal

    def admit_room(self, token: Token, name: str, room: str, *, target: str = "") -> Refusal | None:
        refusal = self.authz.decide(token, name, room)
        if refusal is not None:
            self.refuse(token, _audit_name(name), refusal, room=room, target=target)
        return refusal

    def refuse(
        self, token: Token, action: str, refusal: Refusal, *, room: str = "", target: str = ""
    ) -> None:
        self.refusals.note(
            token, action, refusal.reason, room=room, target=target, now=self._clock()
        )


def _audit_name(name: str) -> str:
    """The action an audit row names, as the allowed ones do: moderation's
    decisions keep their family (``moderation.ban``); the host and alerts
    channels' are bare (``claim``, ``ack``)."""
    return name if name.startswith("moderation.") else name.split(".", 1)[-1]


def _lengths(
    room: str | None, target: str, ids: Sequence[str], fields: Mapping[str, object] | None
) -> Refusal | None:
    if room is not None and len(room) > MAX_FIELD_CHARS:
        return Refusal("bad_request", f"room is longer than {MAX_FIELD_CHARS} characters")
    if len(target) > MAX_ID_CHARS or any(len(i) > MAX_ID_CHARS for i in ids):
        return Refusal("bad_request", f"ids are at most {MAX_ID_CHARS} characters")
    for key, value in (fields or {}).items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            return Refusal("bad_request", f"{key} is longer than {MAX_FIELD_CHARS} characters")
    return None


_KIND_TITLES: Final = {
    "route": "HTTP routes",
    "channel": "WebSocket channels (`GET /ws/{channel}`)",
    "action": "Actions",
}


def render_markdown() -> str:
    """``docs/authorisation.md``, from :data:`TABLE` (``python tools/gen_authz_doc.py``)."""
    parts = [
        "# Authorisation\n",
        "Who may use each route, channel and action, and in which rooms. Generated from\n"
        "`roomwatch.authz.TABLE` by `python tools/gen_authz_doc.py`; every handler asks\n"
        "that table, and `tests/web/test_authz_table.py` walks it over a running service\n"
        "(no token, a wrong token, every wrong role, a wrong room: refused; the right\n"
        "role: allowed).\n",
        "A token is sent as `Authorization: Bearer <token>` or `?token=` (browsers'\n"
        "WebSocket API can't set headers). Secrets are compared in constant time\n"
        "(`hmac.compare_digest`, against every configured token) and never logged:\n"
        "logs and audit rows name a token by its `name` (or role and a hash prefix).\n"
        "No token: 401. An unknown token, a role not listed or a room the token can't\n"
        "see: 403. A secret configured twice is a config error.\n",
        "Room scope:\n",
        *(f"- `{k}`: {v}" for k, v in SCOPES.items()),
        "",
        "Actions are also checked for field lengths (ids at most "
        f"{MAX_ID_CHARS} characters, other strings at most {MAX_FIELD_CHARS}) and\n"
        "rate-limited per token and family (`host`, `alerts`: `server.actions_per_minute`;\n"
        "`moderation`: `moderation.actions_per_minute`). A refused attempt is audited\n"
        "once per token, reason and minute as it came, and the rest of that minute as\n"
        "one `refused` row with a `count`, so refusals can't grow the audit log.\n"
        "A refused row names its action as an allowed one does: `moderation.ban`,\n"
        "`moderation.history` ...; on the host and alerts channels the bare action\n"
        "(`claim`, `ack`); `http` for a `POST /moderation/actions` refused before its\n"
        "body was read (no token, a wrong role or origin).\n",
        "Browsers: a request with an `Origin` header (WebSocket upgrades,\n"
        "`POST /ingest` and `POST /moderation/actions`) must come from\n"
        "`server.allowed_origins`, or when\n"
        "that is empty from the server's own configured address. The `Host` header is\n"
        "never trusted.\n",
    ]
    for kind, title in _KIND_TITLES.items():
        parts.append(f"## {title}\n")
        parts.append("| name | roles | room scope | what |")
        parts.append("|---|---|---|---|")
        for r in TABLE:
            if r.kind != kind:
                continue
            roles = ", ".join(sorted(r.roles)) if r.roles else "anyone (no token)"
            if r.open_if:
                roles += f"; anyone when `{r.open_if} = true` (the default)"
            parts.append(f"| `{r.name}` | {roles} | `{r.scope}` | {r.doc} |")
        parts.append("")
    return "\n".join(parts)
