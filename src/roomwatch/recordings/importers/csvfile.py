"""CSV comment logs (``csv``): a header row, then one comment per row.

Column names are configurable
(:class:`CsvOptions`), as are the delimiter and how ``ts`` is written:
``epoch`` seconds, ``epoch_ms``, ``iso`` (ISO-8601; naive times are in
``tz``, default Asia/Shanghai) or ``auto`` (numbers are epoch seconds or
milliseconds, anything else ISO-8601).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final

from roomwatch.recordings.errors import RecordingError
from roomwatch.recordings.files import open_binary
from roomwatch.recordings.importers.common import Problems, finite, shanghai

__all__ = ["CsvOptions", "iter_csv"]


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
    tz: tzinfo = field(default_factory=shanghai)
    encoding: str = "utf-8-sig"

    def __post_init__(self) -> None:
        if self.ts_format not in ("epoch", "epoch_ms", "iso", "auto"):
            raise RecordingError(
                f"ts_format is {self.ts_format!r}; expected epoch, epoch_ms, iso or auto"
            )
        if len(self.delimiter) != 1:
            raise RecordingError(f"the CSV delimiter must be one character, not {self.delimiter!r}")


def _csv_ts(value: str, options: CsvOptions) -> float:
    value = value.strip()
    fmt = options.ts_format
    if fmt == "auto":
        try:
            number = finite(value, "ts")
        except ValueError:
            fmt = "iso"
        else:
            return number / 1000.0 if number > 1e11 else number
    if fmt == "epoch":
        return finite(value, "ts")
    if fmt == "epoch_ms":
        return finite(value, "ts") / 1000.0
    # Spreadsheet and platform exports write dates with slashes and no zero
    # padding (2026/12/6 20:00:05); ISO-8601 wants 2026-12-06.
    day = _LOOSE_DATE.match(value)
    if day is not None:
        year, month, mday, rest = day.groups()
        value = f"{year}-{int(month):02d}-{int(mday):02d}{rest or ''}"
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=options.tz)
    return when.timestamp()


_LOOSE_DATE: Final = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(\D.*)?$")
#: How much of a file is read to tell UTF-8 from the GBK that Excel on Chinese
#: Windows writes.
_SNIFF_BYTES: Final = 1 << 20


def _decodes(head: bytes, encoding: str, final: bool) -> bool:
    """Whether ``head`` (all of a file if ``final``, else its start) is ``encoding``."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(path: str | os.PathLike[str], options: CsvOptions, problems: Problems) -> str:
    """``options.encoding``; but a file that is not UTF-8 where UTF-8 is
    expected is read as GB18030 (GBK's superset), and said so."""
    if options.encoding.lower().replace("_", "-") not in ("utf-8-sig", "utf-8", "utf8"):
        return options.encoding
    with open_binary(path) as fh:
        head = fh.read(_SNIFF_BYTES)
    final = len(head) < _SNIFF_BYTES
    if not _decodes(head, "utf-8", final) and _decodes(head, "gb18030", final):
        problems.note("not UTF-8; read as GB18030 (GBK), as Excel on Chinese Windows saves it")
        return "gb18030"
    return options.encoding  # (UTF-8, or neither: bad bytes become U+FFFD, as before)


#: Column names platform and spreadsheet exports use, per field, tried (in
#: this order) when a field's column keeps its default name and the file has
#: no column of that name.
_ALIASES: Final = {
    "text": (
        "内容",
        "弹幕",
        "弹幕内容",
        "评论",
        "评论内容",
        "content",
        "message",
        "comment",
        "msg",
    ),
    "ts": ("时间", "发送时间", "评论时间", "time", "timestamp", "datetime", "date"),
    "user_name": ("用户", "昵称", "用户名", "用户昵称", "nickname", "user", "username", "name"),
    "user_id": ("用户ID", "用户id", "uid", "userid"),
    "room": ("房间", "直播间", "房间号", "room_id", "roomid"),
}


def _with_aliases(options: CsvOptions, index: dict[str, int], problems: Problems) -> CsvOptions:
    """``options`` with each defaulted field that has no column of its name
    read from the first column named as exports name it (said once)."""
    defaults = CsvOptions()
    found: dict[str, Any] = {}
    taken = set()
    for key, names in _ALIASES.items():
        name = getattr(options, key)
        if name != getattr(defaults, key) or name in index:
            continue
        for alias in names:
            if alias in index and alias not in taken:
                found[key] = alias
                taken.add(alias)
                break
    if not found:
        return options
    problems.note(
        "reading "
        + ", ".join(f"{column!r} as {key}" for key, column in found.items())
        + " (roomwatch import csv --column FIELD=HEADER reads others)"
    )
    return dataclasses.replace(options, **found)


def iter_csv(
    path: str | os.PathLike[str], room: str | None, problems: Problems, options: CsvOptions
) -> Iterator[tuple[int, dict[str, Any]]]:
    encoding = _encoding(path, options, problems)
    with open_binary(path) as raw_fh:
        text_fh = io.TextIOWrapper(raw_fh, encoding=encoding, errors="replace", newline="")
        reader = csv.reader(text_fh, delimiter=options.delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except (csv.Error, EOFError) as exc:
            raise RecordingError(f"{problems.name}: cannot read the CSV header: {exc}") from None
        index = {name.strip(): i for i, name in enumerate(header)}
        options = _with_aliases(options, index, problems)
        if options.text not in index:
            raise RecordingError(
                f"{problems.name}: the header has no {options.text!r} column "
                f"(columns: {', '.join(header)}); roomwatch import csv FILE --column "
                f"text=HEADER reads another column"
            )
        if options.ts not in index:
            # Every row would be skipped for want of a time: say so once.
            raise RecordingError(
                f"{problems.name}: the header has no {options.ts!r} column "
                f"(columns: {', '.join(header)}); every comment needs a time "
                f"(roomwatch import csv FILE --column ts=HEADER reads another column)"
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
                    record["amount"] = finite(amount, "amount")
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
