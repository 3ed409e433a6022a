"""Reading recordings: JSON Lines files, plain or gzip-compressed.

A recording is one record per line (see :mod:`roomwatch.core.record`). The
recorder sink writes them as ``.jsonl`` and compresses closed files to
``.jsonl.gz``. This module reads them back, streaming, in bounded memory:

* plain ``.jsonl``;
* ``.gz`` (recognised by its magic bytes, whatever the name), including a
  concatenation of gzip members (``cat a.gz b.gz``) and a gzip file cut short
  by a crash: everything that decompresses is yielded, then a warning names
  the file;
* a final line without a trailing newline that is not valid JSON is the
  partial line a crash leaves behind: it is skipped with a warning naming the
  file and the line.

Lines are yielded as raw bytes, undecoded and unvalidated, with their 1-based
line number; the caller parses them (``parse_json``) and counts rejects. Blank
lines are skipped silently; a line longer than ``max_line_bytes`` is skipped
with a warning, so a corrupt file can never make the reader hold it whole.

:func:`iter_records` also accepts files the importers understand (Bilibili and
BililiveRecorder danmaku XML, CSV), recognised by :func:`sniff`, and yields
ready record dicts for those, so ``replay`` can take them directly.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from roomwatch.errors import RoomwatchError

if TYPE_CHECKING:
    from roomwatch.importers import CsvOptions

__all__ = [
    "FORMATS",
    "MAX_LINE_BYTES",
    "RecordingError",
    "iter_lines",
    "iter_records",
    "open_binary",
    "sniff",
]

#: What :func:`sniff` can return.
FORMATS: Final = ("jsonl", "bilibili-xml", "bililiverecorder-xml", "csv")
#: Lines longer than this are skipped (records are capped at 64 KiB anyway).
MAX_LINE_BYTES: Final = 1024 * 1024

_CHUNK: Final = 256 * 1024
_GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"

Warn = Callable[[str], None]


class RecordingError(RoomwatchError):
    """A recording or import file cannot be read at all (missing, unknown format)."""


def _ignore(message: str) -> None:
    pass


def iter_lines(
    path: str | os.PathLike[str],
    *,
    on_warning: Warn | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, raw line)`` for each non-blank line of a recording.

    The line has no trailing newline (nor ``\\r``). Works on plain and gzip
    files alike; see the module docstring for how damaged files are handled.
    Raises :class:`RecordingError` if the file cannot be opened.
    """
    warn = on_warning or _ignore
    name = os.fspath(path)
    try:
        fh = open(name, "rb")  # noqa: SIM115 - closed by the generator below
    except OSError as exc:
        raise RecordingError(f"{name}: cannot open the recording: {exc.strerror}") from None
    with fh:
        head = fh.read(2)
        fh.seek(0)
        chunks = _gunzip_chunks(fh, name, warn) if head == _GZIP_MAGIC else _raw_chunks(fh)
        yield from _split_lines(chunks, name, warn, max_line_bytes)


def _raw_chunks(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(_CHUNK):
        yield chunk


def _gunzip_chunks(fh: BinaryIO, name: str, warn: Warn) -> Iterator[bytes]:
    """Decompress one or more concatenated gzip members, tolerating truncation."""
    decomp = zlib.decompressobj(wbits=31)
    in_member = False  # fed at least one byte of a member that has not ended
    pending = b""  # compressed bytes still to feed
    offset = 0  # compressed bytes consumed, for messages
    while True:
        if not pending:
            pending = fh.read(_CHUNK)
            if not pending:
                break
        if not in_member:
            # Between members: skip the zero padding some tools append.
            stripped = pending.lstrip(b"\x00")
            offset += len(pending) - len(stripped)
            pending = stripped
            if not pending:
                continue
            if len(pending) < 2:
                more = fh.read(_CHUNK)
                if more:
                    pending += more
                    continue
            if pending[:2] != _GZIP_MAGIC:
                warn(
                    f"{name}: ignoring {_describe_tail(fh, len(pending))} of trailing "
                    f"data that is not gzip, after byte {offset}"
                )
                return
        in_member = True
        try:
            # Cap the output per call so a zip bomb cannot balloon memory.
            out = decomp.decompress(pending, _CHUNK)
        except zlib.error as exc:
            warn(
                f"{name}: the gzip data is corrupt near byte {offset} ({exc}); "
                "the lines before it were read"
            )
            return
        consumed = len(pending) - len(decomp.unconsumed_tail)
        if decomp.eof:
            consumed = len(pending) - len(decomp.unused_data)
        offset += consumed
        pending = pending[consumed:]
        if out:
            yield out
        if decomp.eof:
            in_member = False
            decomp = zlib.decompressobj(wbits=31)
    # Flush whatever the decompressor still holds back.
    try:
        rest = decomp.flush()
    except zlib.error:
        rest = b""
    if rest:
        yield rest
    if in_member and not decomp.eof:
        warn(
            f"{name}: the gzip stream ends early (the file was cut short, e.g. by a "
            "crash); the lines decompressed before the cut were read"
        )


def _describe_tail(fh: BinaryIO, pending: int) -> str:
    try:
        rest = os.fstat(fh.fileno()).st_size - fh.tell() + pending
    except OSError:
        return "the rest"
    return f"{rest} bytes"


def _split_lines(
    chunks: Iterator[bytes], name: str, warn: Warn, max_line_bytes: int
) -> Iterator[tuple[int, bytes]]:
    lineno = 0
    buf = b""
    skipping = False  # inside an over-long line, dropping until its newline
    first = True
    for chunk in chunks:
        if first:
            first = False
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
        if buf:
            chunk = buf + chunk
        parts = chunk.split(b"\n")
        buf = parts.pop()
        for part in parts:
            lineno += 1
            if skipping:
                skipping = False
                continue
            if part.endswith(b"\r"):
                part = part[:-1]
            if len(part) > max_line_bytes:
                _warn_long(warn, name, lineno, max_line_bytes)
                continue
            if part.strip():
                yield lineno, part
        if len(buf) > max_line_bytes:
            if not skipping:
                _warn_long(warn, name, lineno + 1, max_line_bytes)
                skipping = True
            buf = b""
    if skipping or not buf.strip():
        return
    lineno += 1
    last = buf[:-1] if buf.endswith(b"\r") else buf
    if _is_json(last):
        yield lineno, last
    else:
        warn(
            f"{name}: line {lineno} is incomplete (no newline and not valid JSON, "
            "as a crash mid-write leaves it); skipped"
        )


def _warn_long(warn: Warn, name: str, lineno: int, limit: int) -> None:
    warn(f"{name}: line {lineno} is longer than {limit} bytes; skipped")


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True


def open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing it if it is gzip.

    Used by the importers; reading past a cut-short gzip raises ``EOFError``.
    """
    import gzip

    name = os.fspath(path)
    try:
        fh = open(name, "rb")  # noqa: SIM115 - returned to the caller
    except OSError as exc:
        raise RecordingError(f"{name}: cannot open the file: {exc.strerror}") from None
    try:
        is_gzip = fh.read(2) == _GZIP_MAGIC
        fh.seek(0)
    except OSError as exc:
        fh.close()
        raise RecordingError(f"{name}: cannot read the file: {exc.strerror}") from None
    if not is_gzip:
        return fh
    fh.close()
    # gzip.open owns (and closes) its file, unlike GzipFile(fileobj=...).
    return gzip.open(name, "rb")  # type: ignore[return-value]


def sniff(path: str | os.PathLike[str]) -> str:
    """Tell what kind of file ``path`` is: one of :data:`FORMATS`.

    Goes by the extension (``.jsonl``, ``.ndjson``, ``.xml``, ``.csv``, ``.tsv``,
    each optionally ``.gz``) and the first bytes. Raises
    :class:`RecordingError` when neither tells.
    """
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    ext = suffixes[-1] if suffixes else ""
    with open_binary(p) as fh:
        try:
            head = fh.read(8192)
        except (OSError, EOFError) as exc:
            raise RecordingError(f"{p}: cannot read the file: {exc}") from None
    text = head.removeprefix(_BOM).lstrip()
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if ext in (".csv", ".tsv"):
        return "csv"
    if ext == ".xml" or text.startswith(b"<"):
        return "bililiverecorder-xml" if b"<BililiveRecorder" in head else "bilibili-xml"
    if text.startswith(b"{") or not text:
        return "jsonl"
    if b"," in text.split(b"\n", 1)[0] or b"\t" in text.split(b"\n", 1)[0]:
        return "csv"
    raise RecordingError(
        f"{p}: cannot tell the format from the name or the first bytes; "
        f"expected one of {', '.join(FORMATS)}"
    )


def _is_tsv(path: str | os.PathLike[str]) -> bool:
    name = os.fspath(path).lower().removesuffix(".gz")
    return name.endswith(".tsv")


def iter_records(
    path: str | os.PathLike[str],
    *,
    room: str | None = None,
    on_warning: Warn | None = None,
    csv_options: Mapping[str, Any] | CsvOptions | None = None,
) -> Iterator[tuple[int, bytes | dict[str, Any]]]:
    """Yield the records of any file roomwatch can read, streaming.

    A JSON Lines recording yields ``(line number, raw line bytes)`` exactly as
    :func:`iter_lines` (``room`` is ignored: recorded lines carry their own).
    An importer file (see :func:`sniff`) yields ``(position, record dict)``,
    where position is the line (CSV) or element number (XML), and ``room``
    names or overrides the room. ``csv_options`` (a
    :class:`~roomwatch.importers.CsvOptions` or a mapping of its fields) say
    how to read a CSV file; a ``.tsv`` file defaults to tab-delimited.
    """
    kind = sniff(path)
    if kind == "jsonl":
        yield from iter_lines(path, on_warning=on_warning)
        return
    from roomwatch import importers

    options: importers.CsvOptions | None = None
    if kind == "csv":
        if isinstance(csv_options, importers.CsvOptions):
            options = csv_options
        else:
            fields = dict(csv_options or {})
            if _is_tsv(path):
                fields.setdefault("delimiter", "\t")
            try:
                options = importers.CsvOptions(**fields)
            except TypeError as exc:
                raise RecordingError(f"bad CSV option: {exc}") from None
    yield from importers.iter_import(
        kind, path, room=room, on_warning=on_warning, csv_options=options
    )
