"""HTTP routes of the moderation feature.

* ``POST /moderation/actions`` — the same action messages as the ``stream``
  channel (``{"action": "hide", "room", "ids": [...]}``, ``undo``,
  ``history``). JSON only; a browser ``Origin`` must be ours or allowed;
  ``moderator`` / ``admin`` tokens only. Answers the ack (200) or the error
  with 400 / 403 / 404 / 409 / 429.
* ``GET /moderation/audit.csv`` — the audit log as CSV (``?room=``,
  ``?since=``, ``?until=``, ``?limit=``), ``moderator`` / ``admin``.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from roomwatch.moderation.runtime import ACTING_ROLES
from roomwatch.web.app import state_key
from roomwatch.web.auth import origin_allowed

if TYPE_CHECKING:
    from roomwatch.moderation.runtime import Moderation

__all__ = ["add_routes"]

_STATUS: Final = {
    "bad_request": 400,
    "unknown_action": 400,
    "forbidden": 403,
    "no_room": 403,
    "not_found": 404,
    "rate_limited": 429,
    "unavailable": 503,
}
_MAX_BODY: Final = 64 * 1024


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def add_routes(app: web.Application, moderation: Moderation) -> None:
    async def post_action(request: web.Request) -> web.StreamResponse:
        st = request.app[state_key]
        if not origin_allowed(request, st.settings.server.allowed_origins):
            raise web.HTTPForbidden(text="origin not allowed")
        try:
            token = st.auth.require(request, ACTING_ROLES)
        except web.HTTPForbidden:
            secret = st.auth.secret_of(request)
            known = st.auth.find(secret) if secret else None
            if known is not None:  # audit a known token's refused attempt
                moderation.audit_refused(known, "http", request.path)
            raise
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="send the action as application/json")
        if request.content_length is not None and request.content_length > _MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(
                max_size=_MAX_BODY, actual_size=request.content_length
            )
        try:
            message = json.loads(await request.text())
        except ValueError:
            return _json({"ok": False, "error": "bad_request", "detail": "bad JSON"}, 400)
        if not isinstance(message, dict):
            return _json({"ok": False, "error": "bad_request", "detail": "send a JSON object"}, 400)
        reply = await moderation.act(token, message)
        if reply.get("ok"):
            if moderation.store is not None:
                # Acknowledged means committed: the audit row is written
                # before the answer, so a crash right after can't lose it.
                await moderation.store.flush()
            return _json(reply)
        status = _STATUS.get(str(reply.get("error")), 409)
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(max(1, round(float(reply.get("retry_after", 1)))))
        response = _json(reply, status)
        response.headers.update(headers)
        return response

    async def audit_csv(request: web.Request) -> web.StreamResponse:
        st = request.app[state_key]
        st.auth.require(request, ACTING_ROLES)
        store = moderation.store
        if store is None:
            raise web.HTTPServiceUnavailable(text="the store is not open")
        try:
            since = float(request.query["since"]) if "since" in request.query else None
            until = float(request.query["until"]) if "until" in request.query else None
            limit = int(request.query["limit"]) if "limit" in request.query else None
        except ValueError:
            raise web.HTTPBadRequest(text="since/until must be numbers, limit an integer") from None
        room = request.query.get("room") or None
        buf = io.StringIO(newline="")
        await store.export_audits_csv(buf, room=room, since=since, until=until, limit=limit)
        return web.Response(
            body=buf.getvalue().encode("utf-8"),
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": 'attachment; filename="roomwatch-audit.csv"',
                "Cache-Control": "no-store",
            },
        )

    app.router.add_post("/moderation/actions", post_action)
    app.router.add_get("/moderation/audit.csv", audit_csv)
