"""Opening any file roomwatch reads (plain or gzip) and telling its format by name and bytes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Final

from roomwatch.recordings.errors import RecordingError

__all__ = ["BOM", "FORMATS", "GZIP_MAGIC", "open_binary", "sniff"]

#: What :func:`sniff` can return.
FORMATS: Final = ("jsonl", "bilibili-xml", "bililiverecorder-xml", "csv")

GZIP_MAGIC: Final = b"\x1f\x8b"
BOM: Final = b"\xef\xbb\xbf"


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
        is_gzip = fh.read(2) == GZIP_MAGIC
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
    text = head.removeprefix(BOM).lstrip()
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
