"""The asyncio runner: batches comments through the CPU-heavy stages.

Sources ``await pipeline.put(comment, source)``; when the buffer is full they
wait (backpressure), so nothing is dropped silently. One consumer task takes
up to ``batch_max`` comments, waiting at most ``batch_wait_ms`` for a batch to
fill, and runs :class:`~roomwatch.core.analyze.Analyzer` in a worker thread so
the event loop keeps serving WebSocket clients meanwhile. Results reach the
outputs in input order.

Outputs are plain callables ``output(results)`` that must not block (the hub
buffers per client, writers in memory). Each result is a :class:`Verdict` or,
with ``keep_skips``, a :class:`Skipped` marker where a rejected or duplicate
record was, so ``replay --out`` writes exactly one line per input.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Final

from roomwatch.analysis_pool import AnalysisPool
from roomwatch.config import PipelineSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.dedupe import IdWindow
from roomwatch.core.errors import RecordError
from roomwatch.core.flood import FloodControl
from roomwatch.core.record import Comment
from roomwatch.core.result import Result, Skipped
from roomwatch.core.shed import OverloadGauge, Screen, ShedCount, Thinner, analyze_degraded
from roomwatch.core.verdict import Verdict
from roomwatch.metrics import Metrics
from roomwatch.overload import announce
from roomwatch.sources.timebound import Guard, guarded

__all__ = ["Output", "Pipeline"]

logger = logging.getLogger(__name__)


Output = Callable[[Sequence[Result]], None]

_STOP: Final = object()


def _room_removed(room: str) -> RecordError:
    return RecordError("room_removed", f"room {room[:128]!r} was removed at run time", field="room")


class Pipeline:
    """Bounded input buffer → batched analysis → ordered outputs."""

    def __init__(
        self,
        analyzer: Analyzer,
        settings: PipelineSettings,
        metrics: Metrics,
        *,
        outputs: Sequence[Output] = (),
        keep_skips: bool = False,
        executor: concurrent.futures.Executor | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        flood: FloodControl | None = None,
        dedupe: bool = True,
        wall: Callable[[], float] | None = None,
        pool: AnalysisPool | None = None,
    ) -> None:
        self._analyzer = analyzer
        #: Child processes that analyse (``pipeline.analysis_processes`` > 0);
        #: None: the worker thread runs the analyser itself.
        self._pool = pool
        self._settings = settings
        self._metrics = metrics
        self._outputs = list(outputs)
        self._keep_skips = keep_skips
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=settings.queue_max)
        #: Drops a record whose (room, id) was seen recently; None keeps every record.
        self._dedupe = IdWindow(settings.dedupe_window) if dedupe else None
        self._own_executor = executor is None
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="roomwatch-analyze"
        )
        self._monotonic = monotonic
        #: The wall clock that stamps live verdicts with their lag (serve);
        #: None: no lag (offline runs, where record time is not wall time).
        self._wall = wall
        self._flood = flood if flood is not None and flood.enabled else None
        self._task: asyncio.Task[None] | None = None
        self._emitter: asyncio.Task[None] | None = None
        self._closing = False
        self._processed = 0
        self._taps: list[Callable[[Comment], None]] = []
        self._children: dict[tuple[int, str], Any] = {}
        #: Checks (and stamps) each record's ts before it is accepted:
        #: ``guard(comment, source, trusted)``, a
        #: :meth:`roomwatch.sources.timebound.TimeGuard.admit` (set by the root).
        self.guard: Guard | None = None
        metrics.track_queue_depth(self._queue.qsize)
        #: Overload degrade mode (live only, see :meth:`enable_overload`).
        self._overload: OverloadGauge | None = None
        self._screen: Screen | None = None
        #: Which verdicts go downstream one by one while degraded.
        self._thinner: Thinner | None = None
        self._shed = 0
        self._screened = 0
        #: Records accepted per source since the last batch (counted per batch).
        self._accepted: dict[str, int] = {}
        #: Rooms whose records are refused (``room_removed``): rooms removed
        #: at run time (``DELETE /admin/rooms``) until they are added again.
        self.refused_rooms: frozenset[str] = frozenset()
        #: False while a worker rebuilds a shard from its history: the state
        #: moves, nothing is counted (nor by counts_only outputs) or live.
        self.counting = True
        #: Records are counted under this source (a worker's: "stream"), if set.
        self.count_source: str | None = None

    def enable_overload(self) -> None:
        """Shed chatter while the backlog is over the settings' threshold
        (``pipeline.overload_*``; ``docs/reliability.md``). Serve only.

        While degraded, cue-less comments skip segmentation and the model, and
        chatter (but one in ``overload_sample_every``) reaches the outputs as
        per-room counts (their ``count_shed``, if they have one) instead of
        verdicts."""
        s = self._settings
        if not s.overload_degrade:
            return
        self._thinner = Thinner(s.overload_sample_every, s.overload_keep_sentiment)
        self._overload = OverloadGauge(
            s.overload_enter_wait_s,
            s.overload_leave_wait_s,
            s.overload_enter_queued,
            s.overload_hold_s,
            s.overload_deep_after_s,
        )
        self._metrics.overload_degraded.set_function(self.degraded_for)

    @property
    def degraded(self) -> bool:
        """Whether overload degrade mode is on now."""
        return self._overload is not None and self._overload.active

    def degraded_for(self) -> float:
        """Seconds in degrade mode so far (the injected clock); 0 when not degraded."""
        gauge = self._overload
        if gauge is None or gauge.since is None:
            return 0.0
        return max(0.0, self._monotonic() - gauge.since)

    @property
    def shed(self) -> int:
        """Comments that went downstream as counts only (degrade mode) so far."""
        return self._shed

    @property
    def screened(self) -> int:
        """Comments degrade mode's screen passed over unanalysed so far (all shed)."""
        return self._screened

    @property
    def pool(self) -> AnalysisPool | None:
        """The analysis processes, if ``pipeline.analysis_processes`` > 0."""
        return self._pool

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    @property
    def queued(self) -> int:
        """Comments (and skip markers) waiting for the stages."""
        return self._queue.qsize()

    @property
    def processed(self) -> int:
        """Comments that have left the pipeline (with a verdict, or counted as shed)."""
        return self._processed

    def add_output(self, output: Output) -> None:
        self._outputs.append(output)

    def add_tap(self, tap: Callable[[Comment], None]) -> None:
        """Call ``tap(comment)`` (never blocking) for each accepted record, before dedupe."""
        self._taps.append(tap)

    # -- input --------------------------------------------------------------

    def admit(self, comment: Comment, source: str) -> Comment | RecordError:
        """``comment`` as it will be accepted (a missing ts stamped), or why not.
        Sources that answer per record (``/ingest``) call this first to report
        the error, then :meth:`put` the result with ``admitted=True``."""
        if comment.room in self.refused_rooms:
            return _room_removed(comment.room)
        return guarded(self.guard, comment, source)

    async def put(
        self, comment: Comment, source: str, *, admitted: bool = False, trusted: bool = False
    ) -> bool:
        """Queue ``comment``; waits while the buffer is full. False if it was a
        duplicate of a recent id, rejected (counted: ts out of bounds) or shed
        by flood control. ``trusted``: the guard doesn't check its ts (only a
        :class:`roomwatch.sources.timebound.Trusted` sink passes it)."""
        return await self.offer(comment, source, admitted=admitted, trusted=trusted) == "accepted"

    async def offer(
        self, comment: Comment, source: str, *, admitted: bool = False, trusted: bool = False
    ) -> str:
        """Like :meth:`put`, but says what happened: ``accepted``,
        ``rejected`` (ts out of bounds, counted), ``duplicate`` or ``flood``
        (shed: over the user's comment rate in the room, see
        ``limits.user_comments_per_s``)."""
        outcome, item = self._take(comment, source, admitted, trusted)
        if item is not None:
            await self._queue.put(item)
        return outcome

    def offer_nowait(self, comment: Comment, source: str, *, trusted: bool = False) -> str | None:
        """:meth:`offer` when the buffer has room (what it returns), else None
        and nothing done (the caller awaits :meth:`offer`): a source feeding
        records flat out (a replay) saves the coroutines."""
        if self._queue.full():
            return None
        outcome, item = self._take(comment, source, False, trusted)
        if item is not None:
            self._queue.put_nowait(item)
        return outcome

    def _take(
        self, comment: Comment, source: str, admitted: bool, trusted: bool
    ) -> tuple[str, Any]:
        """:meth:`offer` but the waiting: its outcome, and the item to queue (or None)."""
        if self._closing:
            raise RuntimeError("the pipeline is closed")
        if not admitted and self.refused_rooms and comment.room in self.refused_rooms:
            return "rejected", self._rejected(_room_removed(comment.room), source)
        checked = guarded(self.guard, comment, source, admitted=admitted, trusted=trusted)
        if isinstance(checked, RecordError):
            return "rejected", self._rejected(checked, source)
        return self._keep(checked, source, trusted)

    def _keep(self, comment: Comment, source: str, trusted: bool) -> tuple[str, Any]:
        """:meth:`_take` for an admitted record (counts, taps, duplicates, flood)."""
        if self.counting:
            counted = self.count_source or source
            accepted = self._accepted
            accepted[counted] = accepted.get(counted, 0) + 1
        # Taps (the recorder) see every accepted record, shed ones too, so
        # the recording is what was received and a replay sheds the same.
        for tap in self._taps:
            tap(comment)
        dedupe = self._dedupe
        if comment.id is not None and dedupe is not None and dedupe.seen(comment.room, comment.id):
            if self.counting:
                self._metrics.pipeline.discarded("duplicate").inc()
            if self._keep_skips:
                skip = Skipped("duplicate", f"duplicate id {comment.id!r}", source, comment=comment)
                return "duplicate", skip
            return "duplicate", None
        flood = self._flood
        if flood is not None and not flood.allow(comment.room, comment.user_key, comment.ts):
            if self.counting:
                self._metrics.pipeline.discarded("flood").inc()
                self._metrics.limit_exceeded.labels("user_comments_per_s").inc()
            if self._keep_skips:
                return "flood", Skipped(
                    "flood", "over the user's comment rate in the room", source, comment=comment
                )
            return "flood", None
        # A trusted source is a replay: its record times are not wall times.
        return "accepted", (comment, source, self._monotonic(), self.counting and not trusted)

    def _rejected(self, error: RecordError, source: str, where: str = "") -> Skipped | None:
        """Count a malformed record; the skip to queue in its place, if kept."""
        if self.counting:
            self._metrics.rejected(self.count_source or source, error.reason)
        if self._keep_skips:
            return Skipped(error.reason, str(error), source, where)
        return None

    async def reject(self, error: RecordError, source: str, where: str = "") -> None:
        """Count a malformed record from ``source`` (and mark its place)."""
        skip = self._rejected(error, source, where)
        if skip is not None:
            await self._queue.put(skip)

    # -- the consumer -------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            run = self._run if self._pool is None else self._run_pooled
            self._task = asyncio.create_task(run(), name="roomwatch-pipeline")

    def cut(self) -> None:
        """Nothing to do: the consumer task cuts its batches by size and time."""

    async def drain(self) -> None:
        """Stop accepting input, finish everything queued, then stop."""
        if self._task is None:
            self.start()
        if not self._closing:
            self._closing = True
            await self._queue.put(_STOP)
        assert self._task is not None
        await asyncio.shield(self._task)

    async def close(self) -> None:
        """Stop now, dropping what is still queued. Idempotent."""
        self._closing = True
        self.flush_counts()
        for task in (self._task, self._emitter):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._own_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._pool is not None:
            await asyncio.to_thread(self._pool.close)

    async def _next_batch(self, loop: asyncio.AbstractEventLoop) -> tuple[list[Any], bool]:
        """The next batch (up to ``batch_max``, waiting ``batch_wait_ms`` for it to
        fill) and whether the stop marker came after it (an empty batch: at once)."""
        wait = self._settings.batch_wait_ms / 1000.0
        limit = self._settings.batch_max
        first = await self._queue.get()
        if first is _STOP:
            return [], True
        batch = [first]
        deadline = loop.time() + wait
        while len(batch) < limit:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    async def process_queued(self) -> int:
        """Process what is queued now as one batch, without the consumer task.

        For a stream worker (:mod:`roomwatch.streams.worker`), which offers
        one stream batch and needs its outputs before it acknowledges it.
        Returns how many items (comments and skip markers) were processed.
        """
        batch: list[Any] = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        if batch:
            await self._process(batch, asyncio.get_running_loop())
        return len(batch)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        stop = False
        while not stop:
            batch, stop = await self._next_batch(loop)
            if not batch:
                break
            try:
                await self._process(batch, loop)
            except asyncio.CancelledError:
                raise
            except Exception:
                self._batch_failed(batch)
        self.flush_counts()

    def _batch_failed(self, batch: list[Any], *, analysed: bool = True) -> None:
        # One bad batch must not stop the room: log it, count it, go on. If the analysis
        # failed, no output has it: with keep_skips, a stage_error mark per record.
        logger.exception("a batch of %d comments failed", len(batch))
        self._metrics.pipeline.discarded("stage_error").inc(len(batch))
        if not analysed and self._keep_skips:
            marks = [i if isinstance(i, Skipped) else Skipped.failed(i[0], i[1]) for i in batch]
            for output in self._outputs:
                try:
                    output(marks)
                except Exception:
                    logger.exception("an output failed on a failed batch's skips")

    async def _run_pooled(self) -> None:
        """Like :meth:`_run`, with the analysis of later batches under way in the
        child processes while the stages take an earlier one (in order)."""
        loop = asyncio.get_running_loop()
        assert self._pool is not None
        # Batches whose analysis is under way; enough to keep every child busy.
        inflight: asyncio.Queue[Any] = asyncio.Queue(maxsize=self._pool.workers + 1)
        self._emitter = asyncio.create_task(self._emit(inflight), name="roomwatch-pipeline-out")
        # Comments queue up meanwhile; the first batch waits for the model.
        try:
            await loop.run_in_executor(self._executor, self._pool.start)
        except Exception:
            logger.exception("the analysis processes did not start; analysing in this process")
            pool, self._pool = self._pool, None
            await inflight.put(_STOP)
            await self._emitter
            await asyncio.to_thread(pool.close)
            await self._run()
            return
        stop = False
        while not stop:
            batch, stop = await self._next_batch(loop)
            if not batch:
                break
            comments, level = self._begin(batch)
            future: asyncio.Future[tuple[list[Verdict], int]] | None = None
            if comments:
                future = loop.run_in_executor(self._executor, self._analyze_pooled, comments, level)
            await inflight.put((batch, future, level))
        await inflight.put(_STOP)
        await self._emitter
        self.flush_counts()

    async def _emit(self, inflight: asyncio.Queue[Any]) -> None:
        while True:
            got = await inflight.get()
            if got is _STOP:
                return
            batch, future, degraded = got
            verdicts: list[Verdict] = []
            try:
                if future is not None:
                    verdicts, screened = await future
                    self._screened += screened
            except Exception:
                self._batch_failed(batch, analysed=False)
                continue
            try:
                self._finish(batch, verdicts, degraded)
            except Exception:
                self._batch_failed(batch)

    def _analyze_pooled(self, comments: list[Comment], degraded: int) -> tuple[list[Verdict], int]:
        assert self._pool is not None
        return self._pool.analyze(
            comments,
            self._analyzer.classifier.room_terms,
            degraded=degraded,
            timer=self._observe_stage,
        )

    def flush_counts(self) -> None:
        """Add the records accepted since the last batch to the metrics."""
        if self._accepted:
            pending, self._accepted = self._accepted, {}
            for source, n in pending.items():
                self._metrics.accepted(source, n)

    def _begin(self, batch: list[Any]) -> tuple[list[Comment], int]:
        """A batch's comments, and the degrade level: 0 none, 1 degraded, 2 and 3
        deep (the overload gauge reads its backlog)."""
        self.flush_counts()
        comments = [item[0] for item in batch if not isinstance(item, Skipped)]
        if self.counting:
            self._metrics.batch_size.observe(len(comments))
        return comments, self._check_overload(batch)

    async def _process(self, batch: list[Any], loop: asyncio.AbstractEventLoop) -> None:
        comments, level = self._begin(batch)
        verdicts: list[Verdict] = []
        try:
            if comments and level:
                verdicts = await loop.run_in_executor(
                    self._executor, self._analyze_degraded, comments, level
                )
            elif comments:
                verdicts = await loop.run_in_executor(self._executor, self._analyze, comments)
        except Exception:
            self._batch_failed(batch, analysed=False)
            return
        self._finish(batch, verdicts, level)

    def _finish(self, batch: list[Any], verdicts: list[Verdict], degraded: int = 0) -> None:
        """Stamp lags, run the outputs in order, count the batch. ``degraded`` (1,
        or 2 and 3 when deep): chatter the thinner lets go reaches the outputs as
        per-room counts (:class:`~roomwatch.core.shed.ShedCount`) only."""
        results: list[Result] = []
        it = iter(verdicts)
        by_label: Counter[str] = Counter()
        entered: list[float] = []
        wall = self._wall
        exit_at = wall() if wall is not None else math.nan
        lags: dict[str, list[float]] = {}
        thinner = self._thinner if degraded else None
        deep = degraded >= 2
        shed: dict[tuple[str, int], ShedCount] = {}
        n_shed = 0
        if wall is None and thinner is None and len(verdicts) == len(batch):
            results = list(verdicts)  # (offline, no skip: what the loop does, at once)
            entered = [item[2] for item in batch]
            by_label.update([v.label for v in verdicts])
        else:
            for item in batch:
                if isinstance(item, Skipped):
                    results.append(item)
                    continue
                v = next(it)
                entered.append(item[2])
                lag: float | None = None
                if wall is not None and item[3]:
                    lag = max(0.0, exit_at - v.comment.ts)
                    room_lags = lags.get(v.comment.room)
                    if room_lags is None:
                        room_lags = lags[v.comment.room] = []
                    room_lags.append(lag)
                if thinner is not None and not thinner.keeps(v, deep):
                    thinner.count(shed, v, lag)
                    n_shed += 1
                    continue
                if lag is not None:
                    v = v.with_lag(lag)
                results.append(v)
                by_label[v.label] += 1
        self._processed += len(verdicts)
        counts = list(shed.values())
        counting = self.counting
        for output in self._outputs:
            if not counting and getattr(output, "counts_only", False):
                continue
            started = time.perf_counter()
            output(results)
            if counts:
                count_shed = getattr(output, "count_shed", None)
                if count_shed is not None:
                    count_shed(counts)
            self._stage_timer(getattr(output, "stage", "publish"))(time.perf_counter() - started)
        if n_shed:
            self._shed += n_shed
            self._metrics.overload_shed.inc(n_shed)
        if counting:  # (once per batch, not once per comment)
            now = self._monotonic()
            self._metrics.count_batch(by_label, len(verdicts), [now - t for t in entered], lags)

    def _analyze(self, comments: list[Comment]) -> list[Verdict]:
        return self._analyzer.analyze(comments, timer=self._observe_stage)

    def _check_overload(self, batch: list[Any]) -> int:
        """Feed the batch's backlog to the overload gauge; the degrade level."""
        gauge = self._overload
        if gauge is None:
            return 0
        now = self._monotonic()
        first = next((item for item in batch if not isinstance(item, Skipped)), None)
        wait = now - first[2] if first is not None else 0.0
        queued = self._queue.qsize()
        change = gauge.update(wait, queued, now)
        if change is not None:
            self._metrics.overload_transitions.labels(change).inc()
            announce(
                change, gauge.level, wait, queued, self._settings.overload_sample_every, self._shed
            )
        return gauge.level

    def _analyze_degraded(self, comments: list[Comment], depth: int) -> list[Verdict]:
        """Full analysis for comments with a cue; a shed verdict for the rest."""
        analyzer = self._analyzer
        screen = self._screen
        if screen is None:
            screen = self._screen = Screen.of(analyzer, self._settings.overload_cue_weight)
        verdicts, screened = analyze_degraded(
            analyzer,
            screen,
            comments,
            self._observe_stage,
            depth=depth,
            every=self._settings.overload_sample_every,
        )
        self._screened += screened
        return verdicts

    def _observe_stage(self, stage: str, seconds: float) -> None:
        self._stage_timer(stage)(seconds)

    def _stage_timer(self, stage: str) -> Callable[[float], None]:
        return self._child(self._metrics.stage_seconds, stage).observe  # type: ignore[no-any-return]

    def _child(self, metric: Any, label: str) -> Any:
        # prometheus_client's labels() costs microseconds (it validates and
        # locks); the label sets are bounded, so keep the children.
        key = (id(metric), label)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(label)
        return child
