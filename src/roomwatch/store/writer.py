"""The store's one worker thread and its write path: opening, batching, flushing, closing.

Threading
    The store owns one worker thread (a single-thread executor) that holds
    the only connection. Every public coroutine runs its SQL there, so the
    event loop never waits on the disk. Work submitted to that thread runs in
    submission order.

Awaited and fire-and-forget writes
    Awaited writes go through :meth:`StoreWriter._write`, which raises
    :class:`~roomwatch.store.errors.StoreError` if the row was not committed.
    Fire-and-forget rows go through :meth:`StoreWriter._enqueue`, which never
    raises: a background task writes the backlog in one transaction every
    ``flush_interval_s`` or as soon as ``batch_rows`` rows are waiting. Reads
    (:meth:`StoreWriter._run`) write the backlog first.

The tables' writes and queries are in :mod:`roomwatch.store.audit`,
:mod:`~roomwatch.store.alerts`, :mod:`~roomwatch.store.actions` and
:mod:`~roomwatch.store.feedback`; :class:`roomwatch.store.Store` combines them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

from prometheus_client import CollectorRegistry

from roomwatch.core.log_throttle import LogThrottle
from roomwatch.metrics import StoreMetrics
from roomwatch.store.errors import DROP_REASONS, ERROR_TYPES, StoreError, error_type
from roomwatch.store.params import TABLE_OF
from roomwatch.store.schema import TABLES, connect

__all__ = ["Sink", "StoreWriter", "open_sink"]

logger = logging.getLogger("roomwatch.store")

_T = TypeVar("_T")

_Pending = tuple[str, tuple[Any, ...]]
Sink = str | PathLike[str] | IO[str]


@contextlib.contextmanager
def open_sink(sink: Sink, *, bom: bool) -> Iterator[IO[str]]:
    """A text handle on ``sink``: a path is opened (and closed) here, a handle is borrowed."""
    if isinstance(sink, (str, PathLike)):
        path = Path(sink)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            yield fh
    else:
        if bom:
            sink.write("\ufeff")
        yield sink


class StoreWriter:
    """The connection, its worker thread and the write backlog; the base of :class:`Store`.

    Build a store with ``await Store.open(path, registry=...)``.
    """

    def __init__(
        self,
        path: Path,
        *,
        metrics: StoreMetrics,
        executor: ThreadPoolExecutor,
        conn: sqlite3.Connection,
        clock: Callable[[], float],
        flush_interval_s: float,
        batch_rows: int,
        max_backlog: int,
    ) -> None:
        """Use :meth:`open`; this only wires already-opened parts together."""
        self.path = path
        self.metrics = metrics
        self._executor = executor
        self._conn = conn
        self._clock = clock
        self._flush_interval_s = flush_interval_s
        self._batch_rows = batch_rows
        self._max_backlog = max_backlog
        self._pending: list[_Pending] = []
        self._error_log = LogThrottle(60.0)
        self._wake = asyncio.Event()
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._flusher = self._loop.create_task(self._flush_loop(), name="roomwatch-store-flush")
        metrics.backlog.set_function(lambda: len(self._pending))

    # -- lifecycle -------------------------------------------------------

    @classmethod
    async def open(
        cls: type[Self],
        path: str | PathLike[str],
        *,
        registry: CollectorRegistry | None = None,
        metrics: StoreMetrics | None = None,
        clock: Callable[[], float] = time.time,
        flush_interval_s: float = 0.2,
        batch_rows: int = 500,
        max_backlog: int = 50_000,
        busy_timeout_s: float = 5.0,
        integrity_check: bool = True,
    ) -> Self:
        """Open (creating if needed) and migrate the store at ``path``.

        Pass ``registry`` (the store declares its metrics on it) or an existing
        ``metrics`` (two stores in one process sharing a registry). Raises
        :class:`StoreError` if the file cannot be created, is not a SQLite
        database, is corrupt, is read-only, or has a newer schema.
        """
        if metrics is None:
            if registry is None:
                raise TypeError("Store.open() needs registry= or metrics=")
            metrics = StoreMetrics(
                registry, tables=TABLES, error_types=ERROR_TYPES, drop_reasons=DROP_REASONS
            )
        if flush_interval_s <= 0 or batch_rows < 1 or max_backlog < 1:
            raise ValueError("flush_interval_s, batch_rows and max_backlog must be positive")
        db_path = Path(path)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomwatch-store")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(
                executor, connect, db_path, busy_timeout_s, integrity_check
            )
        except BaseException as exc:
            executor.shutdown(wait=False)
            if isinstance(exc, StoreError):
                metrics.errors.labels(exc.type).inc()
            raise
        return cls(
            db_path,
            metrics=metrics,
            executor=executor,
            conn=conn,
            clock=clock,
            flush_interval_s=flush_interval_s,
            batch_rows=batch_rows,
            max_backlog=max_backlog,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def backlog(self) -> int:
        """Fire-and-forget rows not yet handed to the worker thread."""
        return len(self._pending)

    async def close(self) -> None:
        """Write the backlog, close the connection and stop the worker. Idempotent."""
        if self._close_task is None:
            self._closed = True
            self._close_task = asyncio.ensure_future(self._close())
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        self._flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._flusher
        batch, self._pending = self._pending, []
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._shutdown_conn, batch)
        finally:
            self._executor.shutdown(wait=True)

    def _shutdown_conn(self, batch: list[_Pending]) -> None:
        self._write_batch(batch)
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA optimize")
        try:
            self._conn.close()
        except sqlite3.Error as exc:  # pragma: no cover - close hardly fails
            self._count_error(exc, "close")

    async def flush(self) -> None:
        """Write every row submitted so far; returns when they are committed (or dropped)."""
        await self._run(lambda: None)

    # -- plumbing --------------------------------------------------------

    async def _run(self, fn: Callable[[], _T]) -> _T:
        """Run ``fn`` on the worker thread after writing the backlog."""
        if self._closed:
            raise StoreError("the store is closed", type="other")
        batch, self._pending = self._pending, []

        def job() -> _T:
            self._write_batch(batch)
            return fn()

        return await self._loop.run_in_executor(self._executor, job)

    async def _write(self, what: str, fn: Callable[[], _T]) -> _T:
        """Run a write on the worker thread; count and wrap its failure."""

        def job() -> _T:
            try:
                return fn()
            except sqlite3.Error as exc:
                kind = self._count_error(exc, what)
                raise StoreError(f"store: {what} failed: {exc}", type=kind) from exc

        return await self._run(job)

    def _count_error(self, exc: BaseException, what: str) -> str:
        """Count a failure; log the first of each type, then one line per minute."""
        kind = error_type(exc)
        self.metrics.errors.labels(kind).inc()
        more = self._error_log.due(kind, time.monotonic())
        if more is not None:
            extra = f" (and {more} more since the last report)" if more else ""
            logger.warning("store: %s failed (%s): %s%s", what, kind, exc, extra)
        return kind

    def _enqueue(self, sql: str, build: Callable[[], tuple[Any, ...]]) -> bool:
        try:
            if self._closed:
                self.metrics.dropped.labels("closed").inc()
                return False
            if len(self._pending) >= self._max_backlog:
                self.metrics.dropped.labels("backlog_full").inc()
                return False
            params = build()
            self._pending.append((sql, params))
            if len(self._pending) >= self._batch_rows:
                self._wake.set()
            return True
        except Exception as exc:  # never raise into the pipeline
            self._count_error(exc, "submit")
            self.metrics.dropped.labels("invalid").inc()
            return False

    async def _flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._flush_interval_s):
                    await self._wake.wait()
            self._wake.clear()
            if not self._pending:
                continue
            batch, self._pending = self._pending, []
            try:
                await self._loop.run_in_executor(self._executor, self._write_batch, batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # pragma: no cover - the executor went away
                self._count_error(exc, "flush")
                self.metrics.dropped.labels("write_failed").inc(len(batch))

    def _write_batch(self, batch: list[_Pending]) -> None:
        """Commit ``batch`` in one transaction (worker thread). Never raises."""
        if not batch:
            return
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            counts = self._apply(batch)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if not isinstance(exc, sqlite3.IntegrityError | sqlite3.InterfaceError):
                self._count_error(exc, f"batch of {len(batch)} rows")
                self.metrics.dropped.labels("write_failed").inc(len(batch))
                return
            # One bad row: keep the others, row by row.
            counts = self._apply_one_by_one(batch)
        for table, n in counts.items():
            self.metrics.writes.labels(table).inc(n)

    def _apply(self, batch: list[_Pending]) -> dict[str, int]:
        counts: dict[str, int] = {}
        i = 0
        while i < len(batch):
            sql = batch[i][0]
            j = i
            while j < len(batch) and batch[j][0] == sql:
                j += 1
            self._conn.executemany(sql, [params for _, params in batch[i:j]])
            table = TABLE_OF[sql]
            counts[table] = counts.get(table, 0) + (j - i)
            i = j
        return counts

    def _apply_one_by_one(self, batch: list[_Pending]) -> dict[str, int]:
        counts: dict[str, int] = {}
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for sql, params in batch:
                conn.execute("SAVEPOINT row")
                try:
                    conn.execute(sql, params)
                except sqlite3.IntegrityError as exc:
                    conn.execute("ROLLBACK TO row")
                    self._count_error(exc, "row")
                    self.metrics.dropped.labels("row_rejected").inc()
                else:
                    counts[TABLE_OF[sql]] = counts.get(TABLE_OF[sql], 0) + 1
                conn.execute("RELEASE row")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            self._count_error(exc, "batch retry")
            self.metrics.dropped.labels("write_failed").inc(len(batch))
            return {}
        return counts

    def _read(self, sql: str, params: Sequence[object]) -> list[sqlite3.Row]:
        return self._conn.execute(sql, params).fetchall()

    async def _export(self, what: str, job: Callable[[], int]) -> int:
        def guarded() -> int:
            try:
                return job()
            except (sqlite3.Error, OSError) as exc:
                kind = self._count_error(exc, what)
                raise StoreError(f"store: {what} failed: {exc}", type=kind) from exc

        return await self._run(guarded)
