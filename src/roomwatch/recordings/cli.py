"""``roomwatch import``: convert another tool's comment log into a JSON Lines recording."""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from roomwatch.recordings.errors import RecordingError, by_reason
from roomwatch.recordings.importers import IMPORT_KINDS, CsvOptions, import_file

__all__ = ["add_parser", "run"]


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

    skipped: Counter[str] = Counter()

    def skip(reason: str) -> None:
        skipped[reason] += 1

    try:
        options = _csv_options_from_args(args) if args.format == "csv" else None
        records = _with_progress(
            import_file(
                args.format,
                args.file,
                room=args.room,
                on_warning=warn,
                on_skip=skip,
                csv_options=options,
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
    not_read = f"; {sum(skipped.values())} skipped ({by_reason(skipped)})" if skipped else ""
    print(f"roomwatch import: {count} records imported{not_read}", file=out_err)
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
