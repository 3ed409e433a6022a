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

Modules
    :mod:`~roomwatch.recordings.files` opening (plain or gzip) and
    :func:`sniff`; :mod:`~roomwatch.recordings.jsonl` :func:`iter_lines`;
    :mod:`~roomwatch.recordings.importers` one module per foreign format;
    :mod:`~roomwatch.recordings.read` :func:`iter_records` over all of them;
    :mod:`~roomwatch.recordings.cli` the ``roomwatch import`` subcommand.
"""

from roomwatch.recordings.errors import RecordingError
from roomwatch.recordings.files import FORMATS, open_binary, sniff
from roomwatch.recordings.jsonl import MAX_LINE_BYTES, iter_lines
from roomwatch.recordings.read import iter_records

__all__ = [
    "FORMATS",
    "MAX_LINE_BYTES",
    "RecordingError",
    "iter_lines",
    "iter_records",
    "open_binary",
    "sniff",
]
