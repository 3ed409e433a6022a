"""BililiveRecorder (B站录播姬) live danmaku XML (``bililiverecorder-xml``).

The live danmaku XML that BililiveRecorder (B站录播姬) writes beside a
recording. It has the same ``<d p="…">`` elements, but there ``p[0]`` is
the offset in seconds from the start of the file (written as
``BililiveRecorderRecordInfo/@start_time``, ISO-8601 with its UTC offset),
``p[4]`` is the send time in epoch milliseconds (often 0) and ``p[6]`` the
sender's real uid. ``<sc>``, ``<gift>`` and ``<guard>`` carry their offset in
``@ts``. So ``ts = start_time + offset`` for every element (all on the
recorder's clock, keeping them in order); without ``start_time`` a ``d``
falls back to ``p[4]`` and other elements are skipped. Mapping:

* ``d`` → ``comment``;
* ``sc`` → ``superchat``, ``amount = @price`` (CNY);
* ``gift`` → ``gift``, text ``"辣条 x3"``; amount only when the optional
  ``@raw`` JSON says it was paid in gold coins (``total_coin`` or
  ``price × num``, 1000 gold = 1 CNY), 0 for free (silver) gifts, else none;
* ``guard`` → ``gift``, text ``"舰长 x1"`` (level 1 总督, 2 提督, 3 舰长);
  amount from ``@raw`` (``price × num`` gold) when present, else none.

The room is ``room=`` or else ``@roomid``; ``user.name`` is ``@user``,
``user.id`` is ``@uid`` (or ``p[6]``). A file cut short by a crash (no
closing ``</i>``) yields everything before the cut, then a warning.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from roomwatch.recordings.errors import RecordingError
from roomwatch.recordings.importers.bilibili import PLATFORM
from roomwatch.recordings.importers.common import Problems, finite, shanghai
from roomwatch.recordings.importers.xmlstream import element_text, iter_top_elements

__all__ = ["iter_bililiverecorder"]

_GUARD_NAMES: Final = {"1": "总督", "2": "提督", "3": "舰长"}
_GOLD_PER_CNY: Final = 1000.0


def _parse_start_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=shanghai())
    return when.timestamp()


def _user(attrs: Mapping[str, str], fallback_id: str | None = None) -> dict[str, Any]:
    user: dict[str, Any] = {}
    uid = attrs.get("uid") or fallback_id
    if uid and uid.strip() not in ("", "0"):
        user["id"] = uid.strip()
    name = attrs.get("user")
    if name:
        user["name"] = name
    return user


def _raw_json(attrs: Mapping[str, str]) -> Mapping[str, Any] | None:
    raw = attrs.get("raw")
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, Mapping) else None


def _gold_amount(raw: Mapping[str, Any] | None, count: float) -> float | None:
    """CNY from a gift's raw JSON, when it was paid in gold coins."""
    if raw is None:
        return None
    coin_type = raw.get("coin_type")
    if coin_type == "silver":
        return 0.0
    if coin_type not in (None, "gold"):
        return None
    total = raw.get("total_coin")
    if isinstance(total, int | float) and not isinstance(total, bool) and total >= 0:
        return float(total) / _GOLD_PER_CNY
    price = raw.get("price")
    num = raw.get("num", count)
    if (
        isinstance(price, int | float)
        and not isinstance(price, bool)
        and isinstance(num, int | float)
        and not isinstance(num, bool)
        and price >= 0
        and num >= 0
    ):
        return float(price) * float(num) / _GOLD_PER_CNY
    return None


def _count(value: str | None, what: str) -> int:
    if value is None or not value.strip():
        return 1
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"{what} {value!r} is not a whole number")
    return count


def iter_bililiverecorder(
    path: str | os.PathLike[str], room: str | None, problems: Problems
) -> Iterator[tuple[int, dict[str, Any]]]:
    the_room = room
    start: float | None = None
    for el in iter_top_elements(path, problems, frozenset({"d", "sc"})):
        where = f"line {el.line}: <{el.tag}>"
        attrs = el.attrs
        if el.tag == "BililiveRecorderRecordInfo":
            if the_room is None and attrs.get("roomid", "").strip() not in ("", "0"):
                the_room = attrs["roomid"].strip()
            start = _parse_start_time(attrs.get("start_time"))
            if start is None:
                problems.note(
                    f"line {el.line}: start_time {attrs.get('start_time')!r} is not an ISO-8601 "
                    "time; only <d> elements with their own send time can be imported"
                )
            continue
        if el.tag not in ("d", "sc", "gift", "guard"):
            continue
        if the_room is None:
            raise RecordingError(
                f"{problems.name}: no room: pass room= (--room), the file has no "
                "BililiveRecorderRecordInfo/@roomid"
            )
        record: dict[str, Any] = {"room": the_room, "platform": PLATFORM}
        try:
            if el.tag == "d":
                p = attrs.get("p")
                if p is None:
                    problems.add(where, "missing_p", "has no 'p' attribute")
                    continue
                parts = p.split(",")
                if len(parts) < 8:
                    problems.add(where, "bad_p", f"'p' has {len(parts)} fields; expected 8")
                    continue
                offset = finite(parts[0], "p offset")
                if start is not None:
                    record["ts"] = start + max(offset, 0.0)
                else:
                    sent = finite(parts[4], "p send time")
                    if sent <= 0:
                        problems.add(where, "no_time", "no start_time and no send time")
                        continue
                    record["ts"] = sent / 1000.0 if sent > 1e11 else sent
                record["text"] = element_text(el)
                record["kind"] = "comment"
                user = _user(attrs, parts[6])
            else:
                if start is None:
                    problems.add(where, "no_time", "no usable start_time for its @ts offset")
                    continue
                offset = finite(attrs.get("ts", ""), "ts")
                record["ts"] = start + max(offset, 0.0)
                user = _user(attrs)
                if el.tag == "sc":
                    record["kind"] = "superchat"
                    record["text"] = element_text(el)
                    record["amount"] = finite(attrs.get("price", ""), "price")
                elif el.tag == "gift":
                    count = _count(attrs.get("giftcount"), "giftcount")
                    name = (attrs.get("giftname") or "").strip()
                    if not name:
                        problems.add(where, "bad_value", "has no giftname")
                        continue
                    record["kind"] = "gift"
                    record["text"] = f"{name} x{count}"
                    amount = _gold_amount(_raw_json(attrs), count)
                    if amount is not None:
                        record["amount"] = amount
                else:
                    count = _count(attrs.get("count"), "count")
                    level = (attrs.get("level") or "").strip()
                    record["kind"] = "gift"
                    record["text"] = f"{_GUARD_NAMES.get(level, '大航海')} x{count}"
                    raw = _raw_json(attrs)
                    amount = _gold_amount(raw, count) if raw is not None else None
                    if amount is not None:
                        record["amount"] = amount
        except ValueError as exc:
            problems.add(where, "bad_value", str(exc))
            continue
        if user:
            record["user"] = user
        yield el.line, record


# --------------------------------------------------------------------------- CSV
