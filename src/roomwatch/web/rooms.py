"""The admin routes for rooms: list, add or change, and remove them at run time.

* ``GET /admin/rooms`` — every room with a section: ``{"rooms": [{"room",
  "from": "file" | "admin", "settings": {...}}]}`` (token secrets shown as
  ``"***"``); ``?room=`` for one. A token limited to some rooms sees only
  those; ``?room=`` naming another room is refused (403).
* ``PUT /admin/rooms/{room}`` — the body is the room's section as a JSON
  object, the keys of ``[rooms."<room>"]`` (docs/config.md). 200 with the
  room as ``GET`` shows it and ``"created"``; 400 with every problem
  (``{"error": "invalid", "problems": [...]}``) and nothing changed.
* ``DELETE /admin/rooms/{room}`` — removes the room's section, its host
  queue and its alerts; 404 if it had no section.

Who may: :data:`roomwatch.authz.TABLE` (``admin``). What a change does:
:mod:`roomwatch.compose.rooms`, docs/rooms.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

from aiohttp import web

from roomwatch.config import InvalidConfig, Token
from roomwatch.core.errors import RoomwatchError
from roomwatch.web.auth import require_origin
from roomwatch.web.limits import read_body
from roomwatch.web.state import state_key

__all__ = ["MAX_ROOM_BODY", "RoomControl", "add_routes"]

#: Largest ``PUT /admin/rooms/{room}`` body (413 past it).
MAX_ROOM_BODY: Final = 256 * 1024


class RoomControl(Protocol):
    """What the routes need (:class:`roomwatch.compose.rooms.RoomAdmin`)."""

    def view(self, rooms: Iterable[str] | None = None) -> list[dict[str, Any]]: ...

    async def put(self, room: str, body: object, actor: Token) -> tuple[dict[str, Any], bool]: ...

    async def delete(self, room: str, actor: Token) -> bool: ...


def _json(body: Mapping[str, Any], status: int = 200) -> web.Response:
    return web.json_response(
        body,
        status=status,
        dumps=lambda v: json.dumps(v, ensure_ascii=False),
        headers={"Cache-Control": "no-store"},
    )


def add_routes(app: web.Application, control: RoomControl) -> None:
    async def list_rooms(request: web.Request) -> web.Response:
        st = request.app[state_key]
        room = request.query.get("room")
        token = st.auth.require(request, "GET /admin/rooms", room)
        assert token is not None
        if room is not None:
            return _json({"rooms": control.view([room])})
        return _json({"rooms": [r for r in control.view() if token.allows_room(r["room"])]})

    async def put_room(request: web.Request) -> web.Response:
        st = request.app[state_key]
        require_origin(request, st.settings.server)
        room = request.match_info["room"]
        token = st.auth.require(request, "PUT /admin/rooms/{room}", room)
        assert token is not None
        raw = await read_body(request, MAX_ROOM_BODY, metrics=st.metrics, name="room_body_bytes")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            return _json({"error": "bad_request", "detail": "the body is not JSON"}, 400)
        try:
            view, created = await control.put(room, body, token)
        except InvalidConfig as exc:
            problems = [str(p) for p in exc.problems]
            return _json({"error": "invalid", "detail": str(exc), "problems": problems}, 400)
        except RoomwatchError as exc:  # the store could not keep it: nothing changed
            return _json({"error": "not_stored", "detail": str(exc)}, 503)
        return _json({**view, "created": created})

    async def delete_room(request: web.Request) -> web.Response:
        st = request.app[state_key]
        require_origin(request, st.settings.server)
        room = request.match_info["room"]
        token = st.auth.require(request, "DELETE /admin/rooms/{room}", room)
        assert token is not None
        try:
            removed = await control.delete(room, token)
        except RoomwatchError as exc:
            return _json({"error": "not_stored", "detail": str(exc)}, 503)
        if not removed:
            return _json({"error": "not_found", "detail": f"room {room!r} has no section"}, 404)
        return _json({"room": room, "removed": True})

    app.router.add_get("/admin/rooms", list_rooms)
    app.router.add_put("/admin/rooms/{room}", put_room)
    app.router.add_delete("/admin/rooms/{room}", delete_room)
