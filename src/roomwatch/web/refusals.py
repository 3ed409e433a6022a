"""HTTP refusals as JSON: the one error shape of the JSON APIs.

``POST /moderation/actions`` and ``POST /ingest`` answer every refusal, also
those made before the request is read (the token, its role, the ``Origin``,
the content type, the body size), as ``{"type": "error", "ok": false,
"action": null, "error": <code>, "detail": <words>}`` (docs/moderation.md).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

__all__ = ["json_body", "json_refusals"]

#: The ``error`` code of an HTTP refusal raised before the request is read.
_ERROR_OF_STATUS: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}
#: Headers of a refusal worth keeping on its JSON form.
_KEEP_HEADERS: Final = ("WWW-Authenticate", "Retry-After", "Allow")

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_body(body: dict[str, Any], status: int = 200) -> web.Response:
    """``body`` as JSON; an error body (``ok`` false) gets the documented shape."""
    if body.get("ok") is False and "type" not in body:
        body = {"type": "error", "ok": False, "action": None, **body}
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def json_refusals(handler: _Handler) -> _Handler:
    """``handler`` whose HTTP errors (401, 403, 413, 415 ...) answer the JSON error."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            error = _ERROR_OF_STATUS.get(exc.status, f"http_{exc.status}")
            detail = exc.text or exc.reason
            if detail.startswith(f"{exc.status}: "):  # aiohttp's default body
                detail = detail[len(f"{exc.status}: ") :]
            response = json_body({"ok": False, "error": error, "detail": detail}, exc.status)
            for name in _KEEP_HEADERS:
                if name in exc.headers:
                    response.headers[name] = exc.headers[name]
            return response

    return wrapped
