"""Bilibili's video danmaku XML (``bilibili-xml``).

The file: ``<i><chatid>…</chatid><d p="…">text</d>…</i>``
where ``p`` is ``time,mode,size,color,unix_ts,pool,uid_hash,dmid[,weight]``.
``time`` is the position in the *video* in seconds, unrelated to when the
comment was sent, so its fractional part says nothing about the
sub-second of the send time: ``ts`` is ``unix_ts`` as is (whole seconds).
``user.id`` is the CRC32 hash of the sender's uid (all the format keeps),
``id`` is ``dmid``; the room is ``room=`` or else ``<chatid>``. Positioned
danmaku (mode 7, a JSON array) give their visible text; code danmaku
(mode 8, a script) are skipped. Records come in file order, which in a
video's file is not time order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, Final

from roomwatch.recordings.errors import RecordingError
from roomwatch.recordings.importers.common import Problems, finite
from roomwatch.recordings.importers.xmlstream import element_text, iter_top_elements

__all__ = ["PLATFORM", "iter_bilibili"]

PLATFORM: Final = "bilibili"


def iter_bilibili(
    path: str | os.PathLike[str], room: str | None, problems: Problems
) -> Iterator[tuple[int, dict[str, Any]]]:
    chat_room = room
    for el in iter_top_elements(path, problems, frozenset({"d", "chatid"})):
        where = f"line {el.line}: <{el.tag}>"
        if el.tag == "chatid":
            if chat_room is None and element_text(el).strip() not in ("", "0"):
                chat_room = element_text(el).strip()
            continue
        if el.tag != "d":
            continue
        p = el.attrs.get("p")
        if p is None:
            problems.add(where, "missing_p", "has no 'p' attribute")
            continue
        parts = p.split(",")
        if len(parts) < 8:
            problems.add(where, "bad_p", f"'p' has {len(parts)} fields; expected at least 8")
            continue
        try:
            ts = finite(parts[4], "unix_ts")
        except ValueError:
            problems.add(where, "bad_ts", f"'p' field 5 (unix_ts) {parts[4]!r} is not a number")
            continue
        if chat_room is None:
            raise RecordingError(
                f"{problems.name}: no room: pass room= (--room), the file has no <chatid>"
            )
        text = element_text(el)
        mode = parts[1].strip()
        if mode == "8":
            problems.add(where, "unsupported_mode", "is a code (mode 8) danmaku, not text")
            continue
        if mode == "7":
            text = _positioned_text(text)
        raw: dict[str, Any] = {
            "room": chat_room,
            "text": text,
            "ts": ts,
            "kind": "comment",
            "platform": PLATFORM,
        }
        if parts[7].strip():
            raw["id"] = parts[7].strip()
        if parts[6].strip():
            raw["user"] = {"id": parts[6].strip()}
        yield el.line, raw


def _positioned_text(body: str) -> str:
    """The visible text of a positioned (mode 7) danmaku: a JSON array, text at [4]."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return body
    if isinstance(value, list) and len(value) > 4 and isinstance(value[4], str):
        return value[4]
    return body
