"""Frames from a fetcher with its own JSON shape, mapped to comment records.

A frame holds one JSON message or a JSON array of them (dycast sends
batches). Each message goes through :func:`roomwatch.core.mapping.map_message`
and then the record's own checks, so what comes out is exactly what an
upstream sending comment records would have produced: a :class:`Comment`,
or a :class:`RecordError` to count and skip (``filtered`` for a type the map
does not list, ``unmapped`` for a missing field, and the record's reasons).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from roomwatch.core.errors import RecordError
from roomwatch.core.mapping import FieldMap, map_message
from roomwatch.core.record import Comment
from roomwatch.sources.timebound import UNSTAMPED

__all__ = ["parse_mapped"]


def parse_mapped(frame: str | bytes, fmap: FieldMap) -> Iterator[Comment | RecordError]:
    """Each message of ``frame`` as a record (unstamped when it maps no ts), or why not."""
    try:
        text = frame.decode("utf-8") if isinstance(frame, bytes) else frame
    except UnicodeDecodeError as exc:
        yield RecordError("invalid_utf8", f"the frame is not UTF-8: {exc}")
        return
    try:
        decoded: Any = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        yield RecordError("not_json", f"the frame is not JSON: {str(exc)[:200]}")
        return
    messages = decoded if isinstance(decoded, list) else [decoded]
    for message in messages:
        record = map_message(fmap, message)
        if isinstance(record, RecordError):
            yield record
            continue
        try:
            yield Comment.from_dict(record, received_at=UNSTAMPED)
        except RecordError as exc:
            yield exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
