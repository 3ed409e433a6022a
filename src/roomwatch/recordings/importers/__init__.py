"""Importers: turn other tools' comment logs into roomwatch records.

Three formats, each read streaming in bounded memory, one module each (the
mapping of each format's fields is documented there):

``bilibili-xml`` (:mod:`~roomwatch.recordings.importers.bilibili`)
    Bilibili's video danmaku XML.
``bililiverecorder-xml`` (:mod:`~roomwatch.recordings.importers.bililiverecorder`)
    The live danmaku XML that BililiveRecorder (B站录播姬) writes beside a
    recording, with super chats, gifts and guards.
``csv`` (:mod:`~roomwatch.recordings.importers.csvfile`)
    A header row, then one comment per row; columns, delimiter and time
    format are set with :class:`CsvOptions`.

Every record is validated with :meth:`Comment.from_dict` before it is yielded,
so what comes out is always a valid record dict. A malformed element or row is
skipped, counted and reported through ``on_warning`` (the first
:data:`MAX_DETAILED_WARNINGS` one by one, then a summary); it never stops the
import. A file that cannot be read at all raises
:class:`~roomwatch.recordings.errors.RecordingError`.

The XML importers share :mod:`~roomwatch.recordings.importers.xmlstream`
(expat, event by event, no tree; a document type declaration is refused);
all share :mod:`~roomwatch.recordings.importers.common`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Final

from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.recordings.errors import RecordingError, Skip, Warn
from roomwatch.recordings.importers.bilibili import iter_bilibili
from roomwatch.recordings.importers.bililiverecorder import iter_bililiverecorder
from roomwatch.recordings.importers.common import MAX_DETAILED_WARNINGS, Problems
from roomwatch.recordings.importers.csvfile import CsvOptions, iter_csv

__all__ = [
    "IMPORT_KINDS",
    "MAX_DETAILED_WARNINGS",
    "CsvOptions",
    "import_file",
    "iter_import",
]

IMPORT_KINDS: Final = ("bilibili-xml", "bililiverecorder-xml", "csv")


def iter_import(
    kind: str,
    path: str | os.PathLike[str],
    /,
    *,
    room: str | None = None,
    on_warning: Warn | None = None,
    on_skip: Skip | None = None,
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
    problems = Problems(name, on_warning, on_skip)
    if room is not None and not room.strip():
        raise RecordingError("room must not be blank")
    items: Iterator[tuple[int, dict[str, Any]]]
    if kind == "bilibili-xml":
        items = iter_bilibili(path, room, problems)
    elif kind == "bililiverecorder-xml":
        items = iter_bililiverecorder(path, room, problems)
    elif kind == "csv":
        if csv_options is None:
            try:
                csv_options = CsvOptions(**csv_fields)
            except TypeError as exc:
                raise RecordingError(f"bad CSV option: {exc}") from None
        items = iter_csv(path, room, problems, csv_options)
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
    on_skip: Skip | None = None,
    csv_options: CsvOptions | None = None,
    **csv_fields: Any,
) -> Iterator[dict[str, Any]]:
    """Yield the record dicts of ``path``; see :func:`iter_import`."""
    for _, record in iter_import(
        kind,
        path,
        room=room,
        on_warning=on_warning,
        on_skip=on_skip,
        csv_options=csv_options,
        **csv_fields,
    ):
        yield record


# --------------------------------------------------------------------------- CLI
