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
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gzip
import hashlib
import os
import re
import shutil
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from prometheus_client import CollectorRegistry

from roomwatch.metrics import RecorderMetrics

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DROP_REASONS",
    "ERROR_REASONS",
    "Recorder",
    "RecorderMetrics",
    "room_slug",
]

#: The recorder's ``error_type`` values in ``roomwatch_component_errors_total``.
ERROR_REASONS: Final = ("disk_full", "permission", "io")
#: The recorder's ``reason`` values in ``roomwatch_component_discarded_events_total``.
DROP_REASONS: Final = ("write_failed", "buffer_full", "closed")

_SLUG_CHARS: Final = re.compile(r"[^A-Za-z0-9_-]+")
_SLUG_MAX: Final = 40
_STALE_TMP_S: Final = 3600.0
_COPY_CHUNK: Final = 1024 * 1024


def room_slug(room: str) -> str:
    """A filesystem-safe, collision-free folder and file prefix for ``room``."""
    digest = hashlib.sha256(room.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    readable = _SLUG_CHARS.sub("_", room).strip("_-")[:_SLUG_MAX].rstrip("_-")
    return f"{readable or 'room'}-{digest}"


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk_full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission"
    return "io"


@dataclass(slots=True)
class _OpenFile:
    """The file a room is being recorded to. Touched only under the flush lock."""

    path: Path
    fd: int  # -1 while parked (closed, to be opened again on the next write)
    opened_at: float
    size: int = 0


@dataclass(frozen=True, slots=True)
class _Problem:
    reason: str
    message: str


class Recorder:
    """Writes raw records to per-room JSON Lines files; see the module docstring.

    Use as ``async with Recorder(directory, registry=...) as rec: rec.write(room, raw)``.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        registry: CollectorRegistry | None = None,
        metrics: RecorderMetrics | None = None,
        on_error: Callable[[str], None] | None = None,
        flush_interval_s: float = 1.0,
        max_bytes: int = 256 * 1024 * 1024,
        max_age_s: float = 3600.0,
        max_buffer_bytes: int = 64 * 1024 * 1024,
        fsync: bool = False,
        compress: bool = True,
        compress_leftovers: bool = True,
        error_report_interval_s: float = 60.0,
        clock: Callable[[], float] = time.time,
        max_open_files: int = 256,
    ) -> None:
        if flush_interval_s <= 0:
            raise ValueError("flush_interval_s must be positive")
        if max_open_files < 1:
            raise ValueError("max_open_files must be at least 1")
        if max_bytes <= 0 or max_age_s <= 0 or max_buffer_bytes <= 0:
            raise ValueError("max_bytes, max_age_s and max_buffer_bytes must be positive")
        if metrics is None:
            metrics = RecorderMetrics(
                registry if registry is not None else CollectorRegistry(),
                error_reasons=ERROR_REASONS,
                drop_reasons=DROP_REASONS,
            )
        self.directory = Path(directory)
        self.metrics = metrics
        self.flush_interval_s = flush_interval_s
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.max_buffer_bytes = max_buffer_bytes
        self.fsync = fsync
        self.compress = compress
        self.compress_leftovers = compress_leftovers
        self.error_report_interval_s = error_report_interval_s
        self._on_error = on_error
        self._clock = clock
        self.max_open_files = max_open_files

        self._buffers: dict[str, list[bytes]] = {}
        self._buffered = 0
        #: Every room's current file, least recently written first.
        self._files: OrderedDict[str, _OpenFile] = OrderedDict()
        #: The files holding a descriptor, least recently written first, so
        #: parking one never walks past the files already parked.
        self._held: OrderedDict[str, _OpenFile] = OrderedDict()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._compressions: set[asyncio.Future[None]] = set()
        self._closing = False
        self._closed = asyncio.Event()
        self._wake = asyncio.Event()
        self._last_report: dict[str, float] = {}
        self._unreported: dict[str, int] = {}
        #: Records written out so far (for tests and diagnostics).
        self.records_written = 0

    # ------------------------------------------------------------------ lifespan

    async def __aenter__(self) -> Recorder:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Start the flush task and compress files a crash left behind."""
        if self._task is not None or self._closing:
            return
        if self.compress and self.compress_leftovers:
            leftovers = await asyncio.to_thread(self._find_leftovers)
            for path in leftovers:
                self._schedule_compression(path)
        self._task = asyncio.create_task(self._run(), name="roomwatch-recorder-flush")

    async def aclose(self) -> None:
        """Flush, close and compress every file. Idempotent; safe to call twice."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        try:
            self._wake.set()
            if self._task is not None:
                # Let a flush in progress finish rather than cancelling it mid-write.
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            await self.flush()
            async with self._lock:
                closed = await asyncio.to_thread(self._close_all)
            for path in closed:
                self._schedule_compression(path)
            await self.wait_compressed()
        finally:
            self._closed.set()

    close = aclose

    async def wait_compressed(self) -> None:
        """Wait until every closed file scheduled so far is compressed."""
        while self._compressions:
            await asyncio.gather(*list(self._compressions), return_exceptions=True)

    # ------------------------------------------------------------------ writing

    def write(self, room: str, raw: str | bytes) -> None:
        """Buffer one raw record for ``room``. Never blocks, never raises for I/O."""
        if self._closing:
            self.metrics.dropped.labels("closed").inc()
            return
        data = raw.encode("utf-8", "replace") if isinstance(raw, str) else bytes(raw)
        if b"\n" in data or b"\r" in data:
            data = data.replace(b"\r", b" ").replace(b"\n", b" ")
        data = data.strip()
        if not data:
            return
        size = len(data) + 1
        if self._buffered + size > self.max_buffer_bytes:
            self.metrics.dropped.labels("buffer_full").inc()
            self._report(
                _Problem(
                    "buffer_full",
                    f"recorder buffer is full ({self.max_buffer_bytes} bytes); dropping records",
                )
            )
            return
        self._buffers.setdefault(room, []).append(data)
        self._buffered += size

    @property
    def buffered_bytes(self) -> int:
        return self._buffered

    @property
    def pending(self) -> bool:
        """Records buffered, or taken by a flush that is still writing them."""
        return bool(self._buffered) or self._lock.locked()

    @property
    def open_files(self) -> int:
        """Descriptors held right now (at most ``max_open_files``)."""
        return len(self._held)

    async def flush(self) -> None:
        """Write out everything buffered so far, and rotate files that are due."""
        async with self._lock:
            batches, self._buffers, self._buffered = self._buffers, {}, 0
            work = asyncio.get_running_loop().run_in_executor(None, self._write_batches, batches)
            try:
                result = await asyncio.shield(work)
            except asyncio.CancelledError:
                # The thread writes on regardless: keep the lock until it is done,
                # so no other flush touches the files meanwhile, then finish up.
                await _uncancellable(work)
                self._after_flush(*work.result())
                raise
        self._after_flush(*result)

    def _after_flush(self, problems: list[_Problem], rotated: list[Path], written: int) -> None:
        self.records_written += written
        for path in rotated:
            self._schedule_compression(path)
        for problem in problems:
            self._report(problem)

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_interval_s)
            if self._closing:
                return
            try:
                await self.flush()
            except Exception as exc:  # never let one bad flush stop recording
                self.metrics.errors.labels("io").inc()
                self._report(_Problem("io", f"recorder flush failed: {exc!r}"))

    # ------------------------------------------------------------------ worker thread

    def _write_batches(
        self, batches: dict[str, list[bytes]]
    ) -> tuple[list[_Problem], list[Path], int]:
        problems: list[_Problem] = []
        rotated: list[Path] = []
        written = 0
        now = self._clock()
        for room, opened in list(self._files.items()):
            if now - opened.opened_at >= self.max_age_s:
                rotated.extend(self._close_room(room))
        for room, lines in batches.items():
            i = 0
            while i < len(lines):
                current = self._files.get(room)
                try:
                    if current is None:
                        current = self._with_fds(self._open, room, now)
                    elif current.fd < 0:
                        current = self._with_fds(self._reopen, room, now)
                except OSError as exc:
                    problems.append(self._error(exc, f"cannot open a recording for {room!r}"))
                    self._drop(len(lines) - i)
                    break
                self._files.move_to_end(room)
                self._held.move_to_end(room)
                # Take as many whole lines as fit; always at least one into an empty file.
                room_left = self.max_bytes - current.size
                j, size = i, 0
                while j < len(lines) and (j == i or size + len(lines[j]) + 1 <= room_left):
                    size += len(lines[j]) + 1
                    j += 1
                if current.size and size > room_left:
                    rotated.extend(self._close_room(room))
                    continue
                chunk = b"\n".join(lines[i:j]) + b"\n"
                try:
                    self._write_all(current, chunk)
                except OSError as exc:
                    problems.append(self._error(exc, f"cannot write to {current.path}"))
                    self._drop(len(lines) - i)
                    rotated.extend(self._abandon(room))
                    break
                written += j - i
                self.metrics.records.inc(j - i)
                self.metrics.bytes.inc(len(chunk))
                i = j
                if current.size >= self.max_bytes:
                    rotated.extend(self._close_room(room))
        return problems, rotated, written

    def _with_fds(
        self, opener: Callable[[str, float], _OpenFile], room: str, now: float
    ) -> _OpenFile:
        """Open within ``max_open_files``; out of descriptors, park ours and retry once."""
        self._park(self.max_open_files - 1)
        try:
            return opener(room, now)
        except OSError as exc:
            if exc.errno not in (errno.EMFILE, errno.ENFILE) or not self._held:
                raise
        self._park(0)
        return opener(room, now)

    def _park(self, keep: int) -> None:
        """Close the least recently written descriptors until at most ``keep`` are open."""
        while len(self._held) > keep:
            _, opened = self._held.popitem(last=False)
            with contextlib.suppress(OSError):
                os.close(opened.fd)
            opened.fd = -1

    def _reopen(self, room: str, now: float) -> _OpenFile:
        """Open a parked file again, appending; a new file if it is gone."""
        opened = self._files[room]
        try:
            fd = os.open(opened.path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            del self._files[room]
            return self._open(room, now)
        self._lock_fd(fd)
        opened.fd = fd
        self._held[room] = opened
        return opened

    @staticmethod
    def _lock_fd(fd: int) -> None:
        if fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _open(self, room: str, now: float) -> _OpenFile:
        slug = room_slug(room)
        folder = self.directory / slug
        folder.mkdir(parents=True, exist_ok=True)
        when = datetime.fromtimestamp(now, UTC)
        stamp = when.strftime("%Y%m%dT%H%M%S") + f".{when.microsecond // 1000:03d}Z"
        for n in range(10_000):
            # "_0001" sorts after "." so names sort in the order files were opened.
            stem = f"{slug}-{stamp}" if n == 0 else f"{slug}-{stamp}_{n:04d}"
            path = folder / f"{stem}.jsonl"
            if (folder / f"{stem}.jsonl.gz").exists():
                continue
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            self._lock_fd(fd)
            opened = _OpenFile(path=path, fd=fd, opened_at=now)
            self._files[room] = opened
            self._held[room] = opened
            return opened
        raise OSError(errno.EEXIST, "no free file name", str(folder))

    def _write_all(self, current: _OpenFile, chunk: bytes) -> None:
        view = memoryview(chunk)
        start = current.size
        try:
            while view:
                n = os.write(current.fd, view)
                view = view[n:]
                current.size += n
            if self.fsync:
                os.fsync(current.fd)
        except OSError:
            # Take back a torn line so the lines before it stay a clean file.
            with contextlib.suppress(OSError):
                os.ftruncate(current.fd, start)
                current.size = start
            raise

    def _close_room(self, room: str) -> list[Path]:
        current = self._files.pop(room)
        if current.fd >= 0:
            self._held.pop(room, None)
            with contextlib.suppress(OSError):
                os.close(current.fd)
        self.metrics.rotations.inc()
        if current.size == 0:
            with contextlib.suppress(OSError):
                current.path.unlink()
            return []
        return [current.path]

    def _abandon(self, room: str) -> list[Path]:
        """Give up on a file after a write error; the next batch opens a new one."""
        return self._close_room(room)

    def _close_all(self) -> list[Path]:
        closed: list[Path] = []
        for room in list(self._files):
            closed.extend(self._close_room(room))
        return closed

    def _drop(self, n: int) -> None:
        if n > 0:
            self.metrics.dropped.labels("write_failed").inc(n)

    def _error(self, exc: OSError, what: str) -> _Problem:
        reason = _reason(exc)
        self.metrics.errors.labels(reason).inc()
        detail = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename else ""
        return _Problem(reason, f"recorder: {what}: {detail}{where}")

    def _find_leftovers(self) -> list[Path]:
        found: list[Path] = []
        try:
            folders = [p for p in self.directory.iterdir() if p.is_dir()]
        except OSError:
            return found
        now = time.time()
        for folder in folders:
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue
            for path in entries:
                name = path.name
                if name.endswith(".jsonl.gz.tmp"):
                    with contextlib.suppress(OSError):
                        if now - path.stat().st_mtime > _STALE_TMP_S:
                            path.unlink()
                elif name.endswith(".jsonl") and not _held_by_other(path):
                    found.append(path)
        return found

    # ------------------------------------------------------------------ compression

    def _schedule_compression(self, path: Path) -> None:
        if not self.compress:
            return
        future = asyncio.ensure_future(asyncio.to_thread(self._compress, path))
        self._compressions.add(future)
        future.add_done_callback(self._compression_done)

    def _compression_done(self, future: asyncio.Future[None]) -> None:
        self._compressions.discard(future)
        if future.cancelled():
            return
        exc = future.exception()
        if isinstance(exc, OSError):
            reason = _reason(exc)
            self.metrics.errors.labels(reason).inc()
            self._report(
                _Problem(
                    reason,
                    f"recorder: cannot compress {exc.filename or 'a closed recording'}: "
                    f"{exc.strerror or exc}; the plain file is kept",
                )
            )
        elif exc is not None:
            self.metrics.errors.labels("io").inc()
            self._report(_Problem("io", f"recorder: compression failed: {exc!r}"))

    def _compress(self, path: Path) -> None:
        target = path.with_name(path.name + ".gz")
        tmp = path.with_name(path.name + ".gz.tmp")
        try:
            with open(path, "rb") as src, open(tmp, "wb") as raw:
                with gzip.GzipFile(filename=path.name, fileobj=raw, mode="wb", mtime=0) as gz:
                    shutil.copyfileobj(src, gz, _COPY_CHUNK)
                if self.fsync:
                    raw.flush()
                    os.fsync(raw.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        path.unlink()

    # ------------------------------------------------------------------ reporting

    def _report(self, problem: _Problem) -> None:
        if self._on_error is None:
            return
        now = time.monotonic()
        last = self._last_report.get(problem.reason)
        if last is not None and now - last < self.error_report_interval_s:
            self._unreported[problem.reason] = self._unreported.get(problem.reason, 0) + 1
            return
        self._last_report[problem.reason] = now
        more = self._unreported.pop(problem.reason, 0)
        message = problem.message
        if more:
            message += f" (and {more} more {problem.reason} problems since the last report)"
        with contextlib.suppress(Exception):  # a broken callback must not stop recording
            self._on_error(message)


async def _uncancellable(future: asyncio.Future[Any]) -> None:
    while not future.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(future)


def _held_by_other(path: Path) -> bool:
    """True if another live process holds the recording's ``flock``."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
