"""The aiohttp application: pages, the WebSocket hub, ingest, metrics, health.

Routes:

* ``GET /healthz`` — liveness and a few counters, JSON.
* ``GET /metrics`` — Prometheus text format.
* ``GET /auth/whoami`` — the token's role, rooms, channels and actions (the
  pages ask it to tell a refused token from a server that is down).
* ``POST /ingest`` — the ``http`` source: one record, a JSON array or NDJSON.
  Answers ``{"accepted", "rejected", "duplicates", "shed", "errors": [...]}``
  (see :mod:`roomwatch.web.ingest`).
* ``GET /ws/{channel}`` — WebSocket hub (``host``, ``moderator``, ``alerts``);
  ``?token=`` (or a bearer header), ``?rooms=a,b`` and ``?since=SEQ``.
* ``GET /``, ``/host``, ``/moderator`` — the pages, static files under
  ``/static/``. Pages carry no secrets; they read the token from the URL
  fragment or query and open the WebSocket with it.

Who may use what is :data:`roomwatch.authz.TABLE` (``docs/authorisation.md``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from roomwatch.authz import Refusal
from roomwatch.sinks.hub import CHANNELS
from roomwatch.version import __version__
from roomwatch.web.auth import http_error, require_origin
from roomwatch.web.ingest import handle_ingest
from roomwatch.web.limits import ConnectionLimiter
from roomwatch.web.refusals import json_refusals
from roomwatch.web.state import AppState, state_key

__all__ = ["STATIC_DIR", "create_app"]

STATIC_DIR: Final = Path(__file__).parent / "static"

#: Content-Security-Policy for every response: no inline script, no
#: third-party origin, nothing to frame us.
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


limiter_key: Final = web.AppKey("ws_limiter", ConnectionLimiter)


def create_app(state: AppState) -> web.Application:
    app = web.Application(
        client_max_size=state.settings.server.max_body_bytes,
    )
    # A signal, not a middleware: it also sees the error responses (401, 403,
    # 404, 413, ...) that aiohttp builds from exceptions.
    app.on_response_prepare.append(_security_headers)
    app[state_key] = state
    limits = state.settings.limits
    app[limiter_key] = ConnectionLimiter(
        limits.connections_per_ip, limits.connections_per_token, state.metrics
    )
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/auth/whoami", whoami)
    app.router.add_post("/ingest", json_refusals(ingest))
    app.router.add_get("/ws/{channel}", websocket)
    app.router.add_get("/", _page("index.html"))
    app.router.add_get("/host", _page("host.html"))
    app.router.add_get("/moderator", _page("moderator.html"))
    app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)
    return app


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Page URLs may carry a token; never leak it in a Referer.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")


def _page(name: str) -> Any:
    path = STATIC_DIR / name

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return handler


async def healthz(request: web.Request) -> web.Response:
    st = request.app[state_key]
    st.auth.require(request, "GET /healthz")
    body: dict[str, object] = {
        # "degraded": a source died and is being restarted, or gave up.
        "status": "degraded" if st.source_health.degraded else "ok",
        "version": __version__,
        "model": st.model_version,
        "uptime_s": round(time.monotonic() - st.started, 3),
        "processed": st.pipeline.processed,
        "clients": {ch: st.hub.clients(ch) for ch in CHANNELS},
        "sources": st.source_health.to_dict(),
    }
    if st.pipeline.degraded:
        # Overload degrade mode: cue-less chatter is being shed (docs/reliability.md).
        body["status"] = "degraded"
        body["degraded"] = "overload"
    return web.json_response(body)


async def metrics(request: web.Request) -> web.Response:
    st = request.app[state_key]
    st.auth.require(request, "GET /metrics")
    payload = generate_latest(st.metrics.registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def whoami(request: web.Request) -> web.Response:
    st = request.app[state_key]
    token = st.auth.require(request, "GET /auth/whoami")
    assert token is not None
    return web.json_response(
        {
            "role": token.role,
            "user": token.label,
            "rooms": list(token.rooms),
            "channels": st.auth.authz.channels(token),
            "actions": st.auth.authz.actions(token),
        },
        headers={"Cache-Control": "no-store"},
        dumps=_dumps,
    )


async def ingest(request: web.Request) -> web.Response:
    """The ``http`` source: accept records and say what happened to each."""
    st = request.app[state_key]
    token = st.auth.require(request, "POST /ingest")
    assert token is not None
    return await handle_ingest(request, st, token)


async def websocket(request: web.Request) -> web.StreamResponse:
    st = request.app[state_key]
    channel = request.match_info["channel"]
    if channel not in CHANNELS:
        raise web.HTTPNotFound(text=f"no channel {channel!r}; channels: {', '.join(CHANNELS)}")
    require_origin(
        request,
        st.settings.server,
        refused=lambda: st.metrics.hub_refused.labels(channel, "origin").inc(),
    )
    rooms_arg = request.query.get("rooms", "").strip()
    rooms = frozenset(r for r in rooms_arg.split(",") if r) if rooms_arg else None
    token, refusal = st.auth.check(request, channel)
    if refusal is None and token is not None and rooms is not None:
        # Asking for a room the token can't see is refused, not silently
        # narrowed, so the client knows (and hello never names it).
        for room in sorted(rooms):
            refusal = st.auth.authz.decide(token, channel, room)
            if refusal is not None:
                break
    if refusal is not None or token is None:
        reason = refusal.reason if refusal is not None else "missing_token"
        st.metrics.hub_refused.labels(
            channel, "missing_token" if reason == "missing_token" else "forbidden"
        ).inc()
        raise http_error(request, refusal or Refusal("missing_token"))
    since_arg = request.query.get("since")
    since = None
    if since_arg is not None:
        try:
            since = int(since_arg)
        except ValueError:
            raise web.HTTPBadRequest(text="since must be an integer sequence number") from None
    # Counted only once the token is known: refusals above don't use a slot.
    lease = request.app[limiter_key].acquire(request.remote or "", token.label)
    try:
        epoch = request.query.get("epoch")
        return await st.hub.serve(request, channel, token, rooms=rooms, since=since, epoch=epoch)
    finally:
        lease.release()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
