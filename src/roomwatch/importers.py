"""Importers: turn other tools' comment logs into roomwatch records.

Three formats, each read streaming in bounded memory:

``bilibili-xml``
    Bilibili's video danmaku XML: ``<i><chatid>…</chatid><d p="…">text</d>…</i>``
    where ``p`` is ``time,mode,size,color,unix_ts,pool,uid_hash,dmid[,weight]``.
    ``time`` is the position in the *video* in seconds, unrelated to when the
    comment was sent, so its fractional part says nothing about the
    sub-second of the send time: ``ts`` is ``unix_ts`` as is (whole seconds).
    ``user.id`` is the CRC32 hash of the sender's uid (all the format keeps),
    ``id`` is ``dmid``; the room is ``room=`` or else ``<chatid>``. Positioned
    danmaku (mode 7, a JSON array) give their visible text; code danmaku
    (mode 8, a script) are skipped. Records come in file order, which in a
    video's file is not time order.

``bililiverecorder-xml``
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

``csv``
    A header row, then one comment per row. Column names are configurable
    (:class:`CsvOptions`), as are the delimiter and how ``ts`` is written:
    ``epoch`` seconds, ``epoch_ms``, ``iso`` (ISO-8601; naive times are in
    ``tz``, default Asia/Shanghai) or ``auto`` (numbers are epoch seconds or
    milliseconds, anything else ISO-8601).

Every record is validated with :meth:`Comment.from_dict` before it is yielded,
so what comes out is always a valid record dict. A malformed element or row is
skipped, counted and reported through ``on_warning`` (the first
:data:`MAX_DETAILED_WARNINGS` one by one, then a summary); it never stops the
import. A file that cannot be read at all raises :class:`RecordingError`.

XML is parsed with expat directly, event by event, so no tree is built; a
document type declaration (and with it any entity declaration: the
"billion laughs" and external-entity attacks) is refused outright.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import json
import math
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO, Any, Final, cast
from xml.parsers import expat

from roomwatch.core.record import Comment
from roomwatch.errors import RecordError
from roomwatch.recordings import RecordingError, open_binary

__all__ = [
    "IMPORT_KINDS",
    "MAX_DETAILED_WARNINGS",
    "CsvOptions",
    "add_parser",
    "import_file",
    "iter_import",
    "run",
]

IMPORT_KINDS: Final = ("bilibili-xml", "bililiverecorder-xml", "csv")
#: Malformed elements reported one by one before only a summary is given.
MAX_DETAILED_WARNINGS: Final = 20
PLATFORM: Final = "bilibili"

_CHUNK: Final = 64 * 1024
#: Longest text collected from one element; longer is cut (the record limit
#: rejects it anyway), so a hostile file cannot make one element huge.
_MAX_ELEMENT_TEXT: Final = 64 * 1024
_GUARD_NAMES: Final = {"1": "总督", "2": "提督", "3": "舰长"}
_GOLD_PER_CNY: Final = 1000.0

Warn = Callable[[str], None]


def _shanghai() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database: China has kept UTC+8 without DST since 1991
        return timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """How to read a CSV file: column names, delimiter, timestamp format."""

    text: str = "text"
    room: str = "room"
    ts: str = "ts"
    user_id: str = "user_id"
    user_name: str = "user_name"
    user_level: str = "user_level"
    id: str = "id"
    kind: str = "kind"
    platform: str = "platform"
    amount: str = "amount"
    delimiter: str = ","
    #: ``epoch`` (seconds), ``epoch_ms``, ``iso`` or ``auto``.
    ts_format: str = "auto"
    #: The zone of ISO-8601 times written without a UTC offset.
    tz: tzinfo = field(default_factory=_shanghai)
    encoding: str = "utf-8-sig"

    def __post_init__(self) -> None:
        if self.ts_format not in ("epoch", "epoch_ms", "iso", "auto"):
            raise RecordingError(
                f"ts_format is {self.ts_format!r}; expected epoch, epoch_ms, iso or auto"
            )
        if len(self.delimiter) != 1:
            raise RecordingError(f"the CSV delimiter must be one character, not {self.delimiter!r}")


class _Problems:
    """Counts malformed items and reports the first few in detail."""

    def __init__(self, name: str, warn: Warn | None) -> None:
        self.name = name
        self.warn = warn
        self.by_reason: Counter[str] = Counter()

    def add(self, where: str, reason: str, detail: str) -> None:
        self.by_reason[reason] += 1
        if self.warn is not None and sum(self.by_reason.values()) <= MAX_DETAILED_WARNINGS:
            self.warn(f"{self.name}: {where}: {detail}; skipped")

    def note(self, message: str) -> None:
        if self.warn is not None:
            self.warn(f"{self.name}: {message}")

    def summary(self) -> None:
        total = sum(self.by_reason.values())
        if self.warn is not None and total > MAX_DETAILED_WARNINGS:
            parts = ", ".join(f"{n} {reason}" for reason, n in self.by_reason.most_common())
            self.warn(f"{self.name}: {total} malformed items skipped in all ({parts})")


# --------------------------------------------------------------------------- XML


class _Element:
    __slots__ = ("attrs", "line", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str], line: int) -> None:
        self.tag = tag
        self.attrs = attrs
        self.line = line
        self.text: list[str] = []


class _DtdRefused(Exception):
    pass


def _iter_top_elements(
    path: str | os.PathLike[str], problems: _Problems, collect: frozenset[str]
) -> Iterator[_Element]:
    """Yield each child of the root element, with its direct text, as it ends.

    Children whose tag is not in ``collect`` are yielded without their text.
    Deeper elements are ignored. Stops with a warning on the first
    well-formedness error (typically a file cut short by a crash).
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    ready: list[_Element] = []
    depth = 0
    current: _Element | None = None
    size = 0

    def refuse(*_: object) -> None:
        raise _DtdRefused

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth, current, size
        depth += 1
        if depth == 2:
            current = _Element(tag, attrs, parser.CurrentLineNumber)
            size = 0

    def end(tag: str) -> None:
        nonlocal depth, current
        if depth == 2 and current is not None:
            ready.append(current)
            current = None
        depth -= 1

    def data(text: str) -> None:
        nonlocal size
        if (
            depth == 2
            and current is not None
            and current.tag in collect
            and size < _MAX_ELEMENT_TEXT
        ):
            current.text.append(text)
            size += len(text)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.buffer_text = True

    with open_binary(path) as fh:
        while True:
            try:
                chunk = fh.read(_CHUNK)
            except EOFError:
                problems.note("the gzip stream ends early; the elements before the cut were read")
                chunk = b""
            except OSError as exc:
                problems.note(f"reading stopped: {exc}")
                chunk = b""
            try:
                parser.Parse(chunk, not chunk)
            except _DtdRefused:
                raise RecordingError(
                    f"{problems.name}: refusing an XML file with a document type declaration "
                    "(<!DOCTYPE>/<!ENTITY>): danmaku files never have one"
                ) from None
            except expat.ExpatError as exc:
                yield from ready
                ready.clear()
                code = expat.ErrorString(exc.code) if exc.code is not None else str(exc)
                problems.note(
                    f"the XML is cut short or broken at line {exc.lineno}, column {exc.offset} "
                    f"({code}); the elements before it were read"
                )
                return
            yield from ready
            ready.clear()
            if not chunk:
                return


def _text(el: _Element) -> str:
    return "".join(el.text)


def _finite(value: str, what: str) -> float:
    """``value`` as a finite float; ValueError names ``what`` otherwise."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r} is not a number")
    return number


def _iter_bilibili(
    path: str | os.PathLike[str], room: str | None, problems: _Problems
) -> Iterator[tuple[int, dict[str, Any]]]:
    chat_room = room
    for el in _iter_top_elements(path, problems, frozenset({"d", "chatid"})):
        where = f"line {el.line}: <{el.tag}>"
        if el.tag == "chatid":
            if chat_room is None and _text(el).strip() not in ("", "0"):
                chat_room = _text(el).strip()
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
            ts = _finite(parts[4], "unix_ts")
        except ValueError:
            problems.add(where, "bad_ts", f"'p' field 5 (unix_ts) {parts[4]!r} is not a number")
            continue
        if chat_room is None:
            raise RecordingError(
                f"{problems.name}: no room: pass room= (--room), the file has no <chatid>"
            )
        text = _text(el)
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


def _parse_start_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_shanghai())
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


def _iter_bililiverecorder(
    path: str | os.PathLike[str], room: str | None, problems: _Problems
) -> Iterator[tuple[int, dict[str, Any]]]:
    the_room = room
    start: float | None = None
    for el in _iter_top_elements(path, problems, frozenset({"d", "sc"})):
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
                offset = _finite(parts[0], "p offset")
                if start is not None:
                    record["ts"] = start + max(offset, 0.0)
                else:
                    sent = _finite(parts[4], "p send time")
                    if sent <= 0:
                        problems.add(where, "no_time", "no start_time and no send time")
                        continue
                    record["ts"] = sent / 1000.0 if sent > 1e11 else sent
                record["text"] = _text(el)
                record["kind"] = "comment"
                user = _user(attrs, parts[6])
            else:
                if start is None:
                    problems.add(where, "no_time", "no usable start_time for its @ts offset")
                    continue
                offset = _finite(attrs.get("ts", ""), "ts")
                record["ts"] = start + max(offset, 0.0)
                user = _user(attrs)
                if el.tag == "sc":
                    record["kind"] = "superchat"
                    record["text"] = _text(el)
                    record["amount"] = _finite(attrs.get("price", ""), "price")
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


def _csv_ts(value: str, options: CsvOptions) -> float:
    value = value.strip()
    fmt = options.ts_format
    if fmt == "auto":
        try:
            number = _finite(value, "ts")
        except ValueError:
            fmt = "iso"
        else:
            return number / 1000.0 if number > 1e11 else number
    if fmt == "epoch":
        return _finite(value, "ts")
    if fmt == "epoch_ms":
        return _finite(value, "ts") / 1000.0
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=options.tz)
    return when.timestamp()


def _iter_csv(
    path: str | os.PathLike[str], room: str | None, problems: _Problems, options: CsvOptions
) -> Iterator[tuple[int, dict[str, Any]]]:
    with open_binary(path) as raw_fh:
        text_fh = io.TextIOWrapper(raw_fh, encoding=options.encoding, errors="replace", newline="")
        reader = csv.reader(text_fh, delimiter=options.delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except (csv.Error, EOFError) as exc:
            raise RecordingError(f"{problems.name}: cannot read the CSV header: {exc}") from None
        index = {name.strip(): i for i, name in enumerate(header)}
        if options.text not in index:
            raise RecordingError(
                f"{problems.name}: the header has no {options.text!r} column "
                f"(columns: {', '.join(header)})"
            )
        if room is None and options.room not in index:
            raise RecordingError(
                f"{problems.name}: no room: pass room= (--room) or add a {options.room!r} column"
            )

        def col(row: list[str], name: str) -> str | None:
            i = index.get(name)
            if i is None or i >= len(row):
                return None
            value = row[i]
            return value if value.strip() else None

        last_line = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except EOFError:
                problems.note("the gzip stream ends early; the rows before the cut were read")
                break
            except csv.Error as exc:
                problems.add(f"line {reader.line_num}", "bad_csv", str(exc))
                last_line = reader.line_num
                continue
            line = last_line + 1  # where the row starts; a quoted cell may span lines
            last_line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            where = f"line {line}"
            record: dict[str, Any] = {"room": room or col(row, options.room)}
            text = col(row, options.text)
            record["text"] = text if text is not None else ""
            ts = col(row, options.ts)
            if ts is not None:
                try:
                    record["ts"] = _csv_ts(ts, options)
                except ValueError:
                    problems.add(
                        where, "bad_ts", f"ts {ts!r} is not a time (ts format {options.ts_format})"
                    )
                    continue
            else:
                problems.add(where, "bad_ts", "has no ts")
                continue
            for key, name in (("id", options.id), ("kind", options.kind)):
                value = col(row, name)
                if value is not None:
                    record[key] = value.strip()
            platform = col(row, options.platform)
            if platform is not None:
                record["platform"] = platform.strip()
            amount = col(row, options.amount)
            if amount is not None:
                try:
                    record["amount"] = _finite(amount, "amount")
                except ValueError as exc:
                    problems.add(where, "bad_value", str(exc))
                    continue
            user: dict[str, Any] = {}
            uid = col(row, options.user_id)
            if uid is not None:
                user["id"] = uid.strip()
            uname = col(row, options.user_name)
            if uname is not None:
                user["name"] = uname
            level = col(row, options.user_level)
            if level is not None:
                try:
                    user["level"] = int(level)
                except ValueError:
                    problems.add(where, "bad_value", f"user level {level!r} is not an integer")
                    continue
            if user:
                record["user"] = user
            yield line, record


# --------------------------------------------------------------------------- API


def iter_import(
    kind: str,
    path: str | os.PathLike[str],
    /,
    *,
    room: str | None = None,
    on_warning: Warn | None = None,
    csv_options: CsvOptions | None = None,
    **csv_fields: Any,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record dict)`` for each good record of ``path``.

    ``kind`` is one of :data:`IMPORT_KINDS`. For CSV, pass ``csv_options`` or
    its fields as keywords (``delimiter=";"``, ``ts_format="iso"``, ``text="内容"``…).
    Each dict has passed :meth:`Comment.from_dict` and is in its canonical
    form (``Comment.to_dict()``).
    """
    name = os.fspath(path)
    problems = _Problems(name, on_warning)
    if room is not None and not room.strip():
        raise RecordingError("room must not be blank")
    items: Iterator[tuple[int, dict[str, Any]]]
    if kind == "bilibili-xml":
        items = _iter_bilibili(path, room, problems)
    elif kind == "bililiverecorder-xml":
        items = _iter_bililiverecorder(path, room, problems)
    elif kind == "csv":
        if csv_options is None:
            try:
                csv_options = CsvOptions(**csv_fields)
            except TypeError as exc:
                raise RecordingError(f"bad CSV option: {exc}") from None
        items = _iter_csv(path, room, problems, csv_options)
    else:
        raise RecordingError(f"unknown import format {kind!r}; expected one of {IMPORT_KINDS}")
    for where, raw in items:
        try:
            comment = Comment.from_dict(raw, received_at=0.0)
        except RecordError as err:
            problems.add(f"line {where}", err.reason, str(err))
            continue
        yield where, comment.to_dict()
    problems.summary()


def import_file(
    kind: str,
    path: str | os.PathLike[str],
    /,
    *,
    room: str | None = None,
    on_warning: Warn | None = None,
    csv_options: CsvOptions | None = None,
    **csv_fields: Any,
) -> Iterator[dict[str, Any]]:
    """Yield the record dicts of ``path``; see :func:`iter_import`."""
    for _, record in iter_import(
        kind, path, room=room, on_warning=on_warning, csv_options=csv_options, **csv_fields
    ):
        yield record


# --------------------------------------------------------------------------- CLI


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``roomwatch import`` to an argparse ``add_subparsers()`` object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="convert a Bilibili/BililiveRecorder danmaku XML or a CSV file to a recording",
        description="Convert another tool's comment log into roomwatch JSON Lines records.",
    )
    parser.add_argument("format", choices=IMPORT_KINDS, help="the input format")
    parser.add_argument("file", type=Path, help="the file to import (may be gzip-compressed)")
    parser.add_argument("--room", help="the room name (default: taken from the file)")
    parser.add_argument(
        "--out", type=Path, help="write the records here (.jsonl or .jsonl.gz); default stdout"
    )
    group = parser.add_argument_group("CSV options")
    group.add_argument("--delimiter", default=",", help="field delimiter (default ',')")
    group.add_argument(
        "--ts-format",
        choices=("auto", "epoch", "epoch_ms", "iso"),
        default="auto",
        help="how the ts column is written (default auto)",
    )
    group.add_argument(
        "--tz",
        default="Asia/Shanghai",
        help="time zone of ISO-8601 times without an offset (default Asia/Shanghai)",
    )
    group.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="read FIELD (text, room, ts, user_id, user_name, user_level, id, kind, "
        "platform, amount) from the column named HEADER; repeatable",
    )
    parser.set_defaults(func=run)
    return parser


def _csv_options_from_args(args: argparse.Namespace) -> CsvOptions:
    fields: dict[str, Any] = {"delimiter": args.delimiter.replace("\\t", "\t")}
    fields["ts_format"] = args.ts_format
    if args.tz != "Asia/Shanghai":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            fields["tz"] = ZoneInfo(args.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise RecordingError(f"--tz: unknown time zone {args.tz!r}") from None
    allowed = {
        "text",
        "room",
        "ts",
        "user_id",
        "user_name",
        "user_level",
        "id",
        "kind",
        "platform",
        "amount",
    }
    for item in args.column:
        key, sep, header = item.partition("=")
        if not sep or key not in allowed or not header:
            raise RecordingError(
                f"--column {item!r}: expected FIELD=HEADER with FIELD one of "
                f"{', '.join(sorted(allowed))}"
            )
        fields[key] = header
    return CsvOptions(**fields)


def run(
    args: argparse.Namespace, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    """``roomwatch import``: returns the exit status (0 ok, 1 nothing imported, 2 error)."""
    out_err = stderr if stderr is not None else sys.stderr

    def warn(message: str) -> None:
        print(f"roomwatch import: warning: {message}", file=out_err)

    try:
        options = _csv_options_from_args(args) if args.format == "csv" else None
        records = _with_progress(
            import_file(
                args.format, args.file, room=args.room, on_warning=warn, csv_options=options
            )
        )
        if args.out is None:
            count = _write_records(records, stdout if stdout is not None else sys.stdout)
        else:
            count = _write_file(records, args.out)
    except RecordingError as exc:
        print(f"roomwatch import: error: {exc}", file=out_err)
        return 2
    except OSError as exc:
        print(f"roomwatch import: error: {exc}", file=out_err)
        return 2
    print(f"roomwatch import: {count} records imported", file=out_err)
    return 0 if count else 1


def _with_progress(records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Count and rate on stderr while importing, when stderr is a terminal."""
    from roomwatch.progress import Progress

    with Progress(None, "import") as bar:
        for record in records:
            bar.update()
            yield record


def _write_records(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count


def _write_file(records: Iterator[dict[str, Any]], path: Path) -> int:
    """Write to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            stream: IO[bytes] = raw
            if path.name.endswith(".gz"):
                stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="wb"))
            with io.TextIOWrapper(stream, encoding="utf-8", newline="\n") as text:
                count = _write_records(records, text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return count
