"""The recorder sink: every raw incoming record, per room, as JSON Lines.

Each record is written exactly as it was received (its JSON text, one line;
a raw newline, which in valid JSON can only be whitespace, becomes a space) to

    ``<directory>/<room-slug>/<room-slug>-<UTC start time>.jsonl``

where the slug is the room name made filesystem-safe (ASCII letters, digits,
``-`` and ``_``, at most 40 characters) plus ``-`` and 10 hex digits of the
room's SHA-256, so two rooms never share a folder. The start time is written
``20251126T120000.250Z``; a second file opened in the same millisecond gets
``_0001`` appended, so a room's file names sort in the order they were
written. The files are read back by :mod:`roomwatch.recordings` and replayed
by the ``replay`` source.

Durability
    :meth:`Recorder.write` only appends to an in-memory buffer; a background
    task writes the buffer out every ``flush_interval_s`` (default **1 s**),
    in a worker thread so a slow disk never stalls the event loop. Each flush
    writes whole lines with ``os.write`` on an ``O_APPEND`` descriptor (and
    ``fsync``s it when ``fsync=True``). So after a crash or ``kill -9`` a file
    is readable up to the last flush: **at most the last ``flush_interval_s``
    of records is lost**, plus at most one final partial line if the kill
    landed inside a write, which :func:`roomwatch.recordings.iter_lines` skips
    with a warning. (``fsync=False`` survives a process crash; surviving a
    power loss needs ``fsync=True``.)

Open files
    At most ``max_open_files`` descriptors are held (an LRU by last write).
    A room's file beyond that is *parked*: its descriptor is closed after a
    flush, and the next write opens the same file again with ``O_APPEND``, so
    a room keeps one file per rotation however many rooms there are, and the
    guarantees below are unchanged (every flush still ends in whole lines).
    If opening fails with ``EMFILE``/``ENFILE`` (the process is out of
    descriptors), the recorder parks the open files it holds and tries once
    more before counting the records as dropped.

Rotation and compression
    A file is closed when the next batch would take it past ``max_bytes`` or
    when it is ``max_age_s`` old (checked at every flush, data or not), and on
    :meth:`Recorder.aclose`. A closed file is gzip-compressed in a worker
    thread to ``.jsonl.gz`` and the plain file removed. On start, plain
    ``.jsonl`` files left by a crash are compressed the same way (they stay
    readable as they are until then); files another live recorder holds
    (``flock``) are left alone. A parked file (see above) holds no lock:
    run one recorder per folder.

Errors
    Disk-full, permission and other ``OSError`` never escape: each is counted
    as an error of the ``recorder`` component (``error_type`` ``disk_full``,
    ``permission`` or ``io``, see :mod:`roomwatch.metrics`) and reported to
    ``on_error`` (the first of each reason at once, then at most one summary
    per ``error_report_interval_s``). Records that cannot be written are
    dropped and counted as discarded events of the ``recorder`` component, by
    reason; the buffer is capped at ``max_buffer_bytes``, so memory stays
    bounded when the disk is stuck.

Modules
    :mod:`~roomwatch.sinks.recorder.sink` the :class:`Recorder` (buffer,
    flush task, per-room files, rotation); :mod:`~roomwatch.sinks.recorder.files`
    what is done to a file on disk (naming, locking, compressing, finding
    leftovers); :mod:`~roomwatch.sinks.recorder.errors` the reasons its
    errors and drops are counted under (the metrics are in
    :mod:`roomwatch.metrics`).
"""

from roomwatch.sinks.recorder.errors import DROP_REASONS, ERROR_REASONS
from roomwatch.sinks.recorder.files import room_slug
from roomwatch.sinks.recorder.sink import Recorder

__all__ = [
    "DROP_REASONS",
    "ERROR_REASONS",
    "Recorder",
    "room_slug",
]
