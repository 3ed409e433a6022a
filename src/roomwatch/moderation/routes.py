"""HTTP routes of the moderation feature.

* ``POST /moderation/actions`` — the same action messages as the ``stream``
  channel (``{"action": "hide", "room", "ids": [...]}``, ``undo``,
  ``history``). JSON only; a browser ``Origin`` must be allowed
  (``server.allowed_origins``). Answers the ack (200) or the error with
  400 / 403 / 404 / 409 / 429.
* ``GET /moderation/audit.csv`` — the audit log as CSV (``?room=``,
  ``?since=``, ``?until=``, ``?limit=``). A token limited to some rooms gets
  only those rooms' rows; ``?room=`` naming another room is refused (403).

Roles and room scope: :data:`roomwatch.authz.TABLE`.
"""

from __future__ import annotations

import io
import json
import logging
from typing import TYPE_CHECKING, Final

from aiohttp import web

from roomwatch.web.auth import http_error, require_origin
from roomwatch.web.limits import read_body
from roomwatch.web.refusals import json_body as _json
from roomwatch.web.refusals import json_refusals
from roomwatch.web.state import state_key

if TYPE_CHECKING:
    from roomwatch.moderation.runtime import Moderation

logger = logging.getLogger(__name__)

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


def add_routes(app: web.Application, moderation: Moderation) -> None:
    async def post_action(request: web.Request) -> web.StreamResponse:
        st = request.app[state_key]
        require_origin(request, st.settings.server)
        token, refusal = st.auth.check(request, "POST /moderation/actions")
        if refusal is not None:
            if token is not None:  # count a known token's refused attempt
                moderation.audit_refused(token, "http", request.path)
            raise http_error(request, refusal)
        assert token is not None
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="send the action as application/json")
        # Counted as it arrives, so a chunked body (no Content-Length) is
        # held to the cap too.
        body = await read_body(request, _MAX_BODY, metrics=st.metrics, name="action_body_bytes")
        try:
            message = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):
            return _json({"ok": False, "error": "bad_request", "detail": "bad JSON"}, 400)
        if not isinstance(message, dict):
            return _json({"ok": False, "error": "bad_request", "detail": "send a JSON object"}, 400)
        reply = await moderation.act(token, message)
        if reply.get("ok"):
            if moderation.store is not None:
                # Acknowledged means committed: the audit row is written
                # before the answer, so a crash right after can't lose it.
                # If it can't be written, say so (as the hub does), not 500.
                try:
                    await moderation.store.flush()
                except Exception:
                    logger.exception("moderation action over HTTP not made durable")
                    return _json(
                        {"ok": False, "error": "not_stored", "action": reply.get("action")}, 503
                    )
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
        room = request.query.get("room") or None
        token = st.auth.require(request, "GET /moderation/audit.csv", room)
        assert token is not None
        # A token limited to some rooms sees only their rows (never another
        # room's comment text or user names, nor service-wide rows).
        rooms = None if "*" in token.rooms else tuple(token.rooms)
        store = moderation.store
        if store is None:
            raise web.HTTPServiceUnavailable(text="the store is not open")
        try:
            since = float(request.query["since"]) if "since" in request.query else None
            until = float(request.query["until"]) if "until" in request.query else None
            limit = int(request.query["limit"]) if "limit" in request.query else None
        except ValueError:
            raise web.HTTPBadRequest(text="since/until must be numbers, limit an integer") from None
        buf = io.StringIO(newline="")
        await store.export_audits_csv(
            buf, room=room, rooms=rooms, since=since, until=until, limit=limit
        )
        return web.Response(
            body=buf.getvalue().encode("utf-8"),
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": 'attachment; filename="roomwatch-audit.csv"',
                "Cache-Control": "no-store",
            },
        )

    app.router.add_post("/moderation/actions", json_refusals(post_action))
    app.router.add_get("/moderation/audit.csv", audit_csv)
