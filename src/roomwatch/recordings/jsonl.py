"""Reading JSON Lines recordings, plain or gzip-compressed, streaming and in bounded memory.

The recorder sink writes them as ``.jsonl`` and compresses closed files to
``.jsonl.gz``. See :mod:`roomwatch.recordings` for how damaged files are
handled.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from typing import BinaryIO, Final

from roomwatch.recordings.errors import RecordingError, Skip, Warn, ignore
from roomwatch.recordings.files import BOM, GZIP_MAGIC

__all__ = ["MAX_LINE_BYTES", "iter_lines"]

#: Lines longer than this are skipped (records are capped at 64 KiB anyway).
MAX_LINE_BYTES: Final = 1024 * 1024

_CHUNK: Final = 256 * 1024


def iter_lines(
    path: str | os.PathLike[str],
    *,
    on_warning: Warn | None = None,
    on_skip: Skip | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, raw line)`` for each non-blank line of a recording.

    The line has no trailing newline (nor ``\\r``). Works on plain and gzip
    files alike; see the module docstring for how damaged files are handled.
    Raises :class:`RecordingError` if the file cannot be opened. ``on_skip``
    is called once per line skipped (``too_long``, ``incomplete``).
    """
    warn = on_warning or ignore
    skip = on_skip or ignore
    name = os.fspath(path)
    try:
        fh = open(name, "rb")  # noqa: SIM115 - closed by the generator below
    except OSError as exc:
        raise RecordingError(f"{name}: cannot open the recording: {exc.strerror}") from None
    with fh:
        head = fh.read(2)
        fh.seek(0)
        chunks = _gunzip_chunks(fh, name, warn) if head == GZIP_MAGIC else _raw_chunks(fh)
        yield from _split_lines(chunks, name, warn, skip, max_line_bytes)


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
            if pending[:2] != GZIP_MAGIC:
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
    chunks: Iterator[bytes], name: str, warn: Warn, skip: Skip, max_line_bytes: int
) -> Iterator[tuple[int, bytes]]:
    lineno = 0
    buf = b""
    skipping = False  # inside an over-long line, dropping until its newline
    first = True
    for chunk in chunks:
        if first:
            first = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
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
                skip("too_long")
                continue
            if part.strip():
                yield lineno, part
        if len(buf) > max_line_bytes:
            if not skipping:
                _warn_long(warn, name, lineno + 1, max_line_bytes)
                skip("too_long")
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
        skip("incomplete")


def _warn_long(warn: Warn, name: str, lineno: int, limit: int) -> None:
    warn(f"{name}: line {lineno} is longer than {limit} bytes; skipped")


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True
