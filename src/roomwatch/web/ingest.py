"""``POST /ingest``: the ``http`` source.

A body holds one record, a JSON array of records or NDJSON. The answer says
what happened to each: ``{"accepted", "rejected", "duplicates", "shed",
"errors": [...]}``. Each record is checked on its own: a malformed one, or
one for a room the token may not post into, is rejected with a reason and
counted while the others in the batch proceed.

Cross-site requests: a browser can post ``text/plain`` (or a form) to any
site without asking first, but not with an ``Authorization`` header nor a
JSON content type. So a token sent as ``?token=`` needs a JSON content type,
and a request whose ``Origin`` is not allowed is refused.

Limits (``docs/limits.md``): ``server.max_body_bytes`` (413, chunked bodies
included), ``limits.max_records_per_request`` (413) and 64 KiB per record.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from roomwatch.config import Token
from roomwatch.core.errors import RecordError
from roomwatch.core.payload import parse_many
from roomwatch.sources.timebound import UNSTAMPED
from roomwatch.web.auth import require_origin
from roomwatch.web.limits import read_body

if TYPE_CHECKING:
    from roomwatch.web.state import AppState

__all__ = ["JSON_TYPES", "handle_ingest"]

#: Content types a browser can't send cross-site without a preflight.
JSON_TYPES: Final = frozenset({"application/json", "application/x-ndjson", "application/jsonl"})
_MAX_LISTED_ERRORS: Final = 100
_COUNTED_AS: Final = {"accepted": "accepted", "duplicate": "duplicates", "flood": "shed"}


async def handle_ingest(request: web.Request, st: AppState, token: Token) -> web.Response:
    require_origin(
        request,
        st.settings.server,
        refused=lambda: st.metrics.hub_refused.labels("ingest", "origin").inc(),
    )
    by_header = request.headers.get("Authorization", "").lower().startswith("bearer ")
    if not by_header and request.content_type not in JSON_TYPES:
        raise web.HTTPUnsupportedMediaType(
            text="with ?token=, send records as application/json or application/x-ndjson "
            "(or send the token as Authorization: Bearer)"
        )
    body = await read_body(request, st.settings.server.max_body_bytes, metrics=st.metrics)
    limit = st.settings.limits.max_records_per_request
    # Parse no further than one past the limit: NDJSON lines are parsed
    # lazily, so a body of a million tiny lines is refused at once.
    items = list(itertools.islice(parse_many(body, received_at=UNSTAMPED), limit + 1))
    if len(items) > limit:
        st.metrics.limit_exceeded.labels("records_per_request").inc()
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit,
            actual_size=len(items),
            text=f"the body holds more than {limit} records; the limit is {limit} per request",
        )
    counts = {"accepted": 0, "rejected": 0, "duplicates": 0, "shed": 0}
    room_refusals = 0
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, RecordError) and not token.allows_room(item.room):
            room_refusals += 1
            item = RecordError(
                "room_not_allowed",
                f"this token may not post into room {item.room[:128]!r}",
                field="room",
            )
        if not isinstance(item, RecordError):
            # A record without ts is stamped with its room's time by the guard,
            # and one whose ts is out of bounds is rejected here, with a reason.
            item = st.pipeline.admit(item, "http")
        if isinstance(item, RecordError):
            counts["rejected"] += 1
            await st.pipeline.reject(item, "http", f"item {index}")
            if len(errors) < _MAX_LISTED_ERRORS:
                errors.append({"index": index, **item.to_dict()})
            continue
        outcome = await st.pipeline.offer(item, "http", admitted=True)
        counts[_COUNTED_AS[outcome]] += 1
    result: dict[str, Any] = {**counts, "errors": errors}
    if counts["rejected"] > len(errors):
        result["errors_truncated"] = counts["rejected"] - len(errors)
    status = 200
    if counts["rejected"] > 0 and counts["rejected"] == len(items):
        status = 403 if room_refusals == len(items) else 400
    return web.json_response(result, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
