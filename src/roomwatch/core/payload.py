"""A body of records, as /ingest and the WebSocket source take it: one record
(on one line or pretty-printed over several), a JSON array of records, or
NDJSON. Each record is parsed on its own (:func:`roomwatch.core.record.parse_json`'s
rules), so one bad record never hides the good ones beside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

from roomwatch.core.errors import RecordError
from roomwatch.core.record import (
    _DECODER,
    _SKIP,
    MAX_RECORD_BYTES,
    Comment,
    _check_canonical_size,
    _ConstantError,
    _size,
    _too_large,
    parse_json,
)

__all__ = ["parse_many"]


def parse_many(data: bytes | str, *, received_at: float) -> Iterator[Comment | RecordError]:
    """Parse a payload holding one record, a JSON array of records, or NDJSON.

    Yields a :class:`Comment` or a :class:`RecordError` for each record, in
    order, so that one bad record never hides the good ones beside it. A JSON
    array counts each element; NDJSON counts each non-blank line. Every
    record, whichever way it came, is held to :data:`MAX_RECORD_BYTES`.
    """
    text: str
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            escaped = _strip_body(data.decode("utf-8", "surrogateescape"))
            if escaped[:1] == "[":
                # Each element on its own: the bad bytes reject theirs only.
                yield from _parse_array(escaped, received_at, escaped=True)
                return
            # Fall back to line by line, so good lines still pass.
            for line in data.split(b"\n"):
                if line.strip():
                    yield _parse_or_error(line.rstrip(b"\r"), received_at)
            return
    else:
        text = data
    stripped = _strip_body(text)
    if not stripped:
        yield RecordError("not_json", "the body is empty")
        return
    if stripped[0] == "[":
        yield from _parse_array(stripped, received_at)
        return
    if stripped[0] == "{" and "\n" in stripped and _one_value(stripped):
        # One record written over several lines (pretty-printed), not NDJSON.
        yield _parse_or_error(stripped, received_at)
        return
    # Only "\n" ends a record: str.splitlines() would also split inside a
    # JSON string at U+2028, U+0085 and other characters JSON keeps raw.
    for row in stripped.split("\n"):
        if row.strip():
            yield _parse_or_error(row.rstrip("\r"), received_at)


def _strip_body(text: str) -> str:
    """``text`` without surrounding whitespace, nor the byte-order mark some
    editors and Windows tools write (no content)."""
    return text.strip().lstrip("\ufeff").lstrip()


def _one_value(text: str) -> bool:
    """Whether ``text`` is exactly one JSON value (its numbers unread)."""
    try:
        _, end = _SKIP.raw_decode(text)
    except (ValueError, RecursionError):
        return False
    return end == len(text)


def _parse_or_error(data: bytes | str, received_at: float) -> Comment | RecordError:
    try:
        return parse_json(data, received_at=received_at)
    except RecordError as err:
        return err


def _parse_array(
    text: str, received_at: float, *, escaped: bool = False
) -> Iterator[Comment | RecordError]:
    """Each element of a JSON array, measured and parsed as its own record.

    The whole array is scanned before anything is yielded: a body that is
    not a valid array gives one ``not_json`` error and no records. With
    ``escaped``, ``text`` was decoded with ``surrogateescape``: an element
    holding one of its escaped bytes is ``invalid_utf8``, the others parse.
    """
    items: list[tuple[Any, int] | RecordError] = []
    scan = _DECODER.raw_decode
    pos = _skip_ws(text, 1)
    if pos < len(text) and text[pos] == "]":
        pos = _skip_ws(text, pos + 1)
    else:
        while True:
            try:
                value, end = scan(text, pos)
            except (json.JSONDecodeError, RecursionError):
                yield _not_array()
                return
            except ValueError as exc:
                # Valid JSON with a value Python won't hold (NaN, 1e999, an
                # integer of 5,000 digits): this element only is rejected.
                reason = exc.reason if isinstance(exc, _ConstantError) else "bad_value"
                items.append(RecordError(reason, f"the record holds {exc}"))
                try:
                    _, end = _SKIP.raw_decode(text, pos)
                except (ValueError, RecursionError):
                    yield _not_array()
                    return
            else:
                if escaped and _ESCAPED_BYTE.search(text, pos, end) is not None:
                    items.append(RecordError("invalid_utf8", "the record is not valid UTF-8"))
                else:
                    items.append((value, _size(text[pos:end])))
            pos = _skip_ws(text, end)
            if pos < len(text) and text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
                continue
            if pos < len(text) and text[pos] == "]":
                pos = _skip_ws(text, pos + 1)
                break
            yield _not_array()
            return
    if pos != len(text):
        yield _not_array()
        return
    for item in items:
        if isinstance(item, RecordError):
            yield item
            continue
        value, size = item
        if size > MAX_RECORD_BYTES:
            yield _too_large(size)
            continue
        try:
            comment = Comment.from_dict(value, received_at=received_at)
            _check_canonical_size(comment, size)
        except RecordError as err:
            yield err
        else:
            yield comment


#: A byte ``surrogateescape`` could not decode (no valid UTF-8 text holds one raw).
_ESCAPED_BYTE: Final = re.compile("[\udc80-\udcff]")


def _not_array() -> RecordError:
    return RecordError("not_json", "the body starts with '[' but is not a valid JSON array")


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\n\r":
        pos += 1
    return pos
