"""One entry point for every file ``replay`` and ``report`` take: recordings and imports."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from roomwatch.recordings.errors import RecordingError, Skip, Warn
from roomwatch.recordings.files import sniff
from roomwatch.recordings.importers import iter_import
from roomwatch.recordings.importers.csvfile import CsvOptions
from roomwatch.recordings.jsonl import iter_lines

__all__ = ["iter_records"]


def _is_tsv(path: str | os.PathLike[str]) -> bool:
    name = os.fspath(path).lower().removesuffix(".gz")
    return name.endswith(".tsv")


def iter_records(
    path: str | os.PathLike[str],
    *,
    room: str | None = None,
    on_warning: Warn | None = None,
    on_skip: Skip | None = None,
    csv_options: Mapping[str, Any] | CsvOptions | None = None,
) -> Iterator[tuple[int, bytes | dict[str, Any]]]:
    """Yield the records of any file roomwatch can read, streaming.

    A JSON Lines recording yields ``(line number, raw line bytes)`` exactly as
    :func:`iter_lines` (``room`` is ignored: recorded lines carry their own).
    An importer file (see :func:`sniff`) yields ``(position, record dict)``,
    where position is the line (CSV) or element number (XML), and ``room``
    names or overrides the room. ``csv_options`` (a
    :class:`~roomwatch.recordings.importers.CsvOptions` or a mapping of its fields) say
    how to read a CSV file; a ``.tsv`` file defaults to tab-delimited.
    ``on_skip`` is called with a reason for each line or element that could
    not be read and was skipped (past the detailed warnings too).
    """
    kind = sniff(path)
    if kind == "jsonl":
        yield from iter_lines(path, on_warning=on_warning, on_skip=on_skip)
        return
    options: CsvOptions | None = None
    if kind == "csv":
        if isinstance(csv_options, CsvOptions):
            options = csv_options
        else:
            fields = dict(csv_options or {})
            if _is_tsv(path):
                fields.setdefault("delimiter", "\t")
            try:
                options = CsvOptions(**fields)
            except TypeError as exc:
                raise RecordingError(f"bad CSV option: {exc}") from None
    yield from iter_import(
        kind, path, room=room, on_warning=on_warning, on_skip=on_skip, csv_options=options
    )
